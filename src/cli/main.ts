// `engine <verb>`: global flags, command lookup (incl. `container …`/`image …`/`system …`),
// flag parsing, --help, and dispatch to the verb's module, imported only when it runs.
// Errors are printed as docker 28 prints them, with its exit statuses (125 for flag errors).

import { type GlobalOptions, type Invocation, PROGRAM, StatusError } from "./command.ts";
import { FlagError, type FlagSpec, parseFlags } from "./flags.ts";
import { argsErrorText, commandHelp, flagErrorText, groupHelp } from "./help.ts";
import { displayPath, findCommand, groupCommands, GROUPS } from "./command_table/mod.ts";
import { VERBS } from "./verbs/mod.ts";

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "config", type: "string", help: "Location of client config files", default: "" },
  { name: "debug", short: "D", type: "bool", help: "Enable debug mode" },
  { name: "host", short: "H", type: "list", help: "Daemon socket to connect to" },
  {
    name: "log-level",
    short: "l",
    type: "string",
    default: "info",
    defaultText: '"info"',
    help: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
  },
  { name: "tls", type: "bool", help: "Use TLS; implied by --tlsverify" },
  { name: "tlscacert", type: "string", help: "Trust certs signed only by this CA" },
  { name: "tlscert", type: "string", help: "Path to TLS certificate file" },
  { name: "tlskey", type: "string", help: "Path to TLS key file" },
  { name: "tlsverify", type: "bool", help: "Use TLS and verify the remote" },
  { name: "version", short: "v", type: "bool", help: "Print version information and quit" },
];

const encoder = new TextEncoder();
const out = (s: string) => Deno.stdout.writeSync(encoder.encode(s));
const err = (s: string) => Deno.stderr.writeSync(encoder.encode(s));

export function cliUsage(): string {
  const rows = Object.entries(GROUPS).map(([g, s]) => `  ${g.padEnd(11)} ${s}`).join("\n");
  return `Usage:  ${PROGRAM} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n` +
    `Management Commands:\n${rows}\n\nRun '${PROGRAM} COMMAND --help' for more information on a command.\n`;
}

/** Run `engine <args…>` (args include the verb); returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(GLOBAL_FLAGS, args, { interspersed: false });
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    err(`${e.message}\n\nRun '${PROGRAM} --help' for more information\n`);
    return 125;
  }
  const g = parsed.flags;
  if (g.bool("version")) {
    return await main(["version", "--format", "Engine version {{.Client.Version}}"]);
  }
  const rest = parsed.args;
  if (parsed.help || rest.length === 0) {
    out(cliUsage());
    return 0;
  }
  let typed = rest[0];
  let argv = rest.slice(1);
  if (GROUPS[typed]) {
    const sub = argv[0];
    if (sub === undefined || sub.startsWith("-")) {
      out(groupHelp(typed, GROUPS[typed], groupCommands(typed)));
      return 0;
    }
    if (!findCommand(`${typed} ${sub}`)) {
      err(
        `${PROGRAM}: unknown command: ${PROGRAM} ${typed} ${sub}\n\nUsage:  ${PROGRAM} ${typed}\n\n` +
          `Run '${PROGRAM} ${typed} --help' for more information\n`,
      );
      return 1;
    }
    typed = `${typed} ${sub}`;
    argv = argv.slice(1);
  }
  const def = findCommand(typed);
  if (!def) {
    err(
      `${PROGRAM}: unknown command: ${PROGRAM} ${typed}\n\n` +
        `Run '${PROGRAM} --help' for more information\n`,
    );
    return 1;
  }
  const path = displayPath(def, typed);
  let result;
  try {
    result = parseFlags(def.flags, argv, { interspersed: def.interspersed ?? true });
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    err(flagErrorText(e.message, def, path) + "\n");
    return 125;
  }
  // run/create/exec declare --help among their flags (docker lists it there).
  if (result.help || (result.flags.values.has("help") && result.flags.bool("help"))) {
    out(commandHelp(def, path));
    return 0;
  }
  const argsError = argsErrorText(def, path, result.args.length);
  if (argsError) {
    err(argsError + "\n");
    return 1;
  }
  const globals: GlobalOptions = {
    hosts: g.list("host"),
    debug: g.bool("debug"),
    logLevel: g.string("log-level"),
    config: g.string("config"),
    tls: g.bool("tls"),
    tlsverify: g.bool("tlsverify"),
    tlscacert: g.string("tlscacert"),
    tlscert: g.string("tlscert"),
    tlskey: g.string("tlskey"),
  };
  const inv: Invocation = { def, path, flags: result.flags, args: result.args, globals };
  const runLike = def.verb === "run" || def.verb === "create";
  try {
    const verb = await VERBS[def.verb]();
    return await verb(inv);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const status = e instanceof StatusError ? e.status : runLike ? 125 : 1;
    if (message !== "") {
      if (runLike) {
        err(`${PROGRAM}: ${message}\n\nRun '${PROGRAM} ${path} --help' for more information\n`);
      } else err(`${message}\n`);
    }
    if (g.bool("debug") && e instanceof Error && e.stack) err(e.stack + "\n");
    return status;
  }
}
