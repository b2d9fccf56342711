// OCI `linux.resources` as the cgroup managers read it, and runc 1.1's conversions between
// its v1-flavoured values and cgroup v2 files (libcontainer/cgroups/utils.go). A value of
// 0 (or an absent field) means "leave as is", as in runc's configs.Resources.

import { invalidArgument } from "../../lib/errors.ts";
import type { DeviceRule } from "./devices.ts";

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /** memory + swap (v1 semantics); -1 is unlimited. */
  swap?: number;
  /** Ignored, as runc 1.1 ignores it. */
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number | null;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number | null;
}

export interface WeightDevice {
  major: number;
  minor: number;
  weight?: number | null;
  leafWeight?: number | null;
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface HugepageLimit {
  pageSize: string;
  limit: number;
}

/** OCI `linux.resources`. */
export interface LinuxResources {
  devices?: DeviceRule[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: { limit?: number };
  blockIO?: LinuxBlockIO;
  hugepageLimits?: HugepageLimit[];
  unified?: Record<string, string>;
  [k: string]: unknown;
}

/** Keys of linux.resources this runtime applies; anything else is reported back. */
export const HANDLED = new Set([
  "devices",
  "memory",
  "cpu",
  "pids",
  "blockIO",
  "hugepageLimits",
  "unified",
]);

/** The keys of `r` that are set and not handled (network, rdma, …). */
export function unhandledKeys(r: LinuxResources): string[] {
  return Object.entries(r).filter(([k, v]) => v != null && !HANDLED.has(k)).map(([k]) => k);
}

/** runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] → [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (!shares) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** runc's ConvertBlkIOToIOWeightValue: [10, 1000] → [1, 10000]. */
export function blkioToIoWeight(weight: number): number {
  if (!weight) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * runc's ConvertMemorySwapToCgroupV2Value: v1's memory+swap becomes v2's swap alone.
 * Returns -1 for "max", 0 for "leave as is".
 */
export function swapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1) {
    throw invalidArgument("unable to set swap limit without memory limit");
  }
  if (memory < 0) throw invalidArgument(`invalid memory value: ${memory}`);
  if (swap < memory) throw invalidArgument("memory+swap limit should be >= memory limit");
  return swap - memory;
}

/** runc's numToStr for v2 files: 0 → "" (skip), -1 → "max". */
export function numToStr(n: number | undefined): string {
  if (!n) return "";
  return n === -1 ? "max" : String(n);
}

export const weightString = (d: { major: number; minor: number }, w: number) =>
  `${d.major}:${d.minor} ${w}`;

export const throttleString = (d: ThrottleDevice) => `${d.major}:${d.minor} ${d.rate}`;

/** The four throttle lists with their v1 file and v2 io.max key. */
export function throttles(b: LinuxBlockIO): [ThrottleDevice[], string, string][] {
  return [
    [b.throttleReadBpsDevice ?? [], "blkio.throttle.read_bps_device", "rbps"],
    [b.throttleWriteBpsDevice ?? [], "blkio.throttle.write_bps_device", "wbps"],
    [b.throttleReadIOPSDevice ?? [], "blkio.throttle.read_iops_device", "riops"],
    [b.throttleWriteIOPSDevice ?? [], "blkio.throttle.write_iops_device", "wiops"],
  ];
}

/** Checks the shape of the numbers the managers write (called before any write). */
export function validateResources(r: LinuxResources): void {
  const int = (v: unknown, what: string, min = -Infinity) => {
    if (v == null) return;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw invalidArgument(`linux.resources.${what}: invalid value ${JSON.stringify(v)}`);
    }
  };
  const m = r.memory ?? {};
  for (const k of ["limit", "reservation", "swap", "kernel", "kernelTCP"] as const) {
    int(m[k], `memory.${k}`, -1);
  }
  if (m.swappiness != null && m.swappiness !== -1) {
    int(m.swappiness, "memory.swappiness", 0);
    if (m.swappiness > 100) {
      throw invalidArgument(
        `invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`,
      );
    }
  }
  const c = r.cpu ?? {};
  for (const k of ["shares", "period", "realtimePeriod"] as const) int(c[k], `cpu.${k}`, 0);
  for (const k of ["quota", "realtimeRuntime", "idle"] as const) int(c[k], `cpu.${k}`);
  for (const k of ["cpus", "mems"] as const) {
    if (c[k] != null && !/^[0-9,\-\s]*$/.test(c[k]!)) {
      throw invalidArgument(`linux.resources.cpu.${k}: invalid list ${JSON.stringify(c[k])}`);
    }
  }
  int(r.pids?.limit, "pids.limit");
  const b = r.blockIO ?? {};
  int(b.weight, "blockIO.weight", 0);
  int(b.leafWeight, "blockIO.leafWeight", 0);
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    int(d.major, `blockIO.weightDevice[${i}].major`, 0);
    int(d.minor, `blockIO.weightDevice[${i}].minor`, 0);
    int(d.weight, `blockIO.weightDevice[${i}].weight`, 0);
    int(d.leafWeight, `blockIO.weightDevice[${i}].leafWeight`, 0);
  }
  for (const [list, file] of throttles(b)) {
    for (const [i, d] of list.entries()) {
      int(d.major, `${file}[${i}].major`, 0);
      int(d.minor, `${file}[${i}].minor`, 0);
      int(d.rate, `${file}[${i}].rate`, 0);
    }
  }
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    if (typeof h.pageSize !== "string" || !/^\d+[KMG]B$/.test(h.pageSize)) {
      throw invalidArgument(
        `linux.resources.hugepageLimits[${i}].pageSize: invalid ${JSON.stringify(h.pageSize)}`,
      );
    }
    int(h.limit, `hugepageLimits[${i}].limit`, 0);
  }
  for (const [k, v] of Object.entries(r.unified ?? {})) {
    if (k.includes("/")) {
      throw invalidArgument(
        `unified resource ${JSON.stringify(k)} must be a file name (no slashes)`,
      );
    }
    if (typeof v !== "string") {
      throw invalidArgument(`unified resource ${JSON.stringify(k)}: value must be a string`);
    }
  }
}
