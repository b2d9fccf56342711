// `engine runc` command line: a declarative parser that behaves like runc 1.1's
// (urfave/cli v1 over Go's flag package) and help text in runc's layout. Plain
// TypeScript, imports only the error kinds: this file is on the runc start-up path.
//
// Rules reproduced from runc 1.1.5 (checked against /usr/sbin/runc):
// - global flags come before the verb; the verb's flags come after it;
// - `-f`, `--f`, `-flag`, `--flag` are all the same; values as `--flag v` or `--flag=v`;
//   no bundling (`-dt` is an unknown flag); `--` ends the flags; `-` is a positional;
// - urfave reorders a verb's *known* flags found after positionals to the front (so
//   `runc delete ID --force` works), taking the next argument along as the flag's value
//   when it is not itself a known flag (even for bool flags: `kill ID --all SIG` makes SIG
//   the first positional, as runc does); unknown flags after a positional stay positional;
// - `exec` and `ps` skip that reordering: everything after the first positional is
//   passed on untouched (`runc exec ID cmd --flag`).

import { EngineError } from "../lib/errors.ts";

export type FlagKind = "bool" | "string" | "strings" | "int" | "uint" | "duration";

export interface FlagSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly kind: FlagKind;
  /** Default value; for `duration`, milliseconds. */
  readonly default?: string | number | boolean;
  /** How the default is shown in help when it is not the plain value (`5s`). */
  readonly defaultText?: string;
  readonly usage: string;
}

export interface VerbSpec {
  readonly name: string;
  readonly usage: string;
  readonly argsUsage?: string;
  readonly description?: string;
  /** Positional count checked by `checkArgs` (runc's checkArgs: exact, minimum, maximum). */
  readonly args: { readonly min: number; readonly max?: number };
  /** Do not move flags found after positionals (exec, ps). */
  readonly skipArgReorder?: boolean;
  readonly flags: readonly FlagSpec[];
}

interface KindValue {
  bool: boolean;
  string: string;
  strings: string[];
  int: number;
  uint: number;
  duration: number;
}

/** The typed values of a flag list: `{ detach: boolean, env: string[], ... }`. */
export type FlagValues<F extends readonly FlagSpec[]> = {
  [S in F[number] as S["name"]]: KindValue[S["kind"]];
};

export interface Parsed<F extends readonly FlagSpec[]> {
  flags: FlagValues<F>;
  /** Canonical names of the flags given on the command line (urfave's IsSet). */
  set: Set<string>;
  args: string[];
  /** `--help`/`-h` was given: print `usage(verb)` and exit 0. */
  help: boolean;
}

/**
 * A command-line error, with runc's wording. `verb` is undefined for global flags.
 * `detail` tells how runc prints it on stdout (see `incorrectUsage`): flag errors name
 * the error, argument-count errors only say "Incorrect Usage.".
 */
export class UsageError extends EngineError {
  constructor(message: string, readonly verb: string | undefined, readonly detail: boolean) {
    super("invalid_argument", message);
    this.name = "UsageError";
  }
}

const HELP_FLAG: FlagSpec = { name: "help", aliases: ["h"], kind: "bool", usage: "show help" };

/** Parses a verb's arguments (everything after the verb name). */
export function parse<V extends VerbSpec>(verb: V, argv: readonly string[]): Parsed<V["flags"]> {
  const flags = [...verb.flags, HELP_FLAG];
  const input = verb.skipArgReorder ? [...argv] : reorderArgs(flags, argv);
  const { values, set, rest } = parseFlags(flags, input, verb.name);
  const help = values.help === true;
  delete values.help;
  set.delete("help");
  return { flags: values as FlagValues<V["flags"]>, set, args: rest, help };
}

export interface ParsedGlobal {
  flags: FlagValues<typeof GLOBAL_FLAGS>;
  set: Set<string>;
  help: boolean;
  version: boolean;
  /** The verb (first positional); undefined when none was given. */
  verb?: string;
  /** The verb's own arguments. */
  rest: string[];
}

