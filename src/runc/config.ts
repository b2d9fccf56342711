// config.json: the OCI runtime spec types we use, and lean validation (no zod on the
// runtime's start path). Every error names the field: "process.args: must be …".
import { CAPABILITIES } from "../lib/capabilities.ts";

export { CAPABILITIES };

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export interface Namespace {
  type: string;
  path?: string;
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface Device {
  type: string;
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceRule {
  allow: boolean;
  type?: string;
  major?: number | null;
  minor?: number | null;
  access?: string;
}

export interface Resources {
  devices?: DeviceRule[];
  memory?: Record<string, unknown>;
  cpu?: Record<string, unknown>;
  pids?: { limit: number };
  [key: string]: unknown;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  seccomp?: Record<string, unknown>;
  mountLabel?: string;
  personality?: Record<string, unknown>;
}

export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export const NAMESPACE_TYPES = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup"];

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export class ConfigError extends Error {
  constructor(field: string, problem: string) {
    super(`config.json: ${field}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string, required = false): Obj | undefined {
  if (v === undefined || v === null) {
    if (required) throw new ConfigError(field, "is required");
    return undefined;
  }
  if (!isObj(v)) throw new ConfigError(field, "must be an object");
  return v;
}

function str(v: unknown, field: string, required = false): string | undefined {
  if (v === undefined) {
    if (required) throw new ConfigError(field, "is required");
    return undefined;
  }
  if (typeof v !== "string") throw new ConfigError(field, "must be a string");
  return v;
}

function int(v: unknown, field: string, required = false, min = -(2 ** 53), max = 2 ** 53) {
  if (v === undefined) {
    if (required) throw new ConfigError(field, "is required");
    return undefined;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(field, `must be an integer between ${min} and ${max}`);
  }
  return v;
}

function bool(v: unknown, field: string) {
  if (v !== undefined && typeof v !== "boolean") throw new ConfigError(field, "must be a boolean");
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new ConfigError(field, "must be an array of strings");
  }
  return v;
}

function array(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(field, "must be an array");
  return v;
}

const UINT32 = 2 ** 32 - 1;
/** runc's range for ids: (uid_t)-1 would mean "unchanged" to setresuid, i.e. stay root. */
const ID_MAX = 2 ** 31 - 1;

function checkProcess(p: Obj) {
  bool(p.terminal, "process.terminal");
  const cs = obj(p.consoleSize, "process.consoleSize");
  if (cs) {
    int(cs.height, "process.consoleSize.height", true, 0, 65535);
    int(cs.width, "process.consoleSize.width", true, 0, 65535);
  }
  const user = obj(p.user, "process.user", true)!;
  int(user.uid, "process.user.uid", true, 0, ID_MAX);
  int(user.gid, "process.user.gid", true, 0, ID_MAX);
  int(user.umask, "process.user.umask", false, 0, 0o777);
  array(user.additionalGids, "process.user.additionalGids").forEach((g, i) =>
    int(g, `process.user.additionalGids[${i}]`, true, 0, ID_MAX)
  );
  const args = strings(p.args, "process.args");
  if (!args || args.length === 0) throw new ConfigError("process.args", "must not be empty");
  const env = strings(p.env, "process.env") ?? [];
  env.forEach((e, i) => {
    if (!e.includes("=")) throw new ConfigError(`process.env[${i}]`, `"${e}" is not KEY=VALUE`);
  });
  const cwd = str(p.cwd, "process.cwd", true)!;
  if (!cwd.startsWith("/")) {
    throw new ConfigError("process.cwd", `"${cwd}" must be an absolute path`);
  }
  // Names this runtime does not know are kept here and skipped with a warning (as runc's
  // "ignoring unknown or unavailable capabilities"): unknownCapabilities.
  const caps = obj(p.capabilities, "process.capabilities");
  for (const set of CAPABILITY_SETS) strings(caps?.[set], `process.capabilities.${set}`);
  array(p.rlimits, "process.rlimits").forEach((r, i) => {
    const f = `process.rlimits[${i}]`;
    const o = obj(r, f, true)!;
    const type = str(o.type, `${f}.type`, true)!;
    if (!(type in RLIMITS)) throw new ConfigError(`${f}.type`, `unknown rlimit "${type}"`);
    int(o.hard, `${f}.hard`, true, 0);
    int(o.soft, `${f}.soft`, true, 0);
  });
  bool(p.noNewPrivileges, "process.noNewPrivileges");
  int(p.oomScoreAdj, "process.oomScoreAdj", false, -1000, 1000);
}

const CAPABILITY_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;

/** The capability names of a process this runtime does not know, each once, sorted (as runc). */
export function unknownCapabilities(p: Process): string[] {
  const unknown = new Set<string>();
  for (const set of CAPABILITY_SETS) {
    for (const c of p.capabilities?.[set] ?? []) if (!CAPABILITIES.includes(c)) unknown.add(c);
  }
  return [...unknown].sort();
}

/** Validates the process part alone: `runc exec --process file.json` uses it too. */
export function validateProcess(v: unknown): Process {
  const p = obj(v, "process", true)!;
  checkProcess(p);
  return p as unknown as Process;
}

/** The hook kinds, in the order of a container's life. */
export const HOOK_KINDS = [
  "prestart",
  "createRuntime",
  "createContainer",
  "startContainer",
  "poststart",
  "poststop",
] as const;

function checkHooks(h: Obj) {
  for (const kind of Object.keys(h)) {
    if (!(HOOK_KINDS as readonly string[]).includes(kind)) {
      throw new ConfigError(`hooks.${kind}`, "unknown hook kind");
    }
    array(h[kind], `hooks.${kind}`).forEach((hook, i) => {
      const f = `hooks.${kind}[${i}]`;
      const o = obj(hook, f, true)!;
      const path = str(o.path, `${f}.path`, true)!;
      if (!path.startsWith("/")) throw new ConfigError(`${f}.path`, "must be an absolute path");
      strings(o.args, `${f}.args`);
      strings(o.env, `${f}.env`);
      int(o.timeout, `${f}.timeout`, false, 1);
    });
  }
}

function checkLinux(l: Obj) {
  const seen = new Set<string>();
  array(l.namespaces, "linux.namespaces").forEach((n, i) => {
    const f = `linux.namespaces[${i}]`;
    const o = obj(n, f, true)!;
    const type = str(o.type, `${f}.type`, true)!;
    if (!NAMESPACE_TYPES.includes(type)) {
      throw new ConfigError(`${f}.type`, `unknown namespace type "${type}"`);
    }
    if (seen.has(type)) throw new ConfigError(`${f}.type`, `duplicate namespace "${type}"`);
    seen.add(type);
    str(o.path, `${f}.path`);
  });
  for (const key of ["uidMappings", "gidMappings"]) {
    array(l[key], `linux.${key}`).forEach((m, i) => {
      const f = `linux.${key}[${i}]`;
      const o = obj(m, f, true)!;
      int(o.containerID, `${f}.containerID`, true, 0, UINT32);
      int(o.hostID, `${f}.hostID`, true, 0, UINT32);
      int(o.size, `${f}.size`, true, 1, UINT32);
    });
  }
  if ((l.uidMappings || l.gidMappings) && !seen.has("user")) {
    throw new ConfigError("linux.uidMappings", "requires a user namespace");
  }
  array(l.devices, "linux.devices").forEach((d, i) => {
    const f = `linux.devices[${i}]`;
    const o = obj(d, f, true)!;
    const type = str(o.type, `${f}.type`, true)!;
    if (!["c", "b", "u", "p"].includes(type)) {
      throw new ConfigError(`${f}.type`, `unknown device type "${type}"`);
    }
    const path = str(o.path, `${f}.path`, true)!;
    if (!path.startsWith("/")) throw new ConfigError(`${f}.path`, "must be an absolute path");
    if (type !== "p") {
      int(o.major, `${f}.major`, true, 0);
      int(o.minor, `${f}.minor`, true, 0);
    }
    int(o.fileMode, `${f}.fileMode`, false, 0, 0o7777);
    int(o.uid, `${f}.uid`, false, 0, UINT32);
    int(o.gid, `${f}.gid`, false, 0, UINT32);
  });
  str(l.cgroupsPath, "linux.cgroupsPath");
  const res = obj(l.resources, "linux.resources");
  if (res) {
    array(res.devices, "linux.resources.devices").forEach((d, i) => {
      const f = `linux.resources.devices[${i}]`;
      const o = obj(d, f, true)!;
      if (typeof o.allow !== "boolean") throw new ConfigError(`${f}.allow`, "must be a boolean");
      const type = str(o.type, `${f}.type`);
      if (type !== undefined && !["a", "c", "b"].includes(type)) {
        throw new ConfigError(`${f}.type`, `unknown device type "${type}"`);
      }
      const access = str(o.access, `${f}.access`);
      if (access !== undefined && !/^[rwm]*$/.test(access)) {
        throw new ConfigError(`${f}.access`, `"${access}" must be made of r, w and m`);
      }
    });
  }
  const prop = str(l.rootfsPropagation, "linux.rootfsPropagation");
  if (
    prop &&
    !["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"]
      .includes(prop)
  ) {
    throw new ConfigError("linux.rootfsPropagation", `unknown propagation "${prop}"`);
  }
  strings(l.maskedPaths, "linux.maskedPaths");
  strings(l.readonlyPaths, "linux.readonlyPaths");
  const sysctl = obj(l.sysctl, "linux.sysctl");
  for (const [k, v] of Object.entries(sysctl ?? {})) {
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(k) || k.includes("..")) {
      throw new ConfigError("linux.sysctl", `invalid key "${k}"`);
    }
    str(v, `linux.sysctl.${k}`, true);
  }
  obj(l.seccomp, "linux.seccomp");
}

/** Mount destinations not written as absolute paths (runc warns of each and mounts it). */
export function relativeMounts(spec: Spec): string[] {
  return (spec.mounts ?? []).map((m) => m.destination).filter((d) => !d.startsWith("/"));
}

/** Parses and validates config.json text; throws ConfigError naming the field. */
export function parseSpec(text: string): Spec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError("(file)", `invalid JSON: ${(e as Error).message}`);
  }
  const s = obj(raw, "(file)", true)!;
  str(s.ociVersion, "ociVersion", true);
  const root = obj(s.root, "root");
  if (root) {
    str(root.path, "root.path", true);
    bool(root.readonly, "root.readonly");
  }
  const proc = obj(s.process, "process");
  if (proc) checkProcess(proc);
  str(s.hostname, "hostname");
  str(s.domainname, "domainname");
  array(s.mounts, "mounts").forEach((m, i) => {
    const f = `mounts[${i}]`;
    const o = obj(m, f, true)!;
    // A relative destination is taken from / with a warning, as runc 1.1 (relativeMounts).
    str(o.destination, `${f}.destination`, true);
    str(o.type, `${f}.type`);
    str(o.source, `${f}.source`);
    strings(o.options, `${f}.options`);
  });
  const hooks = obj(s.hooks, "hooks");
  if (hooks) checkHooks(hooks);
  const annotations = obj(s.annotations, "annotations");
  for (const [k, v] of Object.entries(annotations ?? {})) str(v, `annotations.${k}`, true);
  const linux = obj(s.linux, "linux");
  if (linux) checkLinux(linux);
  return s as unknown as Spec;
}
