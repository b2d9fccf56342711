// Parser nodes into typed instructions, as buildkit's frontend/dockerfile/instructions
// (the version Docker 20.10's classic builder vendors): each instruction's builder flags,
// argument counts and error texts.

import { parseDuration } from "../../../lib/duration.ts";
import type { Node } from "./parser.ts";
import type {
  ArgDefinition,
  ArgInstruction,
  CommandLine,
  HealthConfig,
  Instruction,
  InstructionBase,
  KeyValue,
  Stage,
} from "./types.ts";

/** A stage's FROM line, before its instructions are attached. */
export type StageHeader = Omit<Stage, "instructions">;

const MINIMUM_DURATION = 1e6; // container.MinimumDuration: 1ms
const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Docker's BFlags: the flags an instruction declares, checked against those written. */
class Flags {
  private readonly declared = new Map<string, "string" | "strings">();
  private readonly values = new Map<string, string>();

  constructor(private readonly written: string[]) {}

  string(name: string): this {
    this.declared.set(name, "string");
    return this;
  }

  /** A flag that may be repeated (RUN --mount). */
  strings(name: string): this {
    this.declared.set(name, "strings");
    return this;
  }

  parse(): this {
    for (const arg of this.written) {
      if (!arg.startsWith("--")) throw new Error(`Arg should start with -- : ${arg}`);
      if (arg === "--") break;
      const body = arg.slice(2);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const type = this.declared.get(name);
      if (!type) throw new Error(`Unknown flag: ${name}`);
      if (this.values.has(name) && type === "string") {
        throw new Error(`Duplicate flag specified: ${name}`);
      }
      if (eq < 0) throw new Error(`Missing a value on flag: ${name}`);
      this.values.set(name, body.slice(eq + 1));
    }
    return this;
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  used(): string[] {
    return [...this.values.keys()];
  }
}

const atLeastOne = (cmd: string) => new Error(`${cmd} requires at least one argument`);
const exactlyOne = (cmd: string) => new Error(`${cmd} requires exactly one argument`);
const blankNames = (cmd: string) => new Error(`${cmd} names can not be blank`);
const noDestination = (cmd: string) =>
  new Error(
    `${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );

function base(node: Node): InstructionBase {
  return { line: node.startLine, endLine: node.endLine, original: node.original.trim() };
}

/** RUN/CMD/ENTRYPOINT's command: the JSON words, or the shell text as one word. */
function commandLine(node: Node): CommandLine {
  if (node.json) return { args: node.args, prependShell: false };
  return { args: node.args.length ? [node.args.join(" ")] : [], prependShell: true };
}

function pairs(node: Node, cmd: string): KeyValue[] {
  if (node.args.length === 0) throw atLeastOne(cmd);
  if (node.args.length % 2 !== 0) throw new Error(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let i = 0; i < node.args.length; i += 2) {
    if (node.args[i] === "") throw blankNames(cmd);
    out.push({ key: node.args[i], value: node.args[i + 1] });
  }
  return out;
}

function parseArgs(node: Node): ArgDefinition[] {
  if (node.args.length === 0) throw atLeastOne("ARG");
  return node.args.map((arg) => {
    const eq = arg.indexOf("=");
    if (eq < 0) return { key: arg };
    if (eq === 0) throw blankNames("ARG");
    return { key: arg.slice(0, eq), value: arg.slice(eq + 1) };
  });
}

function interval(flags: Flags, name: string): number {
  const text = flags.get(name);
  if (text === undefined || text === "") return 0;
  const ns = parseDuration(text);
  if (ns < MINIMUM_DURATION) throw new Error(`Interval "${name}" cannot be less than 1ms`);
  return ns;
}

function parseHealthcheck(node: Node): HealthConfig {
  if (node.args.length === 0) throw atLeastOne("HEALTHCHECK");
  const type = node.args[0].toUpperCase();
  const rest = node.args.slice(1);
  const health: HealthConfig = { Test: [], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 };
  if (type === "NONE") {
    if (rest.length !== 0) throw new Error("HEALTHCHECK NONE takes no arguments");
    health.Test = ["NONE"];
    return health;
  }
  const flags = new Flags(node.flags).string("interval").string("timeout").string("start-period")
    .string("retries").parse();
  if (type !== "CMD") {
    throw new Error(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  }
  const cmd = node.json ? rest : rest.length ? [rest.join(" ")] : [];
  if (cmd.length === 0) throw new Error("Missing command after HEALTHCHECK CMD");
  health.Test = [node.json ? "CMD" : "CMD-SHELL", ...cmd];
  health.Interval = interval(flags, "interval");
  health.Timeout = interval(flags, "timeout");
  health.StartPeriod = interval(flags, "start-period");
  const retries = flags.get("retries");
  if (retries !== undefined && retries !== "") {
    if (!/^[+-]?\d+$/.test(retries)) {
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    }
    const n = Number(retries);
    if (n > 2 ** 31 - 1 || n < -(2 ** 31)) {
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: value out of range`);
    }
    if (n < 1) throw new Error(`--retries must be at least 1 (not ${n})`);
    health.Retries = n;
  }
  return health;
}

