// `engine daemon`'s options, from the table in src/lib/daemon_options.ts. Flags and the file
// merge as dockerd's do: a directive given both as a flag and in the file is an error, and so
// is an unknown key or a value of the wrong type (moby daemon/config:
// findConfigurationConflicts, getConflictFreeConfiguration).
import { errorMessage, invalidArgument } from "../lib/errors.ts";
import { validateOptions } from "./config_validate.ts";
import type { AddressPool, DaemonOptions } from "./daemon.ts";
import { type OptionKind, OPTIONS, type OptionSpec } from "../lib/daemon_options.ts";
import { parseSize } from "./containers/units.ts";

/** Keys dockerd merges from both sides instead of calling a conflict (moby skipDuplicates). */
const MERGED_KEYS = new Set(["runtimes"]);

export const DEFAULT_CONFIG_FILE = "/etc/engine/daemon.json";

const ARG_WORD: Record<OptionKind, string> = {
  string: "string",
  bool: "",
  int: "int",
  list: "list",
  map: "map",
  runtimes: "runtime",
  pools: "pool-options",
};

/** The usage, from the table (pflag's layout). */
export const USAGE = (() => {
  const rows = OPTIONS.map((o) => {
    const word = o.arg ?? ARG_WORD[o.kind];
    return [`${o.short ? `-${o.short}, ` : "    "}--${o.flag}${word ? " " + word : ""}`, o.help];
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `Usage:  engine daemon [OPTIONS]

The daemon (dockerd's role): the Docker Engine API for containers, exec, logs and events.
Every option with a value can also be set in the configuration file under its key
(the flag's name; lists in the plural: hosts, labels, registry-mirrors, log-opts, …).
SIGHUP reloads the file's debug, log-level, labels, live-restore, max-concurrent-*,
registry-mirrors, insecure-registries, default-runtime and shutdown-timeout.

Options:
${rows.map(([l, h]) => `  ${l.padEnd(width)}${wrap(h, 98 - width, width + 2)}`).join("\n")}
`;
})();

/** Words of `text` in lines of at most `cols`, continued lines indented by `indent`. */
function wrap(text: string, cols: number, indent: number): string {
  const lines = [""];
  for (const w of text.split(" ")) {
    const cur = lines[lines.length - 1];
    if (cur && cur.length + 1 + w.length > cols) lines.push(w);
    else lines[lines.length - 1] = cur ? `${cur} ${w}` : w;
  }
  return lines.join("\n" + " ".repeat(indent));
}

/** The flags given on the command line: each flag's raw values, in order. */
export type FlagValues = Map<string, string[]>;

export type ParsedArgs = { help: true } | DaemonConfig;

export interface DaemonConfig {
  help: false;
  /** --validate: check the configuration and exit. */
  validate: boolean;
  /** The configuration file and whether --config-file named it (then it must exist). */
  configFile: string;
  configFileGiven: boolean;
  flags: FlagValues;
  opts: DaemonOptions;
}

const byFlag = new Map(OPTIONS.map((o) => [o.flag, o]));
const byShort = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short!, o]));
const keyOf = (o: OptionSpec) => (o.key === undefined ? o.flag : o.key);
const byKey = new Map(OPTIONS.filter((o) => keyOf(o) !== null).map((o) => [keyOf(o)!, o]));

/** pflag's parsing: --flag, --flag=v, --flag v, -f v, -fv, bools as --flag or --flag=false. */
export function parseFlags(args: string[]): FlagValues {
  try {
    return parseFlagList(args);
  } catch (e) {
    throw invalidArgument(`${errorMessage(e)}\nSee 'engine daemon --help'.`);
  }
}

function parseFlagList(args: string[]): FlagValues {
  const out: FlagValues = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      spec = byFlag.get(name);
      if (!spec) throw invalidArgument(`unknown flag: --${name}`);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      spec = byShort.get(arg[1]);
      if (!spec) throw invalidArgument(`unknown shorthand flag: '${arg[1]}' in ${arg}`);
      if (arg.length > 2) value = arg.slice(arg[2] === "=" ? 3 : 2);
    } else {
      throw invalidArgument(`"engine daemon" accepts no arguments: ${JSON.stringify(arg)}`);
    }
    if (value === undefined) {
      if (spec.kind === "bool") value = "true";
      else if (i + 1 < args.length) value = args[++i];
      else throw invalidArgument(`flag needs an argument: --${spec.flag}`);
    }
    out.set(spec.flag, [...(out.get(spec.flag) ?? []), value]);
  }
  return out;
}

