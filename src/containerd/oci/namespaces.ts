// Namespace modes (--ipc, --pid, --uts, --network, --cgroupns) and sysctls, as dockerd's
// WithNamespaces / WithMounts / WithSysctls (moby daemon/oci_linux.go) and the namespaced
// sysctl allowlist of docker's opts.ValidateSysctl plus runc's namespace checks.

import type { Spec } from "../../runc/config.ts";
import { invalidArgument } from "../../lib/errors.ts";
import { DEFAULT_NETWORK_SYSCTLS } from "./defaults.ts";
import { linuxOf, type SpecOpt } from "./spec.ts";
import { isIpcSysctl } from "../../lib/sysctls.ts";

type NsType = "ipc" | "pid" | "uts" | "network" | "cgroup";

function setNamespace(spec: Spec, type: NsType, path?: string): void {
  const linux = linuxOf(spec);
  const list = linux.namespaces ?? [];
  const entry = path ? { type, path } : { type };
  const i = list.findIndex((n) => n.type === type);
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  linux.namespaces = list;
}

function removeNamespace(spec: Spec, type: NsType): void {
  const linux = linuxOf(spec);
  linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== type);
}

/** "container:<nsPath>" or a bare absolute nsPath → the path; otherwise undefined. */
function joinedPath(mode: string, what: string): string | undefined {
  const path = mode.startsWith("container:") ? mode.slice("container:".length) : mode;
  if (!path.startsWith("/")) {
    if (mode.startsWith("container:")) {
      throw invalidArgument(
        `invalid ${what} mode ${JSON.stringify(mode)}: expected container:<nsPath>`,
      );
    }
    return undefined;
  }
  if (path.includes("\0") || path.length > 4096) {
    throw invalidArgument(`invalid ${what} namespace path`);
  }
  return path;
}

function invalidMode(what: string, mode: string) {
  return invalidArgument(`invalid ${what} mode: ${JSON.stringify(mode)}`);
}

/**
 * --ipc: "private" | "shareable" | "" (private namespace), "none" (no /dev/shm), "host"
 * (the host's namespace and /dev/shm), "container:<nsPath>" (join). `shmPath`, with
 * "shareable" and "container:": the host-side tmpfs to bind as /dev/shm (dockerd's ShmPath,
 * the donor's for a joiner).
 */
export function withIpcMode(mode: string, shmPath?: string): SpecOpt {
  return (spec) => {
    const dropShm = () => {
      spec.mounts = (spec.mounts ?? []).filter((m) => m.destination !== "/dev/shm");
    };
    const bindShm = (source: string) => {
      dropShm();
      spec.mounts!.push({
        destination: "/dev/shm",
        type: "bind",
        source,
        options: ["rbind", "rprivate"],
      });
    };
    if (mode === "" || mode === "private" || mode === "shareable") {
      setNamespace(spec, "ipc");
      if (mode === "shareable" && shmPath) bindShm(shmPath);
    } else if (mode === "none") {
      setNamespace(spec, "ipc");
      dropShm();
    } else if (mode === "host") {
      removeNamespace(spec, "ipc");
      bindShm("/dev/shm");
    } else {
      const path = joinedPath(mode, "IPC");
      if (!path) throw invalidMode("IPC", mode);
      setNamespace(spec, "ipc", path);
      if (shmPath) bindShm(shmPath);
    }
  };
}

/** --pid: "" | "private", "host", "container:<nsPath>". */
export function withPidMode(mode: string): SpecOpt {
  return (spec) => {
    if (mode === "" || mode === "private") setNamespace(spec, "pid");
    else if (mode === "host") removeNamespace(spec, "pid");
    else {
      const path = joinedPath(mode, "PID");
      if (!path) throw invalidMode("PID", mode);
      setNamespace(spec, "pid", path);
    }
  };
}

