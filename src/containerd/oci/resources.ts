// Resources and devices: --memory/--memory-swap, --cpus, --cpu-shares, --pids-limit,
// --device, cgroup path. Rules from moby daemon/oci_linux.go (WithResources,
// WithDevices), daemon/daemon_unix.go (verifyPlatformContainerResources, adaptContainer-
// Settings), oci/devices_linux.go (DevicesFromPath) and docker's opts.ParseDevice.

import type { Device, DeviceRule } from "../../runc/config.ts";
import { invalidArgument } from "../../lib/errors.ts";
import { linuxOf, type Spec, type SpecOpt } from "./spec.ts";

function resourcesOf(spec: Spec) {
  const linux = linuxOf(spec);
  linux.resources ??= {};
  return linux.resources;
}

/** Docker's linuxMinMemory. */
export const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * --memory (bytes) and --memory-swap: swap undefined or 0 → twice the limit (Docker's
 * default where swap accounting exists), -1 → unlimited swap.
 */
export function withMemoryLimit(limit: number, swap?: number): SpecOpt {
  return (spec) => {
    if (!Number.isSafeInteger(limit) || limit < MIN_MEMORY) {
      throw invalidArgument(`invalid memory limit ${limit}: minimum memory limit allowed is 6MB`);
    }
    let memSwap = swap ?? 0;
    if (memSwap === 0) memSwap = limit * 2;
    if (!Number.isSafeInteger(memSwap) || (memSwap !== -1 && memSwap < limit)) {
      throw invalidArgument("minimum memoryswap limit should be larger than memory limit");
    }
    const r = resourcesOf(spec);
    r.memory = { ...(r.memory ?? {}), limit, swap: memSwap };
  };
}

/** --oom-kill-disable: the memory cgroup's OOM killer off (v1 memory.oom_control). */
export function withOomKillDisabled(): SpecOpt {
  return (spec) => {
    const r = resourcesOf(spec);
    r.memory = { ...(r.memory ?? {}), disableOOMKiller: true };
  };
}

/** Docker's CFS period for --cpus: 100ms in µs. */
export const CPU_PERIOD = 100_000;

/** --cpus: quota = cpus × period, period 100000 µs (NanoCPUs arithmetic). */
export function withCPUs(cpus: number, hostCpus?: number): SpecOpt {
  return (spec) => {
    const nano = Math.round(cpus * 1e9);
    const max = (hostCpus ?? Infinity) * 1e9;
    if (!Number.isFinite(cpus) || nano < 1e7 || nano > max) {
      throw invalidArgument(
        `range of CPUs is from 0.01 to ${hostCpus ?? "the number of CPUs"}, as there are only ` +
          `${hostCpus ?? "that many"} CPUs available`,
      );
    }
    const r = resourcesOf(spec);
    r.cpu = { ...(r.cpu ?? {}), quota: Math.floor((nano * CPU_PERIOD) / 1e9), period: CPU_PERIOD };
  };
}

/** --cpu-shares (relative weight; 0 leaves the kernel default). */
export function withCpuShares(shares: number): SpecOpt {
  return (spec) => {
    if (!Number.isSafeInteger(shares) || shares < 0) {
      throw invalidArgument(`invalid cpu shares ${shares}: must be a non-negative integer`);
    }
    if (shares === 0) return;
    const r = resourcesOf(spec);
    r.cpu = { ...(r.cpu ?? {}), shares };
  };
}

/** --pids-limit: 0 or negative means unlimited (-1, what runc wants to unset it). */
export function withPidsLimit(limit: number): SpecOpt {
  return (spec) => {
    if (!Number.isSafeInteger(limit)) throw invalidArgument(`invalid pids limit ${limit}`);
    resourcesOf(spec).pids = { limit: limit <= 0 ? -1 : limit };
  };
}

/** --memory-reservation: the soft limit (bytes; 0 leaves it unset). */
export function withMemoryReservation(bytes: number): SpecOpt {
  return (spec) => {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw invalidArgument(`invalid memory reservation ${bytes}`);
    }
    if (bytes === 0) return;
    const r = resourcesOf(spec);
    r.memory = { ...(r.memory ?? {}), reservation: bytes };
  };
}

