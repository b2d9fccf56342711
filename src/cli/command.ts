// Declarative command definitions: the single source for parsing, `--help`, dispatch and
// (later) shell completion. Definitions live in src/cli/command_table/; the code that runs a
// verb lives in src/cli/verbs/<verb>.ts and is imported only when that verb runs.

import type { Flags, FlagSpec } from "./flags.ts";

export const PROGRAM = "engine";

/** Positional argument counts (cobra's NoArgs / ExactArgs / RequiresMinArgs / RangeArgs). */
export interface ArgsSpec {
  min: number;
  max: number;
}

export const NO_ARGS: ArgsSpec = { min: 0, max: 0 };
export const exactly = (n: number): ArgsSpec => ({ min: n, max: n });
export const atLeast = (n: number): ArgsSpec => ({ min: n, max: Infinity });
export const atMost = (n: number): ArgsSpec => ({ min: 0, max: n });
export const between = (min: number, max: number): ArgsSpec => ({ min, max });

export interface CommandDef {
  /** Canonical path: "run", "image ls", "system prune". */
  path: string;
  /** What follows the command path in the usage line: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  /** Further usage lines (docker cp has two); each is printed as "\t<program> <path> <line>". */
  moreUsage?: string[];
  short: string;
  /** Shown instead of `short` in --help when set. */
  long?: string;
  /** Every form that runs this command, as docker lists them ("container run", "run"). */
  aliases?: string[];
  args: ArgsSpec;
  /** false for run/create/exec: flags end at the first positional. */
  interspersed?: boolean;
  /** Exit status for usage errors of flags (125 for every docker command). */
  flags: FlagSpec[];
  /** Module under src/cli/verbs/ implementing the command. */
  verb: string;
}

/** What a verb module receives. */
export interface Invocation {
  def: CommandDef;
  /** The path as typed ("container ls" or "ps"), for messages. */
  path: string;
  flags: Flags;
  args: string[];
  globals: GlobalOptions;
}

export interface GlobalOptions {
  hosts: string[];
  debug: boolean;
  logLevel: string;
  config: string;
  tls: boolean;
  tlsverify: boolean;
  tlscacert: string;
  tlscert: string;
  tlskey: string;
}

/** A verb module: src/cli/verbs/<name>.ts exports `run`. Returns the exit status. */
export interface VerbModule {
  run(inv: Invocation): Promise<number>;
}

/** An error that ends the command with a given status and message (cobra's StatusError). */
export class StatusError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}