/** Parses `runc [global options] verb ...` up to the verb (no reordering at this level). */
export function parseGlobal(argv: readonly string[]): ParsedGlobal {
  const flags = [
    ...GLOBAL_FLAGS,
    HELP_FLAG,
    { name: "version", aliases: ["v"], kind: "bool", usage: "print the version" } as const,
  ];
  const { values, set, rest } = parseFlags(flags, [...argv], undefined);
  const help = values.help === true, version = values.version === true;
  delete values.help, delete values.version;
  set.delete("help"), set.delete("version");
  return {
    flags: values as FlagValues<typeof GLOBAL_FLAGS>,
    set,
    help,
    version,
    verb: rest[0],
    rest: rest.slice(1),
  };
}

/** runc's checkArgs: `runc: "state" requires exactly 1 argument(s)`. */
export function checkArgs(verb: VerbSpec, args: readonly string[], prog = "runc"): void {
  const { min, max } = verb.args;
  let want: string | undefined;
  if (min === max && args.length !== min) want = `exactly ${min}`;
  else if (args.length < min) want = `a minimum of ${min}`;
  else if (max !== undefined && args.length > max) want = `a maximum of ${max}`;
  if (want) {
    throw new UsageError(`${prog}: "${verb.name}" requires ${want} argument(s)`, verb.name, false);
  }
}

/** A verb's spec by name (`help`/`h` excluded), or undefined. */
export function verbSpec(name: string): VerbSpec | undefined {
  return Object.hasOwn(VERBS, name) ? VERBS[name as VerbName] : undefined;
}

// ---- Go's flag package, one argument at a time ----

function lookup(flags: readonly FlagSpec[], name: string): FlagSpec | undefined {
  return flags.find((f) => f.name === name || f.aliases?.includes(name));
}

function defaults(flags: readonly FlagSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const f of flags) {
    if (f.kind === "strings") values[f.name] = [];
    else if (f.kind === "bool") values[f.name] = f.default ?? false;
    else if (f.kind === "string") values[f.name] = f.default ?? "";
    else values[f.name] = f.default ?? 0;
  }
  return values;
}

function parseFlags(flags: readonly FlagSpec[], args: string[], verb: string | undefined) {
  const values = defaults(flags);
  const set = new Set<string>();
  const fail = (msg: string) => new UsageError(msg, verb, true);
  while (args.length > 0) {
    const s = args[0];
    if (s.length < 2 || s[0] !== "-") break;
    let name = s.slice(1);
    if (s[1] === "-") {
      if (s.length === 2) {
        args.shift();
        break;
      }
      name = s.slice(2);
    }
    if (name.length === 0 || name[0] === "-" || name[0] === "=") {
      throw fail(`bad flag syntax: ${s}`);
    }
    args.shift();
    let value: string | undefined;
    const eq = name.indexOf("=", 1);
    if (eq > 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    const flag = lookup(flags, name);
    if (!flag) throw fail(`flag provided but not defined: -${name}`);
    if (flag.kind === "bool") {
      const b = value === undefined ? true : parseBool(value);
      if (b === undefined) {
        throw fail(`invalid boolean value ${goQuote(value!)} for -${name}: parse error`);
      }
      values[flag.name] = b;
    } else {
      if (value === undefined) {
        if (args.length === 0) throw fail(`flag needs an argument: -${name}`);
        value = args.shift()!;
      }
      const v = convert(flag.kind, value);
      if (typeof v === "string") {
        throw fail(`invalid value ${goQuote(value)} for flag -${name}: ${v}`);
      }
      if (flag.kind === "strings") (values[flag.name] as string[]).push(value);
      else values[flag.name] = v.value;
    }
    set.add(flag.name);
  }
  return { values, set, rest: args };
}

/** urfave/cli v1.22's reorderArgs: known flags (and a following value) move to the front. */
function reorderArgs(flags: readonly FlagSpec[], args: readonly string[]): string[] {
  const reordered: string[] = [];
  let remaining: string[] = [];
  let mayTakeValue = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (mayTakeValue && !argIsFlag(flags, arg)) {
      mayTakeValue = false;
      reordered.push(arg);
    } else if (arg === "--") {
      remaining = ["--", ...remaining, ...args.slice(i + 1)];
      break;
    } else if (argIsFlag(flags, arg)) {
      reordered.push(arg);
      mayTakeValue = !arg.includes("=");
    } else {
      remaining.push(arg);
    }
  }
  return [...reordered, ...remaining];
}

