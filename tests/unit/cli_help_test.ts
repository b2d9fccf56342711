// `--help` and usage errors in docker 28's layout (snapshots taken from `docker <verb> --help`
// at 80 columns, with docker's name replaced by ours).

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { findCommand, groupCommands } from "../../src/cli/command_table/mod.ts";
import { argsErrorText, commandHelp, flagErrorText, groupHelp, wrap } from "../../src/cli/help.ts";

Deno.test("stop --help", () => {
  assertEquals(
    commandHelp(findCommand("stop")!, "stop", 79),
    `Usage:  engine stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Aliases:
  engine container stop, engine stop

Options:
  -s, --signal string   Signal to send to the container
  -t, --timeout int     Seconds to wait before killing the container
`,
  );
});

Deno.test("logs --help: wrapping and string defaults", () => {
  assertEquals(
    commandHelp(findCommand("logs")!, "logs", 79),
    `Usage:  engine logs [OPTIONS] CONTAINER

Fetch the logs of a container

Aliases:
  engine container logs, engine logs

Options:
      --details        Show extra details provided to logs
  -f, --follow         Follow log output
      --since string   Show logs since timestamp (e.g.
                       "2013-01-02T13:23:37Z") or relative (e.g. "42m"
                       for 42 minutes)
  -n, --tail string    Number of lines to show from the end of the logs
                       (default "all")
  -t, --timestamps     Show timestamps
      --until string   Show logs before a timestamp (e.g.
                       "2013-01-02T13:23:37Z") or relative (e.g. "42m"
                       for 42 minutes)
`,
  );
});

Deno.test("ps --help: multi-line --format help and int defaults", () => {
  const help = commandHelp(findCommand("container ls")!, "container ls", 79);
  assertEquals(help.split("\n").slice(0, 8), [
    "Usage:  engine container ls [OPTIONS]",
    "",
    "List containers",
    "",
    "Aliases:",
    "  engine container ls, engine container list, engine container ps, engine ps",
    "",
    "Options:",
  ]);
  assertEquals(
    help.includes(`                        'table':            Print output in table format
                        with column headers (default)
`),
    true,
  );
  assertEquals(
    help.includes(
      "  -n, --last int        Show n last created containers (includes all\n                        states) (default -1)\n",
    ),
    true,
  );
});

Deno.test("run --help has every docker 28 flag, types and defaults", () => {
  const help = commandHelp(findCommand("run")!, "run", 79);
  for (
    const line of [
      "      --cpus decimal                     Number of CPUs",
      "  -m, --memory bytes                     Memory limit",
      "      --blkio-weight uint16              Block IO (relative weight),",
      "      --ulimit ulimit                    Ulimit options (default [])",
      "      --sig-proxy                        Proxy received signals to the",
    ]
  ) assertEquals(help.includes(line + "\n"), true, line);
});

Deno.test("group help lists subcommands", () => {
  const text = groupHelp("image", "Manage images", groupCommands("image"));
  assertEquals(text.includes("  ls          List images\n"), true);
  assertEquals(text.includes("  rm          Remove one or more images\n"), true);
  assertEquals(
    text.endsWith("Run 'engine image COMMAND --help' for more information on a command.\n"),
    true,
  );
});

Deno.test("usage errors as docker 28 prints them", () => {
  const run = findCommand("run")!;
  assertEquals(
    flagErrorText("unknown flag: --nope", run, "run"),
    "unknown flag: --nope\n\nUsage:  engine run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'engine run --help' for more information",
  );
  assertEquals(
    argsErrorText(run, "run", 0),
    "engine: 'engine run' requires at least 1 argument\n\nUsage:  engine run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'engine run --help' for more information",
  );
  assertEquals(
    argsErrorText(findCommand("ps")!, "ps", 1)?.split("\n")[0],
    "engine: 'engine ps' accepts no arguments",
  );
  assertEquals(
    argsErrorText(findCommand("rename")!, "rename", 1)?.split("\n")[0],
    "engine: 'engine rename' requires 2 arguments",
  );
  assertEquals(
    argsErrorText(findCommand("port")!, "port", 3)?.split("\n")[0],
    "engine: 'engine port' requires at least 1 and at most 2 arguments",
  );
  assertEquals(argsErrorText(run, "run", 3), undefined);
});

Deno.test("pflag wrap: short orphan words stay on the line (slop)", () => {
  assertEquals(
    wrap(24, 79, "Show all containers (default shows just running)"),
    "Show all containers (default shows just running)",
  );
  assertEquals(
    wrap(24, 79, "Only display container IDs and some more words to go past the limit"),
    "Only display container IDs and some more words to\n                        go past the limit",
  );
});

Deno.test("run --help prints the usage (run declares --help among its flags)", async () => {
  const { ENGINE } = await import("../helpers/engine.ts");
  const out = await new Deno.Command(ENGINE, { args: ["run", "--help"], stdout: "piped" })
    .output();
  assertEquals(out.code, 0);
  assertEquals(
    new TextDecoder().decode(out.stdout).split("\n")[0],
    "Usage:  engine run [OPTIONS] IMAGE [COMMAND] [ARG...]",
  );
});
