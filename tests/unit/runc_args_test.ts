import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  appUsage,
  checkArgs,
  incorrectUsage,
  parse,
  parseGlobal,
  usage,
  UsageError,
  VERBS,
} from "../../src/runc/args.ts";
import { command, missing } from "../helpers/require.ts";

const RUNC = "/usr/sbin/runc";

function fails(fn: () => unknown, message: string) {
  throws(fn, (e: unknown) => e instanceof UsageError && e.message === message);
}

Deno.test("global flags stop at the verb", () => {
  const g = parseGlobal(["--root", "/tmp/r", "--log=/tmp/l", "--debug", "exec", "-t", "id"]);
  assertEquals(g.flags.root, "/tmp/r");
  assertEquals(g.flags.log, "/tmp/l");
  assertEquals(g.flags.debug, true);
  assertEquals(g.flags["log-format"], "text");
  assertEquals(g.flags.rootless, "auto");
  assertEquals(g.verb, "exec");
  assertEquals(g.rest, ["-t", "id"]);
  assertEquals([...g.set].sort(), ["debug", "log", "root"]);
  assertEquals(parseGlobal(["-v"]).version, true);
  assertEquals(parseGlobal(["--help"]).help, true);
  assertEquals(parseGlobal([]).verb, undefined);
  fails(() => parseGlobal(["-x", "list"]), "flag provided but not defined: -x");
  fails(() => parseGlobal(["--root"]), "flag needs an argument: -root");
});

Deno.test("verb flags: forms, aliases, kinds and defaults", () => {
  const p = parse(VERBS.exec, [
    "-e",
    "A=1",
    "--env=B=2",
    "-env",
    "C=3",
    "--additional-gids",
    "10",
    "-g=11",
    "--cap",
    "CAP_KILL",
    "-d",
    "--tty=false",
    "--preserve-fds",
    "0x10",
    "-u",
    "1:2",
    "id",
    "sh",
  ]);
  assertEquals(p.flags.env, ["A=1", "B=2", "C=3"]);
  assertEquals(p.flags["additional-gids"], ["10", "11"]);
  assertEquals(p.flags.cap, ["CAP_KILL"]);
  assertEquals(p.flags.detach, true);
  assertEquals(p.flags.tty, false);
  assertEquals(p.flags["preserve-fds"], 16);
  assertEquals(p.flags.user, "1:2");
  assertEquals(p.flags.cwd, "");
  assertEquals(p.flags.cgroup, []);
  assertEquals(p.args, ["id", "sh"]);
  assertEquals(p.set.has("tty"), true);
  assertEquals(p.set.has("cwd"), false);
  assertEquals(parse(VERBS.list, []).flags.format, "table");
  assertEquals(parse(VERBS.events, []).flags.interval, 5000);
  assertEquals(parse(VERBS.events, ["--interval", "1m30s", "x"]).flags.interval, 90_000);
  assertEquals(parse(VERBS.create, ["--preserve-fds", "010", "x"]).flags["preserve-fds"], 8);
  assertEquals(parse(VERBS.list, ["-h"]).help, true);
});

Deno.test("exec and ps pass everything after the first positional through", () => {
  const p = parse(VERBS.exec, ["-t", "id", "ls", "--bogus", "-e", "X=1", "-t"]);
  assertEquals(p.args, ["id", "ls", "--bogus", "-e", "X=1", "-t"]);
  assertEquals(p.flags.env, []);
  assertEquals(p.flags.tty, true);
  assertEquals(parse(VERBS.ps, ["id", "-f", "json"]).args, ["id", "-f", "json"]);
});

Deno.test("other verbs reorder known flags after positionals like urfave/cli v1.22", () => {
  assertEquals(parse(VERBS.delete, ["foo", "--force"]).flags.force, true);
  assertEquals(parse(VERBS.kill, ["foo", "KILL", "--all"]).args, ["foo", "KILL"]);
  // a bool flag takes the next argument along: runc 1.1.5 does the same
  assertEquals(parse(VERBS.kill, ["foo", "--all", "AAA"]).args, ["AAA", "foo"]);
  assertEquals(parse(VERBS.kill, ["foo", "--all=true", "AAA"]).args, ["foo", "AAA"]);
  // unknown flags after a positional stay positional
  assertEquals(parse(VERBS.kill, ["foo", "KILL", "-x"]).args, ["foo", "KILL", "-x"]);
  // `--` ends flags; what follows is positional
  assertEquals(parse(VERBS.kill, ["AAA", "--", "--all"]).args, ["AAA", "--all"]);
  assertEquals(parse(VERBS.delete, ["-f", "--", "AAA"]).args, ["AAA"]);
  const c = parse(VERBS.create, ["id", "--bundle", "/b", "--pid-file=/p"]);
  assertEquals([c.flags.bundle, c.flags["pid-file"], c.args], ["/b", "/p", ["id"]]);
});