function argIsFlag(flags: readonly FlagSpec[], arg: string): boolean {
  if (arg === "-" || arg === "--" || !arg.startsWith("-")) return false;
  let name = arg.startsWith("--") ? arg.slice(2) : arg;
  if (name.startsWith("-")) name = name.slice(1);
  return lookup(flags, name.split("=")[0]) !== undefined;
}

function parseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** Converts a flag value; a string result is Go's error text. */
function convert(kind: FlagKind, s: string): { value: unknown } | string {
  switch (kind) {
    case "string":
    case "strings":
      return { value: s };
    case "int":
    case "uint": {
      const n = parseGoInt(s, kind === "uint");
      if (n === undefined) return "parse error";
      const [lo, hi] = kind === "uint" ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
      if (n < lo || n > hi) return "value out of range";
      return { value: Number(n) };
    }
    case "duration": {
      const ms = parseGoDuration(s);
      return ms === undefined ? "parse error" : { value: ms };
    }
    default:
      return "parse error";
  }
}

/** strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` only after a prefix. */
function parseGoInt(s: string, unsigned: boolean): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9]*)$/.exec(s);
  if (!m || (unsigned && m[1])) return undefined;
  let body = m[2];
  if (body.includes("_")) {
    if (!/^0/.test(body) || /__|_$/.test(body) || /^0[xXoObB]?_?$/.test(body)) return undefined;
    body = body.replaceAll("_", "");
  }
  if (/^0[0-7]+$/.test(body)) body = "0o" + body.slice(1);
  const n = BigInt(body.toLowerCase());
  return m[1] === "-" ? -n : n;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** time.ParseDuration, in milliseconds. */
function parseGoDuration(s: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(s)!;
  if (m[2] === "0") return 0;
  if (m[2] === "") return undefined;
  let total = 0;
  const re = /(\d+\.?\d*|\.\d+)([a-zµμ]+)/y;
  let pos = 0;
  while (pos < m[2].length) {
    re.lastIndex = pos;
    const part = re.exec(m[2]);
    if (!part || !(part[2] in DURATION_UNITS)) return undefined;
    total += Number(part[1]) * DURATION_UNITS[part[2]];
    pos = re.lastIndex;
  }
  return m[1] === "-" ? -total : total;
}

/** Go's %q for the strings we quote (close to JSON for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

// ---- help text, laid out like urfave/cli v1's templates through text/tabwriter ----

/** `runc <verb> --help`. */
export function usage(verb: VerbSpec | string): string {
  const v = typeof verb === "string" ? verbSpec(verb) : verb;
  if (!v) throw new UsageError(`No help topic for '${verb}'`, undefined, true);
  let text = `NAME:\n   runc ${v.name} - ${v.usage}\n\nUSAGE:\n   runc ${v.name}`;
  if (v.flags.length > 0) text += " [command options]";
  text += ` ${v.argsUsage ?? "[arguments...]"}`;
  if (v.description) text += `\n\nDESCRIPTION:\n   ${v.description}`;
  if (v.flags.length > 0) {
    text += `\n\nOPTIONS:\n   ${v.flags.map((f) => flagLine(f) + "\n   ").join("")}`;
  }
  return tabwriter(text + "\n");
}

/** `runc --help`; `version` is the text after "VERSION:" (several lines in runc's). */
export function appUsage(version: string): string {
  const commands = Object.values(VERBS).map((v) => `   ${v.name}\t${v.usage}`);
  commands.push("   help, h\tShows a list of commands or help for one command");
  const globals = [
    ...GLOBAL_FLAGS,
    HELP_FLAG,
    { name: "version", aliases: ["v"], kind: "bool", usage: "print the version" } as const,
  ];
  const text = `NAME:\n   runc - ${APP_USAGE}\n\nUSAGE:\n` +
    `   runc [global options] command [command options] [arguments...]\n\n` +
    `VERSION:\n   ${version}\n\nCOMMANDS:\n${commands.join("\n")}\n\n` +
    `GLOBAL OPTIONS:\n   ${globals.map(flagLine).join("\n   ")}\n`;
  return tabwriter(text);
}

