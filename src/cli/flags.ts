// Docker's flag parsing: spf13/pflag + cobra semantics, without node:util parseArgs
// (which cannot stop at the first positional, as `run IMAGE CMD…` needs).
//
//   -a -b / -ab bundled bool shorts / -e K=V / -eK=V / --env K=V / --env=K=V / -- ends flags
//   interspersed=false (run, create, exec): parsing stops at the first positional.
//
// Errors carry pflag's exact wording; the caller (main.ts) adds the usage lines and exit 125.

import { parseDecimal, parseMemoryBytes } from "./units.ts";
import { parseDuration } from "../lib/duration.ts";

/** Flag value types, named as pflag/docker print them in `--help` (`--cpus decimal`). */
export type FlagType =
  | "bool"
  | "string"
  | "int"
  | "uint"
  | "list"
  | "strings"
  | "map"
  | "filter"
  | "bytes"
  | "duration"
  | "decimal";

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  help: string;
  /** Parsed default (what the verb sees when the flag is absent). */
  default?: boolean | string | number;
  /** How `--help` shows the default when it is not the zero value: `(default <text>)`. */
  defaultText?: string;
  /** The type word printed after the flag name when it differs from `type` (uint16, bytes, …). */
  typeName?: string;
  hidden?: boolean;
}

export type FlagValue = boolean | string | number | string[] | Record<string, string>;

/** pflag's error wording; `main` turns it into docker's usage message + exit 125. */
export class FlagError extends Error {
  override name = "FlagError";
}

/** Parsed flags: typed getters over the values set on the command line or defaulted. */
export class Flags {
  readonly values = new Map<string, FlagValue>();
  /** Names the user actually set (pflag's `Changed`). */
  readonly changed = new Set<string>();
  constructor(readonly specs: FlagSpec[]) {
    for (const s of specs) this.values.set(s.name, zeroValue(s));
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  string(name: string): string {
    return this.get(name) as string;
  }
  number(name: string): number {
    return this.get(name) as number;
  }
  list(name: string): string[] {
    return this.get(name) as string[];
  }
  map(name: string): Record<string, string> {
    return this.get(name) as Record<string, string>;
  }
  isSet(name: string): boolean {
    return this.changed.has(name);
  }
  private get(name: string): FlagValue {
    if (!this.values.has(name)) throw new Error(`flag --${name} is not defined`);
    return this.values.get(name)!;
  }
}

export interface ParseResult {
  flags: Flags;
  args: string[];
  /** `-h`/`--help` was given (cobra shows help instead of running the command). */
  help: boolean;
}

export interface ParseOptions {
  /** false: stop at the first positional argument (docker's `SetInterspersed(false)`). */
  interspersed?: boolean;
}

function zeroValue(s: FlagSpec): FlagValue {
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case "bool":
      return false;
    case "string":
      return "";
    case "list":
    case "strings":
    case "filter":
      return [];
    case "map":
      return {};
    default:
      return 0;
  }
}

/** Parse `args` against `specs` the way pflag does. Throws FlagError. */
export function parseFlags(
  specs: FlagSpec[],
  args: string[],
  options: ParseOptions = {},
): ParseResult {
  const interspersed = options.interspersed ?? true;
  const flags = new Flags(specs);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const positionals: string[] = [];
  let help = false;
  let i = 0;
  while (i < args.length) {
    const arg = args[i++];
    if (arg === "--") {
      positionals.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      if (!interspersed) {
        positionals.push(...args.slice(i));
        break;
      }
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byName.get(name);
      if (!spec) {
        if (name === "help") {
          help = true;
          continue;
        }
        throw new FlagError(`unknown flag: --${name}`);
      }
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (spec.type === "bool") value = "true";
      else if (i < args.length) value = args[i++];
      else throw new FlagError(`flag needs an argument: --${name}`);
      setValue(flags, spec, value, `--${name}`);
      continue;
    }
    // One or more shorthands: -it, -e K=V, -eK=V, -e=K=V.
    let rest = arg.slice(1);
    while (rest.length > 0) {
      const c = rest[0];
      const spec = byShort.get(c);
      if (!spec) {
        if (c === "h") {
          help = true;
          rest = rest.slice(1);
          continue;
        }
        throw new FlagError(`unknown shorthand flag: '${c}' in -${rest}`);
      }
      rest = rest.slice(1);
      if (spec.type === "bool") {
        if (rest.startsWith("=")) {
          setValue(flags, spec, rest.slice(1), `-${c}`);
          rest = "";
        } else setValue(flags, spec, "true", `-${c}`);
        continue;
      }
      let value: string;
      if (rest.startsWith("=")) value = rest.slice(1);
      else if (rest.length > 0) value = rest;
      else if (i < args.length) value = args[i++];
      else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      setValue(flags, spec, value, `-${c}`);
      rest = "";
    }
  }
  return { flags, args: positionals, help };
}

function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function setValue(flags: Flags, spec: FlagSpec, raw: string, _as: string): void {
  try {
    flags.values.set(spec.name, convert(flags.values.get(spec.name), spec, raw, flags));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FlagError(`invalid argument "${raw}" for "${flagLabel(spec)}" flag: ${reason}`);
  }
  flags.changed.add(spec.name);
}

function convert(current: FlagValue | undefined, spec: FlagSpec, raw: string, flags: Flags) {
  const fresh = !flags.changed.has(spec.name);
  switch (spec.type) {
    case "bool":
      return parseBool(raw);
    case "string":
      return raw;
    case "int":
    case "uint":
      return parseGoInt(raw, spec.type === "uint");
    case "list":
    case "filter":
      return [...(fresh ? [] : current as string[]), raw];
    case "strings": // pflag StringSlice: comma-separated, repeatable
      return [...(fresh ? [] : current as string[]), ...(raw === "" ? [] : raw.split(","))];
    case "map": {
      const eq = raw.indexOf("=");
      const key = eq < 0 ? raw : raw.slice(0, eq);
      const value = eq < 0 ? "" : raw.slice(eq + 1);
      return { ...(fresh ? {} : current as Record<string, string>), [key]: value };
    }
    case "bytes":
      return parseMemoryBytes(raw);
    case "duration":
      return parseDuration(raw);
    case "decimal":
      return parseDecimal(raw);
  }
}

/** Go's strconv.ParseBool. */
export function parseBool(raw: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

/** Go's strconv.ParseInt(raw, 0, 64) (and ParseUint), with its error wording. */
export function parseGoInt(raw: string, unsigned = false): number {
  const fn = unsigned ? "strconv.ParseUint" : "strconv.ParseInt";
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9_]+)$/.exec(raw);
  if (!m || (unsigned && m[1] !== "")) {
    throw new Error(`${fn}: parsing ${JSON.stringify(raw)}: invalid syntax`);
  }
  let digits = m[2].replaceAll("_", "");
  if (/^0[0-7]/.test(digits)) digits = "0o" + digits.slice(1);
  const n = Number(digits) * (m[1] === "-" ? -1 : 1);
  if (!Number.isSafeInteger(n)) {
    throw new Error(`${fn}: parsing ${JSON.stringify(raw)}: value out of range`);
  }
  return n;
}