Deno.test("errors use Go's flag wording", () => {
  fails(() => parse(VERBS.list, ["-x"]), "flag provided but not defined: -x");
  fails(() => parse(VERBS.exec, ["-dt", "id", "sh"]), "flag provided but not defined: -dt");
  fails(() => parse(VERBS.list, ["--format"]), "flag needs an argument: -format");
  fails(() => parse(VERBS.list, ["-q=maybe"]), 'invalid boolean value "maybe" for -q: parse error');
  fails(
    () => parse(VERBS.create, ["--preserve-fds", "abc", "id"]),
    'invalid value "abc" for flag -preserve-fds: parse error',
  );
  fails(
    () => parse(VERBS.events, ["--interval", "1x", "id"]),
    'invalid value "1x" for flag -interval: parse error',
  );
  fails(
    () => parse(VERBS.update, ["--blkio-weight", "-1", "id"]),
    'invalid value "-1" for flag -blkio-weight: parse error',
  );
  fails(() => parse(VERBS.list, ["---x"]), "bad flag syntax: ---x");
});

Deno.test("checkArgs: runc's argument-count messages", () => {
  fails(() => checkArgs(VERBS.state, []), 'runc: "state" requires exactly 1 argument(s)');
  fails(() => checkArgs(VERBS.list, ["x"]), 'runc: "list" requires exactly 0 argument(s)');
  fails(
    () => checkArgs(VERBS.kill, ["a", "b", "c"]),
    'runc: "kill" requires a maximum of 2 argument(s)',
  );
  fails(() => checkArgs(VERBS.exec, []), 'runc: "exec" requires a minimum of 1 argument(s)');
  checkArgs(VERBS.kill, ["a"]);
  checkArgs(VERBS.exec, ["a", "b", "c"]);
});

Deno.test("incorrectUsage prints the way runc does", () => {
  const err = new UsageError("flag provided but not defined: -x", "list", true);
  assertEquals(
    incorrectUsage(err, "v").startsWith(
      "Incorrect Usage: flag provided but not defined: -x\n\nNAME:\n   runc list - ",
    ),
    true,
  );
  const count = new UsageError('runc: "state" requires exactly 1 argument(s)', "state", false);
  assertEquals(
    incorrectUsage(count, "v").startsWith("Incorrect Usage.\n\nNAME:\n   runc state"),
    true,
  );
});

async function runc(args: string[]): Promise<{ stdout: string; code: number }> {
  const out = await new Deno.Command(RUNC, { args, stderr: "null" }).output();
  return { stdout: new TextDecoder().decode(out.stdout), code: out.code };
}

Deno.test({
  name: "usage(verb) is byte-identical to `runc <verb> --help` for every verb",
  ignore: missing(command(RUNC)),
  async fn() {
    for (const name of Object.keys(VERBS)) {
      assertEquals(usage(name), (await runc([name, "--help"])).stdout, `runc ${name} --help`);
    }
  },
});

Deno.test({
  name: "appUsage is byte-identical to `runc --help`",
  ignore: missing(command(RUNC)),
  async fn() {
    const theirs = (await runc(["--help"])).stdout;
    const version = /VERSION:\n {3}([^]*?)\n\nCOMMANDS:/.exec(theirs)![1];
    assertEquals(appUsage(version), theirs);
  },
});

Deno.test({
  name: "parse errors match runc's own for the same command lines",
  ignore: missing(command(RUNC)),
  async fn() {
    const cases = [
      ["list", "-x"],
      ["list", "--format"],
      ["list", "-q=maybe"],
      ["create", "--preserve-fds", "abc", "foo"],
      ["exec", "-dt", "foo", "sh"],
      ["events", "--interval", "1x", "foo"],
    ];
    for (const [verb, ...rest] of cases) {
      const theirs = await runc([verb, ...rest]);
      let ours = "";
      try {
        parse(VERBS[verb as keyof typeof VERBS], rest);
      } catch (err) {
        ours = incorrectUsage(err as UsageError, "");
      }
      assertEquals(ours, theirs.stdout, `runc ${verb} ${rest.join(" ")}`);
      assertEquals(theirs.code, 1);
    }
  },
});