/**
 * What runc prints on stdout for a usage error before exiting 1: "Incorrect Usage: …" and
 * the verb's help (flag errors), "Incorrect Usage." and the help (argument counts), or
 * "Incorrect Usage. …" and the app's help (global flags). runc also logs the message.
 */
export function incorrectUsage(err: UsageError, version: string): string {
  if (err.verb === undefined) return `Incorrect Usage. ${err.message}\n\n${appUsage(version)}`;
  const head = err.detail ? `Incorrect Usage: ${err.message}` : "Incorrect Usage.";
  return `${head}\n\n${usage(err.verb)}`;
}

function flagLine(f: FlagSpec): string {
  const names = [f.name, ...(f.aliases ?? [])]
    .map((n) => (n.length === 1 ? "-" : "--") + n + (f.kind === "bool" ? "" : " value"))
    .join(", ");
  let def = "";
  if (f.defaultText !== undefined) def = ` (default: ${f.defaultText})`;
  else if (f.kind === "string" && f.default) def = ` (default: ${goQuote(String(f.default))})`;
  else if (f.kind === "int" || f.kind === "uint") def = ` (default: ${f.default ?? 0})`;
  return `${names}\t${f.usage}${def}`;
}

/**
 * text/tabwriter (minwidth 1, padding 2, spaces) for one tab per line: consecutive lines
 * holding a tab form a block whose first cells are padded to the widest plus two.
 */
function tabwriter(text: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length;) {
    if (!lines[i].includes("\t")) {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j].includes("\t")) j++;
    const cells = lines.slice(i, j).map((l) => l.split("\t"));
    const width = Math.max(...cells.map((c) => [...c[0]].length)) + 2;
    cells.forEach((c, k) => lines[i + k] = c[0] + " ".repeat(width - [...c[0]].length) + c[1]);
    i = j;
  }
  return lines.join("\n");
}

// ---- runc 1.1.5's flag tables (names, aliases, defaults and texts as `--help` prints) ----

const APP_USAGE = `Open Container Initiative runtime

runc is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format and is a compliant implementation of the
Open Container Initiative specification.

runc integrates well with existing process supervisors to provide a production
container runtime environment for applications. It can be used with your
existing process monitoring tools and the container will be spawned as a
direct child of the process supervisor.

Containers are configured using bundles. A bundle for a container is a directory
that includes a specification file named "config.json" and a root filesystem.
The root filesystem contains the contents of the container.

To start a new instance of a container:

    # runc run [ -b bundle ] <container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host. Providing the bundle directory using "-b" is optional. The default
value for "bundle" is the current directory.`;

export const GLOBAL_FLAGS = [
  { name: "debug", kind: "bool", usage: "enable debug logging" },
  {
    name: "log",
    kind: "string",
    usage: "set the log file to write runc logs to (default is '/dev/stderr')",
  },
  {
    name: "log-format",
    kind: "string",
    default: "text",
    usage: "set the log format ('text' (default), or 'json')",
  },
  {
    name: "root",
    kind: "string",
    default: "/run/runc",
    usage: "root directory for storage of container state (this should be located in tmpfs)",
  },
  {
    name: "criu",
    kind: "string",
    default: "criu",
    usage: "path to the criu binary used for checkpoint and restore",
  },
  {
    name: "systemd-cgroup",
    kind: "bool",
    usage:
      'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name" for e.g. "system.slice:runc:434234"',
  },
  {
    name: "rootless",
    kind: "string",
    default: "auto",
    usage: "ignore cgroup permission errors ('true', 'false', or 'auto')",
  },
] as const satisfies readonly FlagSpec[];

/** What `create` and `run` share in runc's help: the argument and the bundle text. */
const CONTAINER_ID_ARGS = `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`;

const bundleDescription = (verb: string) =>
  `The ${verb} command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem.

The specification file includes an args parameter. The args parameter is used
to specify command(s) that get run when the container is started. To change the
command(s) that get executed on start, edit the args parameter of the spec. See
"runc spec --help" for more explanation.`;