/** Reads daemon.json: {} when it is absent and was not named, an error otherwise. */
export async function readConfigFile(
  path: string,
  required: boolean,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!required && e instanceof Deno.errors.NotFound) return {};
    throw fileError(path, errorMessage(e));
  }
  text = text.replace(/^\uFEFF/, "").trim();
  if (text === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fileError(path, errorMessage(e));
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw fileError(path, "the configuration must be a JSON object");
  }
  return json as Record<string, unknown>;
}

function fileError(path: string, msg: string) {
  return invalidArgument(`unable to configure the daemon with file ${path}: ${msg}`);
}

/** Go's %v of a JSON value, as dockerd prints the file's side of a conflict. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goValue(o[k])}`).join(" ")}]`;
  }
  return String(v);
}

/**
 * Unknown keys, then keys also given as flags (moby's findConfigurationConflicts), then
 * each value's type. Returns the file's values, typed.
 */
export function checkFile(
  file: Record<string, unknown>,
  flags: FlagValues,
  path: string,
): Map<string, unknown> {
  const unknown = Object.keys(file).filter((k) => !byKey.has(k)).sort();
  if (unknown.length) {
    throw fileError(
      path,
      `the following directives don't match any configuration option: ${unknown.join(", ")}`,
    );
  }
  const conflicts: string[] = [];
  for (const [flag, raw] of flags) {
    const spec = byFlag.get(flag)!;
    const key = keyOf(spec);
    if (key === null || !(key in file) || MERGED_KEYS.has(key)) continue;
    const shown = spec.kind === "bool" || spec.kind === "int" || spec.kind === "string"
      ? raw[raw.length - 1]
      : goValue(raw);
    conflicts.push(`${key}: (from flag: ${shown}, from file: ${goValue(file[key])})`);
  }
  if (conflicts.length) {
    throw fileError(
      path,
      "the following directives are specified both as a flag and in the configuration file: " +
        conflicts.join(", "),
    );
  }
  const values = new Map<string, unknown>();
  for (const [key, v] of Object.entries(file)) {
    try {
      values.set(key, fileValue(byKey.get(key)!, v));
    } catch (e) {
      throw fileError(path, `${key}: ${errorMessage(e)}`);
    }
  }
  return values;
}

function fileValue(spec: OptionSpec, v: unknown): unknown {
  const bad = (want: string) =>
    invalidArgument(`expected ${want}, got ${JSON.stringify(v) ?? String(v)}`);
  switch (spec.kind) {
    case "string":
      if (typeof v !== "string") throw bad("a string");
      return v;
    case "bool":
      if (typeof v !== "boolean") throw bad("true or false");
      return v;
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) throw bad("an integer");
      return v;
    case "list":
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw bad("a list of strings");
      return v;
    case "map":
      if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) {
        throw bad("an object of strings");
      }
      return v;
    case "runtimes": {
      if (!isObject(v)) throw bad('an object of {"path": …} by runtime name');
      const out: Record<string, string> = {};
      for (const [name, r] of Object.entries(v)) {
        if (!isObject(r) || typeof r.path !== "string") {
          throw invalidArgument(`runtime ${name}: expected {"path": "/absolute/path"}`);
        }
        const extra = Object.keys(r).filter((k) => k !== "path");
        if (extra.length) {
          throw invalidArgument(`runtime ${name}: ${extra.join(", ")} not supported (only path)`);
        }
        out[name] = r.path;
      }
      return out;
    }
    case "pools":
      if (!Array.isArray(v)) throw bad("a list of {base, size}");
      return v.map((p) => {
        if (!isObject(p) || typeof p.base !== "string" || typeof p.size !== "number") {
          throw invalidArgument(`invalid default address pool ${JSON.stringify(p)}`);
        }
        return checkPool({ base: p.base, size: p.size }, JSON.stringify(p));
      });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** A flag's raw values as the option's type. */
