// The default spec and the SpecOpts machinery of containerd's client library
// (containerd oci/spec.go, oci/spec_opts.go): `defaultSpec(id)` gives the spec dockerd
// starts from (moby oci.DefaultSpec plus what daemon/oci_linux.go always sets), and each
// option is a small function that edits it.

import type { Linux, Process, Spec } from "../../runc/config.ts";
import { invalidArgument } from "../../lib/errors.ts";
import {
  CGROUP_PARENT,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_NETWORK_SYSCTLS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  defaultDeviceRules,
  defaultMounts,
} from "./defaults.ts";

export type { Spec };

/** An option in the style of containerd's oci.SpecOpts: edits the spec in place. */
export type SpecOpt = (spec: Spec) => void | Promise<void>;

/** The OCI runtime spec version we produce (the shape of runtime-spec 1.0.2). */
export const OCI_VERSION = "1.0.2";

/** A runc/containerd id: `[\w+.-]+`, no `/`, bounded length (DESIGN.md). */
export const ID_PATTERN = /^[\w+.-]{1,128}$/;

export interface DefaultSpecOptions {
  /** The host's cgroup version; Docker's default cgroupns mode follows it. Default 1. */
  cgroupVersion?: 1 | 2;
  /** Docker's --cgroupns: "private" on v2, "host" on v1 by default. */
  cgroupnsMode?: "private" | "host";
  /** The cgroup parent (Docker's --cgroup-parent); default "/engine". */
  cgroupParent?: string;
  /** A seccomp profile to put in linux.seccomp as is (none by default, for now). */
  seccomp?: object;
  /** Whether the host kernel has a sysctl (Docker's sysctlExists); default: assume yes. */
  sysctlExists?: (name: string) => boolean;
}

/**
 * The spec Docker 20.10 gives a container before any user option: moby's
 * oci.DefaultLinuxSpec with WithCommonOptions/WithCgroups/WithMounts/WithOOMScore defaults
 * (cwd "/", PATH and HOSTNAME env, hostname = id[:12], /dev/shm size, network sysctls,
 * cgroup path, cgroup namespace per cgroupns mode).
 */
export function defaultSpec(id: string, opts: DefaultSpecOptions = {}): Spec {
  if (!ID_PATTERN.test(id)) {
    throw invalidArgument(`container id ${JSON.stringify(id)}: must match [\\w+.-]{1,128}`);
  }
  const hostname = id.slice(0, 12);
  const cgroupns = opts.cgroupnsMode ?? (opts.cgroupVersion === 2 ? "private" : "host");
  const mounts = defaultMounts();
  mounts.find((m) => m.destination === "/dev/shm")!.options!.push(`size=${DEFAULT_SHM_SIZE}`);
  const exists = opts.sysctlExists ?? (() => true);
  const sysctl: Record<string, string> = {};
  for (const [key, value] of Object.entries(DEFAULT_NETWORK_SYSCTLS)) {
    if (exists(key)) sysctl[key] = value;
  }
  const process: Process = {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: [],
    env: [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`],
    cwd: "/",
    capabilities: {
      bounding: [...DEFAULT_CAPABILITIES],
      effective: [...DEFAULT_CAPABILITIES],
      permitted: [...DEFAULT_CAPABILITIES],
    },
    noNewPrivileges: false,
    oomScoreAdj: 0,
  };
  const linux: Linux = {
    namespaces: [
      { type: "mount" },
      { type: "network" },
      { type: "uts" },
      { type: "pid" },
      { type: "ipc" },
      ...(cgroupns === "private" ? [{ type: "cgroup" }] : []),
    ],
    devices: [],
    resources: { devices: defaultDeviceRules() },
    cgroupsPath: cgroupPath(opts.cgroupParent ?? CGROUP_PARENT, id),
    maskedPaths: [...DEFAULT_MASKED_PATHS],
    readonlyPaths: [...DEFAULT_READONLY_PATHS],
    sysctl,
  };
  if (opts.seccomp) linux.seccomp = structuredClone(opts.seccomp) as Record<string, unknown>;
  return {
    ociVersion: OCI_VERSION,
    process,
    root: { path: "rootfs", readonly: false },
    hostname,
    mounts,
    linux,
  };
}

/** WithCgroups for the cgroupfs driver: filepath.Join(parent, id). */
export function cgroupPath(parent: string, id: string): string {
  if (!parent.startsWith("/")) parent = "/" + parent;
  const parts = parent.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw invalidArgument(`cgroup parent ${JSON.stringify(parent)}: must not contain ".."`);
  }
  return "/" + [...parts, id].join("/");
}

/** Applies options in order (containerd's oci.ApplyOpts); the first error stops. */
export async function applyOpts(spec: Spec, ...opts: SpecOpt[]): Promise<Spec> {
  for (const opt of opts) await opt(spec);
  return spec;
}

/** defaultSpec then the options: the spec a daemon sends to containerd. */
export function generateSpec(
  id: string,
  opts: SpecOpt[],
  defaults: DefaultSpecOptions = {},
): Promise<Spec> {
  return applyOpts(defaultSpec(id, defaults), ...opts);
}

/** spec.process, created with Docker's defaults when absent. */
export function processOf(spec: Spec): Process {
  spec.process ??= { user: { uid: 0, gid: 0 }, args: [], cwd: "/" };
  return spec.process;
}

/** spec.linux, created when absent. */
export function linuxOf(spec: Spec): Linux {
  spec.linux ??= {};
  return spec.linux;
}

/** The key of a KEY=VALUE entry (the whole string when there is no "="). */
export function envKey(entry: string): string {
  const i = entry.indexOf("=");
  return i < 0 ? entry : entry.slice(0, i);
}

/**
 * Docker's ReplaceOrAppendEnvValues: each override replaces the default with the same key
 * in place, or is appended; an override without "=" removes the key.
 */
export function replaceOrAppendEnv(defaults: string[], overrides: string[]): string[] {
  const out = [...defaults];
  for (const entry of overrides) {
    const key = envKey(entry);
    const i = out.findIndex((e) => envKey(e) === key);
    if (!entry.includes("=")) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}