/** --cpuset-cpus/--cpuset-mems: lists like "0-2,4" (empty leaves the parent's). */
export function withCpuset(cpus: string, mems: string): SpecOpt {
  return (spec) => {
    for (const [what, list] of [["cpus", cpus], ["mems", mems]]) {
      if (list && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) {
        throw invalidArgument(`Invalid value ${list} for cpuset ${what}`);
      }
    }
    if (!cpus && !mems) return;
    const r = resourcesOf(spec);
    r.cpu = { ...(r.cpu ?? {}), ...(cpus ? { cpus } : {}), ...(mems ? { mems } : {}) };
  };
}

/** --cgroup-parent/cgroupsPath: an absolute cgroupfs path without "..". */
export function withCgroupsPath(path: string): SpecOpt {
  return (spec) => {
    if (!path.startsWith("/") || path.split("/").includes("..") || /[\0\n]/.test(path)) {
      throw invalidArgument(
        `invalid cgroups path ${JSON.stringify(path)}: must be absolute, no ".."`,
      );
    }
    linuxOf(spec).cgroupsPath = path;
  };
}

/** What the host's device node is (injected; see statHostDevice). */
export interface DeviceStat {
  kind: "char" | "block" | "directory" | "other";
  major: number;
  minor: number;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

export type DeviceStatFn = (hostPath: string) => Promise<DeviceStat>;

/** A parsed --device: host path, container path, cgroup permissions. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  permissions: string;
}

const validDeviceMode = (mode: string) =>
  /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;

/** docker's ParseDevice: "src[:dst][:rwm]"; dst defaults to src, permissions to rwm. */
export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(":");
  if (parts.length > 3 || parts[0] === "") {
    throw invalidArgument(`invalid device specification: ${spec}`);
  }
  let dst = "";
  let permissions = "rwm";
  if (parts.length === 3) {
    permissions = parts[2];
    dst = parts[1];
  } else if (parts.length === 2) {
    if (validDeviceMode(parts[1])) permissions = parts[1];
    else dst = parts[1];
  }
  if (!validDeviceMode(permissions)) throw invalidArgument(`invalid device mode: ${permissions}`);
  const src = parts[0];
  dst ||= src;
  for (const p of [src, dst]) {
    if (!p.startsWith("/") || p.includes("\0")) {
      throw invalidArgument(`invalid device specification: ${spec}: paths must be absolute`);
    }
  }
  return { pathOnHost: src, pathInContainer: dst, permissions };
}

/** --device-cgroup-rule: "c|b|a major|*:minor|* rwm" rules added to the devices cgroup. */
export function withDeviceCgroupRules(rules: string[]): SpecOpt {
  return (spec) => {
    const out = resourcesOf(spec).devices ?? [];
    for (const rule of rules) {
      const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
      if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
      const num = (v: string) => v === "*" ? null : Number(v);
      out.push({ allow: true, type: m[1], major: num(m[2]), minor: num(m[3]), access: m[4] });
    }
    resourcesOf(spec).devices = out;
  };
}

/** The special files under a directory, recursively (no symlinks followed: moby's Walk). */
async function specialFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await specialFilesUnder(path));
    else if (!e.isFile && !e.isSymlink) out.push(path);
  }
  return out.sort();
}

/**
 * --device: each host node is created at its container path and allowed in the devices
 * cgroup with its permissions; a directory gives the device nodes under it, at the same
 * place under the container path (moby's DevicesFromPath). Ignored with --privileged
 * (every device is already there). `list`: the special files under a directory.
 */
