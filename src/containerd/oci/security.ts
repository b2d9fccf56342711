// Capabilities (moby oci/caps/utils.go: NormalizeLegacyCapabilities, TweakCapabilities;
// oci/oci.go SetCapabilities), --privileged (daemon/oci_linux.go WithCapabilities,
// WithDevices, WithMounts), --read-only and the seccomp profile.

import type { Device } from "../../runc/config.ts";
import { invalidArgument } from "../../lib/errors.ts";
import { ALL_CAPABILITIES, DEFAULT_MOUNT_DESTINATIONS } from "./defaults.ts";
import { linuxOf, processOf, type Spec, type SpecOpt } from "./spec.ts";

/** Upper-cases, adds CAP_ when missing, keeps "ALL"; unknown names are refused. */
export function normalizeCapabilities(
  caps: string[],
  known: readonly string[] = ALL_CAPABILITIES,
): string[] {
  return caps.map((c) => {
    let name = c.toUpperCase();
    if (name === "ALL") return name;
    if (!name.startsWith("CAP_")) name = "CAP_" + name;
    if (!known.includes(name)) throw invalidArgument(`unknown capability: ${JSON.stringify(name)}`);
    return name;
  });
}

/**
 * Docker's rule: add ALL → every capability except the dropped ones; drop ALL → only the
 * added ones; otherwise the base set minus drops, plus adds.
 */
export function tweakCapabilities(
  base: readonly string[],
  add: string[],
  drop: string[],
  all: readonly string[] = ALL_CAPABILITIES,
): string[] {
  if (add.length === 0 && drop.length === 0) return [...base];
  const adds = normalizeCapabilities(add, all);
  const drops = normalizeCapabilities(drop, all);
  let caps: string[];
  if (adds.includes("ALL")) caps = all.filter((c) => !drops.includes(c));
  else if (drops.includes("ALL")) caps = adds;
  else caps = [...base.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)];
}

/** Bounding, effective and permitted get the set; inheritable and ambient stay empty. */
export function setCapabilities(spec: Spec, caps: string[]): void {
  processOf(spec).capabilities = {
    bounding: [...caps],
    effective: [...caps],
    permitted: [...caps],
  };
}

/** --cap-add and --cap-drop together (Docker applies them as one rule). `capLastCap` is
 * the host's /proc/sys/kernel/cap_last_cap: "ALL" means what the kernel knows. */
export function withCapabilities(
  change: { add?: string[]; drop?: string[]; capLastCap?: number },
): SpecOpt {
  return (spec) => {
    const base = processOf(spec).capabilities?.bounding ?? [];
    const all = ALL_CAPABILITIES.slice(0, (change.capLastCap ?? ALL_CAPABILITIES.length - 1) + 1);
    setCapabilities(spec, tweakCapabilities(base, change.add ?? [], change.drop ?? [], all));
  };
}

/** --cap-add alone; give adds and drops to withCapabilities to get Docker's combined rule. */
export function withCapAdd(caps: string[]): SpecOpt {
  return withCapabilities({ add: caps });
}

/** --cap-drop alone. */
export function withCapDrop(caps: string[]): SpecOpt {
  return withCapabilities({ drop: caps });
}

function clearReadOnly(options: string[] | undefined): string[] {
  return (options ?? []).filter((o) => o !== "ro");
}

export interface PrivilegedOptions {
  /** The host's last capability number (/proc/sys/kernel/cap_last_cap); default: all known. */
  capLastCap?: number;
  /** The host's device nodes to create in the container (Docker's coci.HostDevices). */
  hostDevices?: Device[];
}

/**
 * --privileged: every capability, no masked or readonly paths, every device allowed (and
 * the given host devices created), /sys and the cgroup mount read-write, no seccomp.
 * Apply it after the capability options: Docker ignores --cap-add/--cap-drop here.
 */
export function withPrivileged(opts: PrivilegedOptions = {}): SpecOpt {
  return (spec) => {
    const last = opts.capLastCap ?? ALL_CAPABILITIES.length - 1;
    setCapabilities(spec, ALL_CAPABILITIES.slice(0, last + 1));
    const linux = linuxOf(spec);
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    linux.resources = { ...(linux.resources ?? {}), devices: [{ allow: true, access: "rwm" }] };
    if (opts.hostDevices) {
      const wanted = new Set(opts.hostDevices.map((d) => d.path));
      linux.devices = [
        ...(linux.devices ?? []).filter((d) => !wanted.has(d.path)),
        ...opts.hostDevices.map((d) => ({ ...d })),
      ];
    }
    delete linux.seccomp;
    for (const m of spec.mounts ?? []) {
      if (m.destination === "/sys" || m.type === "cgroup") m.options = clearReadOnly(m.options);
    }
  };
}

/**
 * --read-only: root.readonly, and "ro" on the default mounts other than /proc, /dev and
 * its submounts (WithMounts' rule; user mounts keep their own mode).
 */
export function withReadonlyRootfs(readonly = true): SpecOpt {
  return (spec) => {
    spec.root = { path: spec.root?.path ?? "rootfs", readonly };
    if (!readonly) return;
    const skip = ["/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"];
    for (const m of spec.mounts ?? []) {
      if (skip.includes(m.destination) || !DEFAULT_MOUNT_DESTINATIONS.includes(m.destination)) {
        continue;
      }
      if (m.type === "bind") continue;
      if (!(m.options ?? []).includes("ro")) m.options = [...(m.options ?? []), "ro"];
    }
  };
}

/** linux.seccomp: a profile in the OCI shape (the default profile comes with a later issue);
 * undefined removes it (--security-opt seccomp=unconfined). */
export function withSeccomp(profile: object | undefined): SpecOpt {
  return (spec) => {
    const linux = linuxOf(spec);
    if (profile === undefined) delete linux.seccomp;
    else linux.seccomp = structuredClone(profile) as Record<string, unknown>;
  };
}

/** --security-opt systempaths=unconfined, or explicit lists (HostConfig.MaskedPaths). */
export function withMaskedPaths(paths: string[]): SpecOpt {
  return (spec) => {
    linuxOf(spec).maskedPaths = checkedPaths(paths, "masked path");
  };
}

export function withReadonlyPaths(paths: string[]): SpecOpt {
  return (spec) => {
    linuxOf(spec).readonlyPaths = checkedPaths(paths, "readonly path");
  };
}

function checkedPaths(paths: string[], what: string): string[] {
  for (const p of paths) {
    if (!p.startsWith("/") || p.includes("\0")) {
      throw invalidArgument(`${what} ${JSON.stringify(p)}: must be an absolute path`);
    }
  }
  return [...paths];
}
