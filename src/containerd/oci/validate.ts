// The spec containerd accepts from the daemon: a zod schema with bounded sizes
// (SECURITY.md class e) and errors naming the field ("spec: process.args: …"), then the
// checks a schema cannot express (namespace uniqueness, sysctls against namespaces).

import { z } from "zod";
import type { Spec } from "../../runc/config.ts";
import { EngineError, invalidArgument } from "../../lib/errors.ts";
import { ALL_CAPABILITIES } from "./defaults.ts";
import { checkSysctls } from "./namespaces.ts";
import { MAX_ID } from "./user.ts";

export const LIMITS = {
  args: 4096,
  env: 4096,
  /** Linux's MAX_ARG_STRLEN. */
  stringBytes: 128 * 1024,
  /** args + env together (a quarter of an 8 MiB stack). */
  argvEnvBytes: 2 * 1024 * 1024,
  mounts: 512,
  mountOptions: 64,
  path: 4096,
  additionalGids: 65536,
  devices: 1024,
  deviceRules: 1024,
  pathLists: 256,
  annotations: 1024,
  sysctls: 256,
  hooks: 64,
} as const;

const id = z.number().int().min(0).max(MAX_ID);
const str = z.string().max(LIMITS.stringBytes).refine((s) => !s.includes("\0"), "contains NUL");
const absPath = z.string().max(LIMITS.path).refine(
  (s) => s.startsWith("/") && !s.includes("\0"),
  "must be an absolute path",
);
const capList = z.array(z.enum(ALL_CAPABILITIES as [string, ...string[]])).max(64);
const RLIMIT_TYPES = [
  "CPU",
  "FSIZE",
  "DATA",
  "STACK",
  "CORE",
  "RSS",
  "NPROC",
  "NOFILE",
  "MEMLOCK",
  "AS",
  "LOCKS",
  "SIGPENDING",
  "MSGQUEUE",
  "NICE",
  "RTPRIO",
  "RTTIME",
].map((t) => "RLIMIT_" + t) as [string, ...string[]];

const processSchema = z.strictObject({
  terminal: z.boolean().optional(),
  consoleSize: z.strictObject({
    height: z.number().int().min(0).max(65535),
    width: z.number().int().min(0).max(65535),
  }).optional(),
  user: z.strictObject({
    uid: id,
    gid: id,
    umask: z.number().int().min(0).max(0o777).optional(),
    additionalGids: z.array(id).max(LIMITS.additionalGids).optional(),
  }),
  args: z.array(str).min(1, "must not be empty").max(LIMITS.args),
  env: z.array(str.refine((e) => e.indexOf("=") > 0, "must be KEY=VALUE")).max(LIMITS.env)
    .optional(),
  cwd: absPath,
  capabilities: z.strictObject({
    bounding: capList.optional(),
    effective: capList.optional(),
    inheritable: capList.optional(),
    permitted: capList.optional(),
    ambient: capList.optional(),
  }).optional(),
  rlimits: z.array(
    z.strictObject({
      type: z.enum(RLIMIT_TYPES),
      soft: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      hard: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    }).refine((r) => r.soft <= r.hard, "soft limit must not exceed hard limit"),
  ).max(16).optional(),
  noNewPrivileges: z.boolean().optional(),
  oomScoreAdj: z.number().int().min(-1000).max(1000).optional(),
  apparmorProfile: z.string().max(256).optional(),
  selinuxLabel: z.string().max(1024).optional(),
}).refine(
  (p) => [...p.args, ...(p.env ?? [])].reduce((n, s) => n + s.length + 1, 0) <= LIMITS.argvEnvBytes,
  `args and env together exceed ${LIMITS.argvEnvBytes} bytes`,
);

const mountSchema = z.strictObject({
  destination: absPath,
  type: z.string().max(64).optional(),
  source: z.string().max(LIMITS.path).refine((s) => !s.includes("\0"), "contains NUL").optional(),
  options: z.array(z.string().max(LIMITS.path)).max(LIMITS.mountOptions).optional(),
});

const hookSchema = z.strictObject({
  path: absPath,
  args: z.array(str).max(LIMITS.args).optional(),
  env: z.array(str).max(LIMITS.env).optional(),
  timeout: z.number().int().min(1).optional(),
});
const hooks = z.array(hookSchema).max(LIMITS.hooks).optional();

const idMapping = z.strictObject({
  containerID: id,
  hostID: id,
  size: z.number().int().min(1).max(MAX_ID + 1),
});