export function withDevices(
  devices: (string | DeviceMapping)[],
  stat: DeviceStatFn,
  list: (dir: string) => Promise<string[]> = specialFilesUnder,
): SpecOpt {
  return async (spec) => {
    const linux = linuxOf(spec);
    const rules: DeviceRule[] = resourcesOf(spec).devices ?? [];
    const nodes: Device[] = linux.devices ?? [];
    const add = (path: string, st: DeviceStat, permissions: string) => {
      const type = st.kind === "char" ? "c" : "b";
      const node: Device = {
        type,
        path,
        major: st.major,
        minor: st.minor,
        fileMode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
      };
      const i = nodes.findIndex((n) => n.path === node.path);
      if (i >= 0) nodes[i] = node;
      else nodes.push(node);
      rules.push({ allow: true, type, major: st.major, minor: st.minor, access: permissions });
    };
    for (const d of devices) {
      const m = typeof d === "string" ? parseDevice(d) : d;
      let st: DeviceStat;
      try {
        st = await stat(m.pathOnHost);
      } catch (err) {
        throw invalidArgument(
          `error gathering device information while adding custom device ${
            JSON.stringify(m.pathOnHost)
          }: ${
            err instanceof Deno.errors.NotFound
              ? "no such file or directory" // Go's ENOENT text, as dockerd says it
              : err instanceof Error
              ? err.message
              : err
          }`,
        );
      }
      if (st.kind === "char" || st.kind === "block") {
        add(m.pathInContainer, st, m.permissions);
      } else if (st.kind === "directory") {
        for (const path of await list(m.pathOnHost)) {
          const sub = await stat(path).catch(() => undefined);
          if (sub?.kind !== "char" && sub?.kind !== "block") continue;
          add(m.pathInContainer + path.slice(m.pathOnHost.length), sub, m.permissions);
        }
      } else {
        throw invalidArgument(
          `error gathering device information while adding custom device ${
            JSON.stringify(m.pathOnHost)
          }: not a device node`,
        );
      }
    }
    linux.devices = nodes;
    resourcesOf(spec).devices = rules;
  };
}

/** The real stat for withDevices: follows symlinks, splits st_rdev as glibc does. */
export async function statHostDevice(path: string): Promise<DeviceStat> {
  const st = await Deno.stat(path);
  const rdev = BigInt(st.rdev ?? 0);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const kind = st.isCharDevice
    ? "char"
    : st.isBlockDevice
    ? "block"
    : st.isDirectory
    ? "directory"
    : "other";
  return { kind, major, minor, mode: (st.mode ?? 0) & 0o7777, uid: st.uid ?? 0, gid: st.gid ?? 0 };
}

/** A per-device blkio setting as the Engine API gives it (a device path on the host). */
export interface DeviceRate {
  path: string;
  rate: number;
}

export interface BlockIOSettings {
  /** --blkio-weight (10–1000; 0: unset). */
  weight: number;
  /** --blkio-weight-device. */
  weightDevices: { path: string; weight: number }[];
  readBps: DeviceRate[];
  writeBps: DeviceRate[];
  readIOps: DeviceRate[];
  writeIOps: DeviceRate[];
}

/**
 * linux.resources.blockIO from the Engine API's Blkio* fields: each device path is looked
 * up on the host for its major:minor (dockerd's getBlkio*Devices), so a path that is not
 * there fails the create with the path named.
 */
export function withBlockIO(
  b: BlockIOSettings,
  stat: (path: string) => Promise<DeviceStat>,
): SpecOpt {
  return async (spec) => {
    const numbers = async (path: string) => {
      const st = await stat(path).catch((e) => {
        throw invalidArgument(`blkio device ${path}: ${e instanceof Error ? e.message : e}`);
      });
      return { major: st.major, minor: st.minor };
    };
    const rates = async (list: DeviceRate[]) => {
      const out = [];
      for (const d of list) {
        if (!Number.isSafeInteger(d.rate) || d.rate < 0) {
          throw invalidArgument(`invalid blkio rate ${d.rate} for ${d.path}`);
        }
        out.push({ ...await numbers(d.path), rate: d.rate });
      }
      return out;
    };
    const blockIO: Record<string, unknown> = {};
    if (b.weight) blockIO.weight = b.weight;
    if (b.weightDevices.length) {
      const list = [];
      for (const d of b.weightDevices) list.push({ ...await numbers(d.path), weight: d.weight });
      blockIO.weightDevice = list;
    }
    const throttles = [
      ["throttleReadBpsDevice", b.readBps],
      ["throttleWriteBpsDevice", b.writeBps],
      ["throttleReadIOPSDevice", b.readIOps],
      ["throttleWriteIOPSDevice", b.writeIOps],
    ] as const;
    for (const [key, list] of throttles) if (list.length) blockIO[key] = await rates(list);
    if (Object.keys(blockIO).length) resourcesOf(spec).blockIO = blockIO;
  };
}
