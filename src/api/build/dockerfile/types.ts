// The typed Dockerfile, as buildkit's frontend/dockerfile/instructions package (which
// Docker's classic builder also uses). Words are kept unexpanded: variables are substituted
// at dispatch time (expand.ts), because the environment depends on earlier ENV/ARG steps.

/** Where an instruction sits in the Dockerfile and how the builder prints it. */
export interface InstructionBase {
  /** 1-based line of the instruction's first line. */
  line: number;
  /** 1-based line of its last (continuation) line. */
  endLine: number;
  /**
   * The instruction as written, continuation lines joined without the escape character and
   * trimmed: what the classic builder prints in "Step N/M : <original>".
   */
  original: string;
}

/** `key=value` (ENV, LABEL): both sides unexpanded, quotes still in place. */
export interface KeyValue {
  key: string;
  value: string;
}

/** ARG `name[=default]`: the default is absent (not "") when none is written. */
export interface ArgDefinition {
  key: string;
  value?: string;
}

/**
 * RUN/CMD/ENTRYPOINT's command, as buildkit's ShellDependantCmdLine: the JSON (exec) form
 * gives the words as written; the shell form gives one element (the text after the keyword)
 * and `prependShell` (the builder runs it through SHELL, `/bin/sh -c` by default).
 */
export interface CommandLine {
  args: string[];
  prependShell: boolean;
}

export interface RunInstruction extends InstructionBase, CommandLine {
  kind: "run";
  /**
   * Builder flags written (only `mount` parses; Docker 20.10's classic builder then fails the
   * step with "the --mount option requires BuildKit. Refer to …").
   */
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase, CommandLine {
  kind: "cmd";
}

export interface EntrypointInstruction extends InstructionBase, CommandLine {
  kind: "entrypoint";
}

export interface EnvInstruction extends InstructionBase {
  kind: "env";
  pairs: KeyValue[];
}

export interface ArgInstruction extends InstructionBase {
  kind: "arg";
  args: ArgDefinition[];
}

export interface LabelInstruction extends InstructionBase {
  kind: "label";
  pairs: KeyValue[];
}

export interface WorkdirInstruction extends InstructionBase {
  kind: "workdir";
  path: string;
}

export interface UserInstruction extends InstructionBase {
  kind: "user";
  user: string;
}

export interface ExposeInstruction extends InstructionBase {
  kind: "expose";
  /** Port specs as written; each expands to several words (expandWords). */
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase {
  kind: "volume";
  volumes: string[];
}

/** COPY and ADD: the last word is the destination. */
export interface CopyInstruction extends InstructionBase {
  kind: "copy";
  sources: string[];
  dest: string;
  /** `--from=<stage name|stage index|image>`. */
  from?: string;
  chown?: string;
  chmod?: string;
}

export interface AddInstruction extends InstructionBase {
  kind: "add";
  sources: string[];
  dest: string;
  chown?: string;
  chmod?: string;
}

export interface ShellInstruction extends InstructionBase {
  kind: "shell";
  shell: string[];
}

export interface StopsignalInstruction extends InstructionBase {
  kind: "stopsignal";
  signal: string;
}

/** Docker's container.HealthConfig: durations in nanoseconds, 0 = inherit. */
export interface HealthConfig {
  /** ["NONE"], ["CMD", ...args] or ["CMD-SHELL", command]. */
  Test: string[];
  Interval: number;
  Timeout: number;
  StartPeriod: number;
  Retries: number;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: "healthcheck";
  health: HealthConfig;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: "onbuild";
  /** The wrapped instruction as written (stored in the image's OnBuild list). */
  expression: string;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: "maintainer";
  maintainer: string;
}

export type Instruction =
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | EnvInstruction
  | ArgInstruction
  | LabelInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | VolumeInstruction
  | CopyInstruction
  | AddInstruction
  | ShellInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

/** One build stage: its FROM line and the instructions up to the next FROM. */
export interface Stage {
  /** `AS name`, lower-cased as Docker does. */
  name?: string;
  /** The base image as written (may use meta args: expand with the meta args' values). */
  baseName: string;
  /** `--platform=` as written (unexpanded). */
  platform?: string;
  /** The FROM line (1-based). */
  line: number;
  endLine: number;
  /** The FROM instruction as written, for "Step N/M : FROM …". */
  original: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** `\` by default, or the `# escape=` directive's character. */
  escapeChar: string;
  /** The `# syntax=` directive, if present (recorded; the classic builder ignores it). */
  syntax?: string;
  /** ARG instructions before the first FROM. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  /** Non-fatal remarks, e.g. empty continuation lines (Docker prints them as warnings). */
  warnings: string[];
}

/** A Dockerfile syntax or instruction error, with its line (as Docker's messages name it). */
export class DockerfileParseError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = "DockerfileParseError";
  }
}