/** --uts: "" | "private", or "host" (no hostname of its own). */
export function withUtsMode(mode: string): SpecOpt {
  return (spec) => {
    if (mode === "" || mode === "private") setNamespace(spec, "uts");
    else if (mode === "host") {
      removeNamespace(spec, "uts");
      delete spec.hostname;
    } else throw invalidMode("UTS", mode);
  };
}

/** --cgroupns: "private" or "host". */
export function withCgroupnsMode(mode: "private" | "host"): SpecOpt {
  return (spec) => {
    if (mode === "private") setNamespace(spec, "cgroup");
    else if (mode === "host") removeNamespace(spec, "cgroup");
    else throw invalidMode("cgroup namespace", mode);
  };
}

/**
 * --network: "host" (no namespace of its own), "none" | "bridge" | "default" | "private"
 * (a new namespace), "container:<nsPath>" or an absolute nsPath (join one, e.g. the
 * sandbox the daemon prepared). Docker's default network sysctls stay only with a new
 * namespace.
 */
export function withNetworkMode(mode: string): SpecOpt {
  return (spec) => {
    if (["none", "bridge", "default", "private", ""].includes(mode)) {
      setNamespace(spec, "network");
      return;
    }
    if (mode === "host") removeNamespace(spec, "network");
    else {
      const path = joinedPath(mode, "network");
      if (!path) throw invalidMode("network", mode);
      setNamespace(spec, "network", path);
    }
    const sysctl = linuxOf(spec).sysctl ?? {};
    for (const [key, value] of Object.entries(DEFAULT_NETWORK_SYSCTLS)) {
      if (sysctl[key] === value) delete sysctl[key];
    }
  };
}

const MAX_SYSCTLS = 256;
const SYSCTL_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_@:-]+)+$/;

/**
 * Checks one sysctl against the spec's namespaces: IPC ones need an IPC namespace (own or
 * joined), net.* a network namespace that is not the host's; nothing else is namespaced.
 */
export function checkSysctl(spec: Spec, key: string, value: string): void {
  if (key.length > 256 || !SYSCTL_KEY.test(key)) {
    throw invalidArgument(`invalid sysctl name ${JSON.stringify(key)}`);
  }
  if (typeof value !== "string" || value.length > 4096 || /[\0\n]/.test(value)) {
    throw invalidArgument(`sysctl ${key}: invalid value`);
  }
  const has = (type: string) => (spec.linux?.namespaces ?? []).some((n) => n.type === type);
  if (isIpcSysctl(key)) {
    if (!has("ipc")) {
      throw invalidArgument(
        `sysctl ${JSON.stringify(key)} is not allowed in the host's IPC namespace`,
      );
    }
  } else if (key.startsWith("net.")) {
    if (!has("network")) {
      throw invalidArgument(
        `sysctl ${JSON.stringify(key)} is not allowed in the host's network namespace`,
      );
    }
  } else {
    throw invalidArgument(
      `sysctl ${JSON.stringify(key)} is not allowed: only namespaced sysctls are ` +
        "(kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*)",
    );
  }
}

/** Checks every sysctl of the spec (validateSpec runs it too: option order cannot dodge it). */
export function checkSysctls(spec: Spec): void {
  const sysctl = spec.linux?.sysctl ?? {};
  if (Object.keys(sysctl).length > MAX_SYSCTLS) {
    throw invalidArgument(`linux.sysctl: more than ${MAX_SYSCTLS} entries`);
  }
  for (const [k, v] of Object.entries(sysctl)) checkSysctl(spec, k, v);
}

/** --sysctl: merged over Docker's defaults (the caller's win); apply after namespace modes. */
export function withSysctls(sysctls: Record<string, string>): SpecOpt {
  return (spec) => {
    for (const [k, v] of Object.entries(sysctls)) checkSysctl(spec, k, v);
    const linux = linuxOf(spec);
    linux.sysctl = { ...(linux.sysctl ?? {}), ...sysctls };
    checkSysctls(spec);
  };
}