function flagValue(spec: OptionSpec, raw: string[]): unknown {
  const last = raw[raw.length - 1];
  const label = `--${spec.flag}`;
  switch (spec.kind) {
    case "string":
      return last;
    case "bool":
      if (["", "true", "1", "t", "TRUE", "True"].includes(last)) return true;
      if (["false", "0", "f", "FALSE", "False"].includes(last)) return false;
      throw invalidArgument(`invalid argument ${JSON.stringify(last)} for ${label}: not a boolean`);
    case "int": {
      const n = Number(last);
      if (last.trim() === "" || !Number.isInteger(n)) {
        throw invalidArgument(
          `invalid argument ${JSON.stringify(last)} for ${label}: not an integer`,
        );
      }
      return n;
    }
    case "list":
      return raw;
    case "map":
      return keyValues(raw, label);
    case "runtimes": {
      const out: Record<string, string> = {};
      for (const [name, path] of Object.entries(keyValues(raw, label))) out[name] = path;
      return out;
    }
    case "pools":
      return raw.map((text) => {
        const kv = keyValues(text.split(","), label);
        return checkPool({ base: kv.base, size: Number(kv.size) }, text);
      });
  }
}

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw invalidArgument(`invalid ${flag} ${JSON.stringify(kv)}: expected KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function checkPool(p: AddressPool, text: string): AddressPool {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(p.base ?? "");
  if (!m || !Number.isInteger(p.size) || p.size < Number(m[2]) || p.size > 30) {
    throw invalidArgument(`invalid default address pool ${text}: expected base=A.B.C.D/N,size=M`);
  }
  return p;
}

/** dockerd's default pools: 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s. */
export const DEFAULT_ADDRESS_POOLS: AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: "192.168.0.0/16", size: 20 },
];

/** Each option's value from the flags, else the file (keyed by the file's key). */
export function mergeValues(flags: FlagValues, file: Map<string, unknown>): Map<string, unknown> {
  const merged = new Map<string, unknown>();
  for (const spec of OPTIONS) {
    const key = keyOf(spec) ?? spec.flag;
    const fromFlag = flags.has(spec.flag) ? flagValue(spec, flags.get(spec.flag)!) : undefined;
    const fromFile = file.get(key);
    if (MERGED_KEYS.has(key) && (fromFlag || fromFile)) {
      merged.set(key, { ...(fromFile as object), ...(fromFlag as object) });
    } else if (fromFlag !== undefined) merged.set(key, fromFlag);
    else if (fromFile !== undefined) merged.set(key, fromFile);
  }
  return merged;
}

/** dockerd's verifyDefaultIpcMode: only the modes a container has alone. */
function defaultIpcMode(mode: string): "private" | "shareable" {
  if (mode === "private" || mode === "shareable") return mode;
  if (mode === "") return "private";
  const hint = 'use "shareable" or "private"';
  const valid = ["host", "none"].includes(mode) || /^container:./.test(mode);
  throw invalidArgument(
    valid
      ? `IPC mode "${mode}" is not supported as default value; ${hint}`
      : `default IPC mode setting (${mode}) is invalid; ${hint}`,
  );
}

/** DaemonOptions from merged values, with dockerd's defaults for what is unset. */
export function buildOptions(v: Map<string, unknown>): DaemonOptions {
  const get = <T>(key: string, fallback: T): T => (v.has(key) ? v.get(key) as T : fallback);
  const execRoot = get("exec-root", "/run/engine");
  const tlsVerify = get("tlsverify", false);
  const opts: DaemonOptions = {
    dataRoot: get("data-root", "/var/lib/engine"),
    execRoot,
    hosts: get<string[]>("hosts", []).length
      ? get<string[]>("hosts", [])
      : ["unix:///run/engine/engine.sock"],
    containerdSocket: get("containerd", `${execRoot}/containerd/containerd.sock`),
    runtimes: get("runtimes", {}),
    defaultRuntime: get("default-runtime", "engine"),
    defaultIpcMode: defaultIpcMode(get("default-ipc-mode", "private")),
    defaultShmSize: parseSize(get("default-shm-size", "64M")),
    liveRestore: get("live-restore", false),
    debug: get("debug", false),
    logLevel: get("log-level", "info"),
    logFormat: get("log-format", "text"),
    labels: get("labels", []),
    shutdownTimeout: get("shutdown-timeout", 15),
    maxConcurrentDownloads: get("max-concurrent-downloads", 3),
    maxConcurrentUploads: get("max-concurrent-uploads", 5),
    tls: get("tls", false) || tlsVerify,
    tlsVerify,
    tlsCaCert: get<string | undefined>("tlscacert", undefined),
    tlsCert: get<string | undefined>("tlscert", undefined),
    tlsKey: get<string | undefined>("tlskey", undefined),
    registryMirrors: get("registry-mirrors", []),
    insecureRegistries: get("insecure-registries", []),
    logDriver: get("log-driver", "json-file"),
    logOpts: get("log-opts", {}),
    network: {
      bridgeName: get("bridge", "engine0"),
      bip: get<string | undefined>("bip", undefined),
      defaultAddressPools: get("default-address-pools", DEFAULT_ADDRESS_POOLS),
      iptables: get("iptables", true),
      ipMasq: get("ip-masq", true),
      userlandProxy: get("userland-proxy", false),
      defaultBindIp: get("ip", "0.0.0.0"),
      mtu: get("mtu", 1500),
      dns: get("dns", []),
      dnsSearch: get("dns-search", []),
      dnsOptions: get("dns-opts", []),
    },
  };
  validateOptions(opts);
  return opts;
}

export async function parseDaemonArgs(args: string[]): Promise<ParsedArgs> {
  const flags = parseFlags(args);
  const given = flags.get("config-file");
  const configFile = given?.[given.length - 1] ?? DEFAULT_CONFIG_FILE;
  const bool = (flag: string) =>
    flags.has(flag) && flagValue(byFlag.get(flag)!, flags.get(flag)!) === true;
  const help = bool("help");
  const validate = bool("validate");
  // Flags without a file key are not part of the merge.
  for (const o of OPTIONS) if (keyOf(o) === null) flags.delete(o.flag);
  if (help) return { help };
  const file = await readConfigFile(configFile, !!given);
  const opts = buildOptions(mergeValues(flags, checkFile(file, flags, configFile)));
  return { help, validate, configFile, configFileGiven: !!given, flags, opts };
}

/** The daemon's log level (containerd's too): --debug wins over --log-level (dockerd). */
export function effectiveLogLevel(o: DaemonOptions): string {
  return o.debug ? "debug" : o.logLevel;
}

/** The options as daemon.json would hold them (the "Reloaded configuration" log line). */
export function optionsAsFile(o: DaemonOptions): Record<string, unknown> {
  const n = o.network;
  return {
    "data-root": o.dataRoot,
    "exec-root": o.execRoot,
    hosts: o.hosts,
    containerd: o.containerdSocket,
    runtimes: Object.fromEntries(Object.entries(o.runtimes).map(([k, path]) => [k, { path }])),
    "default-runtime": o.defaultRuntime,
    "default-ipc-mode": o.defaultIpcMode,
    "default-shm-size": String(o.defaultShmSize),
    "live-restore": o.liveRestore,
    debug: o.debug,
    "log-level": o.logLevel,
    "log-format": o.logFormat,
    labels: o.labels,
    "shutdown-timeout": o.shutdownTimeout,
    "max-concurrent-downloads": o.maxConcurrentDownloads,
    "max-concurrent-uploads": o.maxConcurrentUploads,
    tls: o.tls,
    tlsverify: o.tlsVerify,
    tlscacert: o.tlsCaCert,
    tlscert: o.tlsCert,
    tlskey: o.tlsKey,
    "registry-mirrors": o.registryMirrors,
    "insecure-registries": o.insecureRegistries,
    "log-driver": o.logDriver,
    "log-opts": o.logOpts,
    bridge: n.bridgeName,
    bip: n.bip,
    "default-address-pools": n.defaultAddressPools,
    iptables: n.iptables,
    "ip-masq": n.ipMasq,
    "userland-proxy": n.userlandProxy,
    ip: n.defaultBindIp,
    mtu: n.mtu,
    dns: n.dns,
    "dns-search": n.dnsSearch,
    "dns-opts": n.dnsOptions,
  };
}
