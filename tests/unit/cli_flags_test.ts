// docker's flag parsing (pflag + cobra): tables of command lines → values and errors.

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { FlagError, parseFlags } from "../../src/cli/flags.ts";
import { findCommand } from "../../src/cli/command_table/mod.ts";
import { parseDecimal, parseMemoryBytes } from "../../src/cli/units.ts";
import { parseDuration } from "../../src/lib/duration.ts";

const assertThrows = (fn: () => unknown, _: unknown, msg: string) =>
  throws(fn, (e: Error) => e.message.includes(msg));

const run = findCommand("run")!;
const exec = findCommand("exec")!;
const parseRun = (args: string[]) => parseFlags(run.flags, args, { interspersed: false });

Deno.test("run -it --rm alpine sh -c: flags stop at the image", () => {
  const r = parseRun(["-it", "--rm", "alpine", "sh", "-c", "x"]);
  assertEquals(r.args, ["alpine", "sh", "-c", "x"]);
  assertEquals(r.flags.bool("interactive"), true);
  assertEquals(r.flags.bool("tty"), true);
  assertEquals(r.flags.bool("rm"), true);
  assertEquals(r.flags.bool("detach"), false);
});

Deno.test("exec -e A=1 ctr ls -l", () => {
  const r = parseFlags(exec.flags, ["-e", "A=1", "ctr", "ls", "-l"], { interspersed: false });
  assertEquals(r.args, ["ctr", "ls", "-l"]);
  assertEquals(r.flags.list("env"), ["A=1"]);
});

Deno.test("value forms: -eK=V, -e=K=V, --env=K=V, --env K=V, repeatable", () => {
  const r = parseRun([
    "-eA=1",
    "-e=B=2",
    "--env=C=3",
    "--env",
    "D=4",
    "-v",
    "/a:/b",
    "-v",
    "/c:/d",
    "img",
  ]);
  assertEquals(r.flags.list("env"), ["A=1", "B=2", "C=3", "D=4"]);
  assertEquals(r.flags.list("volume"), ["/a:/b", "/c:/d"]);
  assertEquals(r.flags.isSet("env"), true);
  assertEquals(r.flags.isSet("label"), false);
});

Deno.test("typed values: memory bytes, cpus decimal, durations, ints, maps, bool=false", () => {
  const r = parseRun([
    "-m",
    "512m",
    "--cpus",
    "1.5",
    "--health-interval",
    "1m30s",
    "--stop-timeout",
    "7",
    "--sysctl",
    "net.core.somaxconn=1024",
    "--sysctl",
    "a=b",
    "--sig-proxy=false",
    "-d",
    "img",
  ]);
  assertEquals(r.flags.number("memory"), 512 * 1024 * 1024);
  assertEquals(r.flags.number("cpus"), 1_500_000_000);
  assertEquals(r.flags.number("health-interval"), 90e9);
  assertEquals(r.flags.number("stop-timeout"), 7);
  assertEquals(r.flags.map("sysctl"), { "net.core.somaxconn": "1024", a: "b" });
  assertEquals(r.flags.bool("sig-proxy"), false);
  assertEquals(r.flags.bool("detach"), true);
});

Deno.test("defaults come from the table (ps -n default -1, logs --tail all)", () => {
  assertEquals(parseFlags(findCommand("ps")!.flags, []).flags.number("last"), -1);
  assertEquals(parseFlags(findCommand("logs")!.flags, ["c"]).flags.string("tail"), "all");
});

Deno.test("-- ends flags; interspersed commands take flags after positionals", () => {
  assertEquals(parseRun(["--", "-img", "x"]).args, ["-img", "x"]);
  const r = parseFlags(findCommand("rm")!.flags, ["a", "-f", "b"]);
  assertEquals(r.args, ["a", "b"]);
  assertEquals(r.flags.bool("force"), true);
});

Deno.test("-h/--help is recognised unless the command defines -h", () => {
  assertEquals(parseFlags(findCommand("ps")!.flags, ["--help"]).help, true);
  const r = parseRun(["-h", "myhost", "img"]);
  assertEquals(r.help, false);
  assertEquals(r.flags.string("hostname"), "myhost");
});

Deno.test("pflag's error wording", () => {
  const msg = (args: string[]) => {
    try {
      parseRun(args);
    } catch (e) {
      if (e instanceof FlagError) return e.message;
      throw e;
    }
    return "";
  };
  assertEquals(msg(["--nope", "x"]), "unknown flag: --nope");
  assertEquals(msg(["-Z", "x"]), "unknown shorthand flag: 'Z' in -Z");
  assertEquals(msg(["-itZ", "x"]), "unknown shorthand flag: 'Z' in -Z");
  assertEquals(msg(["-e"]), "flag needs an argument: 'e' in -e");
  assertEquals(msg(["--env"]), "flag needs an argument: --env");
  assertEquals(
    msg(["-m", "12q", "x"]),
    `invalid argument "12q" for "-m, --memory" flag: invalid suffix: 'q'`,
  );
  assertEquals(
    msg(["--cpus", "abc", "x"]),
    `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`,
  );
  assertEquals(
    msg(["--stop-timeout=", "x"]),
    `invalid argument "" for "--stop-timeout" flag: strconv.ParseInt: parsing "": invalid syntax`,
  );
});

Deno.test("units: RAMInBytes, ParseDuration, decimals", () => {
  assertEquals(parseMemoryBytes("1024"), 1024);
  assertEquals(parseMemoryBytes("2KiB"), 2048);
  assertEquals(parseMemoryBytes("1.5g"), 1.5 * 1024 ** 3);
  assertEquals(parseMemoryBytes("10 MB"), 10 * 1024 ** 2);
  assertThrows(() => parseMemoryBytes("m"), Error, "invalid size: 'm'");
  assertEquals(parseDuration("10s"), 10e9);
  assertEquals(parseDuration("1h2m3.5s"), 3723.5e9);
  assertEquals(parseDuration("500ms"), 500e6);
  assertThrows(() => parseDuration("10"), Error, `time: missing unit in duration "10"`);
  assertEquals(parseDecimal("3/2"), 1.5e9);
  assertEquals(parseDecimal("0.001"), 1e6);
});