/** Flags `create` and `run` share (each verb lists them in runc's order). */
const BUNDLE_FLAG = {
  name: "bundle",
  aliases: ["b"],
  kind: "string",
  usage: "path to the root of the bundle directory, defaults to the current directory",
} as const;
const CONSOLE_SOCKET_FLAG = {
  name: "console-socket",
  kind: "string",
  usage:
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
} as const;
const PID_FILE_FLAG = {
  name: "pid-file",
  kind: "string",
  usage: "specify the file to write the process id to",
} as const;
const NO_PIVOT_FLAG = {
  name: "no-pivot",
  kind: "bool",
  usage:
    "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk",
} as const;
const NO_NEW_KEYRING_FLAG = {
  name: "no-new-keyring",
  kind: "bool",
  usage:
    "do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key",
} as const;
const PRESERVE_FDS_FLAG = {
  name: "preserve-fds",
  kind: "int",
  default: 0,
  usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",
} as const;

/** Every verb of runc 1.1.5, in the order `runc --help` lists them. */
export const VERBS = {
  checkpoint: {
    name: "checkpoint",
    usage: "checkpoint a running container",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
checkpointed.`,
    description: `The checkpoint command saves the state of the container instance.`,
    args: { min: 1, max: 1 },
    flags: [
      { name: "image-path", kind: "string", usage: "path for saving criu image files" },
      { name: "work-path", kind: "string", usage: "path for saving work files and logs" },
      {
        name: "parent-path",
        kind: "string",
        usage: "path for previous criu image files in pre-dump",
      },
      {
        name: "leave-running",
        kind: "bool",
        usage: "leave the process running after checkpointing",
      },
      { name: "tcp-established", kind: "bool", usage: "allow open tcp connections" },
      { name: "ext-unix-sk", kind: "bool", usage: "allow external unix sockets" },
      { name: "shell-job", kind: "bool", usage: "allow shell jobs" },
      { name: "lazy-pages", kind: "bool", usage: "use userfaultfd to lazily restore memory pages" },
      {
        name: "status-fd",
        kind: "int",
        default: -1,
        usage: "criu writes \\0 to this FD once lazy-pages is ready",
      },
      { name: "page-server", kind: "string", usage: "ADDRESS:PORT of the page server" },
      { name: "file-locks", kind: "bool", usage: "handle file locks, for safety" },
      {
        name: "pre-dump",
        kind: "bool",
        usage: "dump container's memory information only, leave the container running after this",
      },
      {
        name: "manage-cgroups-mode",
        kind: "string",
        usage: "cgroups mode: 'soft' (default), 'full' and 'strict'",
      },
      {
        name: "empty-ns",
        kind: "strings",
        usage: "create a namespace, but don't restore its properties",
      },
      { name: "auto-dedup", kind: "bool", usage: "enable auto deduplication of memory images" },
    ],
  },
  create: {
    name: "create",
    usage: "create a container",
    argsUsage: CONTAINER_ID_ARGS,
    description: bundleDescription("create"),
    args: { min: 1, max: 1 },
    flags: [
      BUNDLE_FLAG,
      CONSOLE_SOCKET_FLAG,
      PID_FILE_FLAG,
      NO_PIVOT_FLAG,
      NO_NEW_KEYRING_FLAG,
      PRESERVE_FDS_FLAG,
    ],
  },
  delete: {
    name: "delete",
    usage: "delete any resources held by the container often used with detached container",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.

EXAMPLE:
For example, if the container id is "ubuntu01" and runc list currently shows the
status of "ubuntu01" as "stopped" the following will delete resources held for
"ubuntu01" removing "ubuntu01" from the runc list of containers:

       # runc delete ubuntu01`,
    args: { min: 1, max: 1 },
    flags: [
      {
        name: "force",
        aliases: ["f"],
        kind: "bool",
        usage: "Forcibly deletes the container if it is still running (uses SIGKILL)",
      },
    ],
  },
  events: {
    name: "events",
    usage:
      "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.`,
    description: `The events command displays information about the container. By default the
information is displayed once every 5 seconds.`,
    args: { min: 1, max: 1 },
    flags: [
      {
        name: "interval",
        kind: "duration",
        default: 5000,
        defaultText: "5s",
        usage: "set the stats collection interval",
      },
      { name: "stats", kind: "bool", usage: "display the container's stats then exit" },
    ],
  },
  exec: {
    name: "exec",
    usage: "execute new process inside the container",
    argsUsage: `<container-id> <command> [command options]  || -p process.json <container-id>

Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # runc exec <container-id> ps`,
    args: { min: 1 },
    skipArgReorder: true,
    flags: [
      {
        name: "console-socket",
        kind: "string",
        usage:
          "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
      },
      { name: "cwd", kind: "string", usage: "current working directory in the container" },
      { name: "env", aliases: ["e"], kind: "strings", usage: "set environment variables" },
      { name: "tty", aliases: ["t"], kind: "bool", usage: "allocate a pseudo-TTY" },
      { name: "user", aliases: ["u"], kind: "string", usage: "UID (format: <uid>[:<gid>])" },
      { name: "additional-gids", aliases: ["g"], kind: "strings", usage: "additional gids" },
      { name: "process", aliases: ["p"], kind: "string", usage: "path to the process.json" },
      {
        name: "detach",
        aliases: ["d"],
        kind: "bool",
        usage: "detach from the container's process",
      },
      { name: "pid-file", kind: "string", usage: "specify the file to write the process id to" },
      {
        name: "process-label",
        kind: "string",
        usage: "set the asm process label for the process commonly used with selinux",
      },
      { name: "apparmor", kind: "string", usage: "set the apparmor profile for the process" },
      {
        name: "no-new-privs",
        kind: "bool",
        usage: "set the no new privileges value for the process",
      },
      {
        name: "cap",
        aliases: ["c"],
        kind: "strings",
        usage: "add a capability to the bounding set for the process",
      },
      {
        name: "preserve-fds",
        kind: "int",
        default: 0,
        usage:
          "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",
      },
      {
        name: "cgroup",
        kind: "strings",
        usage: "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
      },
      { name: "ignore-paused", kind: "bool", usage: "allow exec in a paused container" },
    ],
  },
  kill: {
    name: "kill",
    usage: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    argsUsage: `<container-id> [signal]

Where "<container-id>" is the name for the instance of the container and
"[signal]" is the signal to be sent to the init process.

EXAMPLE:
For example, if the container id is "ubuntu01" the following will send a "KILL"
signal to the init process of the "ubuntu01" container:

       # runc kill ubuntu01 KILL`,
    args: { min: 1, max: 2 },
    flags: [
      {
        name: "all",
        aliases: ["a"],
        kind: "bool",
        usage: "send the specified signal to all processes inside the container",
      },
    ],
  },
  list: {
    name: "list",
    usage: "lists containers started by runc with the given root",
    argsUsage: `

Where the given root is specified via the global option "--root"
(default: "/run/runc").

EXAMPLE 1:
To list containers created via the default "--root":
       # runc list

EXAMPLE 2:
To list containers created using a non-default value for "--root":
       # runc --root value list`,
    args: { min: 0, max: 0 },
    flags: [
      {
        name: "format",
        aliases: ["f"],
        kind: "string",
        default: "table",
        usage: "select one of: table or json",
      },
      { name: "quiet", aliases: ["q"], kind: "bool", usage: "display only container IDs" },
    ],
  },
  pause: {
    name: "pause",
    usage: "pause suspends all processes inside the container",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
paused. `,
    description: `The pause command suspends all processes in the instance of the container.

Use runc list to identify instances of containers and their current status.`,
    args: { min: 1, max: 1 },
    flags: [],
  },
  ps: {
    name: "ps",
    usage: "ps displays the processes running inside a container",
    argsUsage: "<container-id> [ps options]",
    args: { min: 1 },
    skipArgReorder: true,
    flags: [
      {
        name: "format",
        aliases: ["f"],
        kind: "string",
        default: "table",
        usage: "select one of: table or json",
      },
    ],
  },
  restore: {
    name: "restore",
    usage: "restore a container from a previous checkpoint",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
restored.`,
    description: `Restores the saved state of the container instance that was previously saved
using the runc checkpoint command.`,
    args: { min: 1, max: 1 },
    flags: [
      {
        name: "console-socket",
        kind: "string",
        usage:
          "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
      },
      { name: "image-path", kind: "string", usage: "path to criu image files for restoring" },
      { name: "work-path", kind: "string", usage: "path for saving work files and logs" },
      { name: "tcp-established", kind: "bool", usage: "allow open tcp connections" },
      { name: "ext-unix-sk", kind: "bool", usage: "allow external unix sockets" },
      { name: "shell-job", kind: "bool", usage: "allow shell jobs" },
      { name: "file-locks", kind: "bool", usage: "handle file locks, for safety" },
      {
        name: "manage-cgroups-mode",
        kind: "string",
        usage: "cgroups mode: 'soft' (default), 'full' and 'strict'",
      },
      {
        name: "bundle",
        aliases: ["b"],
        kind: "string",
        usage: "path to the root of the bundle directory",
      },
      {
        name: "detach",
        aliases: ["d"],
        kind: "bool",
        usage: "detach from the container's process",
      },
      { name: "pid-file", kind: "string", usage: "specify the file to write the process id to" },
      {
        name: "no-subreaper",
        kind: "bool",
        usage: "disable the use of the subreaper used to reap reparented processes",
      },
      {
        name: "no-pivot",
        kind: "bool",
        usage:
          "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk",
      },
      {
        name: "empty-ns",
        kind: "strings",
        usage: "create a namespace, but don't restore its properties",
      },
      { name: "auto-dedup", kind: "bool", usage: "enable auto deduplication of memory images" },
      { name: "lazy-pages", kind: "bool", usage: "use userfaultfd to lazily restore memory pages" },
      {
        name: "lsm-profile",
        kind: "string",
        usage: "Specify an LSM profile to be used during restore in the form of TYPE:NAME.",
      },
      {
        name: "lsm-mount-context",
        kind: "string",
        usage: "Specify an LSM mount context to be used during restore.",
      },
    ],
  },
  resume: {
    name: "resume",
    usage: "resumes all processes that have been previously paused",
    argsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
resumed.`,
    description: `The resume command resumes all processes in the instance of the container.

Use runc list to identify instances of containers and their current status.`,
    args: { min: 1, max: 1 },
    flags: [],
  },
  run: {
    name: "run",
    usage: "create and run a container",
    argsUsage: CONTAINER_ID_ARGS,
    description: bundleDescription("run"),
    args: { min: 1, max: 1 },
    flags: [
      BUNDLE_FLAG,
      CONSOLE_SOCKET_FLAG,
      {
        name: "detach",
        aliases: ["d"],
        kind: "bool",
        usage: "detach from the container's process",
      },
      { name: "keep", kind: "bool", usage: "do not delete the container after it exits" },
      PID_FILE_FLAG,
      {
        name: "no-subreaper",
        kind: "bool",
        usage: "disable the use of the subreaper used to reap reparented processes",
      },
      NO_PIVOT_FLAG,
      NO_NEW_KEYRING_FLAG,
      PRESERVE_FDS_FLAG,
    ],
  },
  spec: {
    name: "spec",
    usage: "create a new specification file",
    description: `The spec command creates the new specification file named "config.json" for
the bundle.

The spec generated is just a starter file. Editing of the spec is required to
achieve desired results. For example, the newly generated spec includes an args
parameter that is initially set to call the "sh" command when the container is
started. Calling "sh" may work for an ubuntu container or busybox, but will not
work for containers that do not include the "sh" program.

EXAMPLE:
  To run docker's hello-world container one needs to set the args parameter
in the spec to call hello. This can be done using the sed command or a text
editor. The following commands create a bundle for hello-world, change the
default args parameter in the spec from "sh" to "/hello", then run the hello
command in a new hello-world container named container1:

    mkdir hello
    cd hello
    docker pull hello-world
    docker export $(docker create hello-world) > hello-world.tar
    mkdir rootfs
    tar -C rootfs -xf hello-world.tar
    runc spec
    sed -i 's;"sh";"/hello";' config.json
    runc run container1

In the run command above, "container1" is the name for the instance of the
container that you are starting. The name you provide for the container instance
must be unique on your host.

An alternative for generating a customized spec config is to use "oci-runtime-tool", the
sub-command "oci-runtime-tool generate" has lots of options that can be used to do any
customizations as you want, see runtime-tools (https://github.com/opencontainers/runtime-tools)
to get more information.

When starting a container through runc, runc needs root privilege. If not
already running as root, you can use sudo to give runc root privilege. For
example: "sudo runc start container1" will give runc root privilege to start the
container on your host.

Alternatively, you can start a rootless container, which has the ability to run
without root privileges. For this to work, the specification file needs to be
adjusted accordingly. You can pass the parameter --rootless to this command to
generate a proper rootless spec file.

Note that --rootless is not needed when you execute runc as the root in a user namespace
created by an unprivileged user.
`,
    args: { min: 0, max: 0 },
    flags: [
      {
        name: "bundle",
        aliases: ["b"],
        kind: "string",
        usage: "path to the root of the bundle directory",
      },
      {
        name: "rootless",
        kind: "bool",
        usage: "generate a configuration for a rootless container",
      },
    ],
  },
  start: {
    name: "start",
    usage: "executes the user defined process in a created container",
    argsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
    description: `The start command executes the user defined process in a created container.`,
    args: { min: 1, max: 1 },
    flags: [],
  },
  state: {
    name: "state",
    usage: "output the state of a container",
    argsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container.`,
    description: `The state command outputs current state information for the
instance of a container.`,
    args: { min: 1, max: 1 },
    flags: [],
  },
  update: {
    name: "update",
    usage: "update container resource constraints",
    argsUsage: "<container-id>",
    args: { min: 1, max: 1 },
    flags: [
      {
        name: "resources",
        aliases: ["r"],
        kind: "string",
        usage:
          `path to the file containing the resources to update or '-' to read from the standard input

The accepted format is as follow (unchanged values can be omitted):

{
  "memory": {
    "limit": 0,
    "reservation": 0,
    "swap": 0
  },
  "cpu": {
    "shares": 0,
    "quota": 0,
    "period": 0,
    "realtimeRuntime": 0,
    "realtimePeriod": 0,
    "cpus": "",
    "mems": ""
  },
  "blockIO": {
    "weight": 0
  }
}

Note: if data is to be read from a file or the standard input, all
other options are ignored.`,
      },
      {
        name: "blkio-weight",
        kind: "uint",
        default: 0,
        usage: "Specifies per cgroup weight, range is from 10 to 1000",
      },
      {
        name: "cpu-period",
        kind: "string",
        usage: "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
      },
      {
        name: "cpu-quota",
        kind: "string",
        usage: "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period",
      },
      {
        name: "cpu-share",
        kind: "string",
        usage: "CPU shares (relative weight vs. other containers)",
      },
      {
        name: "cpu-rt-period",
        kind: "string",
        usage: "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
      },
      {
        name: "cpu-rt-runtime",
        kind: "string",
        usage: "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period",
      },
      { name: "cpuset-cpus", kind: "string", usage: "CPU(s) to use" },
      { name: "cpuset-mems", kind: "string", usage: "Memory node(s) to use" },
      { name: "memory", kind: "string", usage: "Memory limit (in bytes)" },
      {
        name: "memory-reservation",
        kind: "string",
        usage: "Memory reservation or soft_limit (in bytes)",
      },
      {
        name: "memory-swap",
        kind: "string",
        usage: "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
      },
      {
        name: "pids-limit",
        kind: "int",
        default: 0,
        usage: "Maximum number of pids allowed in the container",
      },
      {
        name: "l3-cache-schema",
        kind: "string",
        usage: "The string of Intel RDT/CAT L3 cache schema",
      },
      {
        name: "mem-bw-schema",
        kind: "string",
        usage: "The string of Intel RDT/MBA memory bandwidth schema",
      },
    ],
  },
  features: {
    name: "features",
    usage: "show the enabled features",
    description: `Show the enabled features.
   The result is parsable as a JSON.
   See https://pkg.go.dev/github.com/opencontainers/runc/types/features for the type definition.
   The types are experimental and subject to change.
`,
    args: { min: 0, max: 0 },
    flags: [],
  },
} as const satisfies Record<string, VerbSpec>;

export type VerbName = keyof typeof VERBS;