function parseFrom(node: Node): StageHeader {
  const args = node.args;
  let name: string | undefined;
  if (args.length === 3 && args[1].toLowerCase() === "as") {
    name = args[2].toLowerCase();
    if (!VALID_STAGE_NAME.test(name)) {
      throw new Error(
        `invalid name for build stage: ${
          JSON.stringify(args[2])
        }, name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) {
    throw new Error("FROM requires either one or three arguments");
  }
  const flags = new Flags(node.flags).string("platform").parse();
  const platform = flags.get("platform");
  return {
    ...(name !== undefined ? { name } : {}),
    baseName: args[0],
    ...(platform ? { platform } : {}),
    line: node.startLine,
    endLine: node.endLine,
    original: node.original.trim(),
  };
}

function parseOnbuild(node: Node): string {
  if (node.args.length === 0) throw atLeastOne("ONBUILD");
  new Flags(node.flags).parse();
  const trigger = node.args[0].toUpperCase();
  if (trigger === "ONBUILD") {
    throw new Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger === "MAINTAINER" || trigger === "FROM") {
    throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  return node.original.replace(/^\s*ONBUILD\s*/i, "");
}

function sourcesAndDest(node: Node, cmd: string) {
  if (node.args.length < 2) throw noDestination(cmd);
  return { sources: node.args.slice(0, -1), dest: node.args[node.args.length - 1] };
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value !== undefined ? { [key]: value } : {}) as Partial<Record<K, string>>;

/** A FROM line gives a stage header; every other node an instruction. */
export function parseInstruction(node: Node): StageHeader | Instruction {
  const b = base(node);
  const plain = () => new Flags(node.flags).parse();
  switch (node.cmd) {
    case "from":
      return parseFrom(node);
    case "env":
      plain();
      return { kind: "env", ...b, pairs: pairs(node, "ENV") };
    case "label":
      plain();
      return { kind: "label", ...b, pairs: pairs(node, "LABEL") };
    case "maintainer":
      if (node.args.length !== 1) throw exactlyOne("MAINTAINER");
      plain();
      return { kind: "maintainer", ...b, maintainer: node.args[0] };
    case "add": {
      const sd = sourcesAndDest(node, "ADD");
      const f = new Flags(node.flags).string("chown").string("chmod").parse();
      return {
        kind: "add",
        ...b,
        ...sd,
        ...optional("chown", f.get("chown")),
        ...optional("chmod", f.get("chmod")),
      };
    }
    case "copy": {
      const sd = sourcesAndDest(node, "COPY");
      const f = new Flags(node.flags).string("chown").string("from").string("chmod").parse();
      return {
        kind: "copy",
        ...b,
        ...sd,
        ...optional("from", f.get("from")),
        ...optional("chown", f.get("chown")),
        ...optional("chmod", f.get("chmod")),
      };
    }
    case "onbuild":
      return { kind: "onbuild", ...b, expression: parseOnbuild(node) };
    case "workdir":
      if (node.args.length !== 1) throw exactlyOne("WORKDIR");
      plain();
      return { kind: "workdir", ...b, path: node.args[0] };
    case "run": {
      const f = new Flags(node.flags).strings("mount").parse();
      return { kind: "run", ...b, ...commandLine(node), flagsUsed: f.used() };
    }
    case "cmd":
      plain();
      return { kind: "cmd", ...b, ...commandLine(node) };
    case "entrypoint":
      plain();
      return { kind: "entrypoint", ...b, ...commandLine(node) };
    case "healthcheck":
      return { kind: "healthcheck", ...b, health: parseHealthcheck(node) };
    case "expose":
      if (node.args.length === 0) throw atLeastOne("EXPOSE");
      plain();
      return { kind: "expose", ...b, ports: [...node.args].sort() };
    case "user":
      if (node.args.length !== 1) throw exactlyOne("USER");
      plain();
      return { kind: "user", ...b, user: node.args[0] };
    case "volume": {
      if (node.args.length === 0) throw atLeastOne("VOLUME");
      plain();
      const volumes = node.args.map((v) => v.trim());
      if (volumes.includes("")) throw new Error("VOLUME specified can not be an empty string");
      return { kind: "volume", ...b, volumes };
    }
    case "stopsignal":
      if (node.args.length !== 1) throw exactlyOne("STOPSIGNAL");
      return { kind: "stopsignal", ...b, signal: node.args[0] };
    case "arg":
      return { kind: "arg", ...b, args: parseArgs(node) } satisfies ArgInstruction;
    case "shell": {
      plain();
      if (node.args.length === 0) throw atLeastOne("SHELL");
      if (!node.json) throw new Error("SHELL requires the arguments to be in JSON form");
      return { kind: "shell", ...b, shell: node.args };
    }
  }
  throw new Error(`unknown instruction: ${node.cmd.toUpperCase()}`);
}