const deviceRule = z.strictObject({
  allow: z.boolean(),
  type: z.enum(["a", "b", "c"]).optional(),
  major: z.number().int().min(-1).nullable().optional(),
  minor: z.number().int().min(-1).nullable().optional(),
  access: z.string().regex(/^[rwm]{1,3}$/, "must be some of rwm").optional(),
});

const linuxSchema = z.strictObject({
  namespaces: z.array(z.strictObject({
    type: z.enum(["pid", "network", "mount", "ipc", "uts", "user", "cgroup"]),
    path: absPath.optional(),
  })).max(7).refine(
    (ns) => new Set(ns.map((n) => n.type)).size === ns.length,
    "each namespace type at most once",
  ).optional(),
  uidMappings: z.array(idMapping).max(340).optional(),
  gidMappings: z.array(idMapping).max(340).optional(),
  devices: z.array(z.strictObject({
    type: z.enum(["c", "b", "u", "p"]),
    path: absPath,
    major: z.number().int().min(0).optional(),
    minor: z.number().int().min(0).optional(),
    fileMode: z.number().int().min(0).max(0o7777).optional(),
    uid: id.optional(),
    gid: id.optional(),
  })).max(LIMITS.devices).optional(),
  cgroupsPath: z.string().max(LIMITS.path).refine(
    (p) => !p.split(/[/:]/).includes("..") && !/[\0\n]/.test(p),
    "must not contain '..'",
  ).optional(),
  resources: z.looseObject({
    devices: z.array(deviceRule).max(LIMITS.deviceRules).optional(),
    memory: z.looseObject({
      limit: z.number().int().optional(),
      swap: z.number().int().min(-1).optional(),
    }).optional(),
    cpu: z.looseObject({
      shares: z.number().int().min(0).optional(),
      quota: z.number().int().min(-1).optional(),
      period: z.number().int().min(0).optional(),
    }).optional(),
    pids: z.strictObject({ limit: z.number().int().min(-1) }).optional(),
  }).optional(),
  rootfsPropagation: z.enum(["private", "rprivate", "shared", "rshared", "slave", "rslave"])
    .optional(),
  maskedPaths: z.array(absPath).max(LIMITS.pathLists).optional(),
  readonlyPaths: z.array(absPath).max(LIMITS.pathLists).optional(),
  sysctl: z.record(z.string().max(256), z.string().max(4096)).optional(),
  seccomp: z.record(z.string(), z.unknown()).optional(),
  mountLabel: z.string().max(1024).optional(),
  personality: z.record(z.string(), z.unknown()).optional(),
});

export const specSchema = z.strictObject({
  ociVersion: z.string().regex(/^1\.\d+\.\d+(-[\w.]+)?$/, "must be a 1.x.y version"),
  process: processSchema,
  root: z.strictObject({
    path: z.string().min(1).max(LIMITS.path),
    readonly: z.boolean().optional(),
  }),
  hostname: z.string().max(64).optional(),
  domainname: z.string().max(255).optional(),
  mounts: z.array(mountSchema).max(LIMITS.mounts).optional(),
  hooks: z.strictObject({
    prestart: hooks,
    createRuntime: hooks,
    createContainer: hooks,
    startContainer: hooks,
    poststart: hooks,
    poststop: hooks,
  }).optional(),
  annotations: z.record(z.string().max(4096), z.string().max(64 * 1024)).refine(
    (a) => Object.keys(a).length <= LIMITS.annotations,
    `more than ${LIMITS.annotations} entries`,
  ).optional(),
  linux: linuxSchema,
});

/** "process.args[3]" from a zod issue path. */
function fieldName(path: PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  }
  return out || "(root)";
}

/**
 * Validates the spec the daemon sends (shape, bounds, known capabilities and rlimits,
 * namespaced sysctls). Throws invalid_argument naming the field; returns the spec.
 */
export function validateSpec(spec: unknown): Spec {
  const result = specSchema.safeParse(spec);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${fieldName(i.path)}: ${i.message}`);
    const more = result.error.issues.length > 5
      ? ` (and ${result.error.issues.length - 5} more)`
      : "";
    throw invalidArgument(`invalid spec: ${issues.join("; ")}${more}`);
  }
  const valid = result.data as Spec;
  try {
    checkSysctls(valid);
  } catch (err) {
    throw new EngineError(
      "invalid_argument",
      `invalid spec: linux.sysctl: ${(err as Error).message}`,
    );
  }
  return valid;
}
