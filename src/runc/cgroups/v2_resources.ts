// linux.resources on cgroup v2, in runc 1.1's order (pids, memory, io, cpu, devices,
// cpuset, hugetlb, unified) with its conversions: memory.swap.max holds swap alone
// (memory+swap minus memory), cpu.shares becomes cpu.weight, blkio weight becomes
// io.bfq.weight as is or io.weight converted.
//
// Device rules: v2 enforces them with an eBPF program attached to the cgroup
// (device_filter.ts compiles it, src/sys/bpf.ts loads it and replaces the previous one).
// Settings v2 has no file for (disableOOMKiller, swappiness, realtime cpu) are reported
// back, as runc ignores them there.

import { failedPrecondition, wrap } from "../../lib/errors.ts";
import { DEVICE_PROGRAM_LICENSE, deviceFilter, encodeProgram } from "./device_filter.ts";
import type { CgroupFs } from "./fs.ts";
import {
  blkioToIoWeight,
  type LinuxResources,
  numToStr,
  sharesToWeight,
  swapToV2,
  throttles,
  unhandledKeys,
  validateResources,
  weightString,
} from "./resources.ts";

class V2Writer {
  constructor(readonly fs: CgroupFs, readonly dir: string) {}

  async write(file: string, value: string | number): Promise<void> {
    try {
      await this.fs.writeFile(`${this.dir}/${file}`, String(value));
    } catch (err) {
      throw wrap(err, `cgroups: write ${JSON.stringify(String(value))} to ${this.dir}/${file}`);
    }
  }

  exists(file: string): Promise<boolean> {
    return this.fs.exists(`${this.dir}/${file}`);
  }

  async read(file: string): Promise<string> {
    try {
      return await this.fs.readFile(`${this.dir}/${file}`);
    } catch (err) {
      throw wrap(err, `cgroups: read ${this.dir}/${file}`);
    }
  }
}

/** Applies `r` to the cgroup at `dir`; returns what it cannot apply on v2 (with why). */
export async function setV2Resources(
  fs: CgroupFs,
  dir: string,
  r: LinuxResources,
): Promise<string[]> {
  validateResources(r);
  const w = new V2Writer(fs, dir);
  const notes = unhandledKeys(r);
  if (r.pids?.limit) await w.write("pids.max", r.pids.limit > 0 ? r.pids.limit : "max");
  await setMemory(w, r, notes);
  await setIo(w, r);
  await setCpu(w, r, notes);
  if (r.devices) {
    const program = encodeProgram(deviceFilter(r.devices));
    try {
      await fs.setDeviceProgram(dir, program, DEVICE_PROGRAM_LICENSE);
    } catch (err) {
      throw wrap(err, `cgroups: ${dir}: attach the device program`);
    }
  }
  if (r.cpu?.cpus) await w.write("cpuset.cpus", r.cpu.cpus);
  if (r.cpu?.mems) await w.write("cpuset.mems", r.cpu.mems);
  for (const h of r.hugepageLimits ?? []) {
    const file = `hugetlb.${h.pageSize}.max`;
    if (!(await w.exists(file))) {
      throw failedPrecondition(
        `cannot set hugetlb ${h.pageSize} limit: ${dir}/${file} does not exist ` +
          `(hugetlb controller not enabled, or no ${h.pageSize} pages on this host)`,
      );
    }
    await w.write(file, h.limit);
  }
  await setUnified(w, r.unified ?? {});
  return notes;
}

async function setMemory(w: V2Writer, r: LinuxResources, notes: string[]): Promise<void> {
  const m = r.memory ?? {};
  if (m.disableOOMKiller) notes.push("memory.disableOOMKiller (no cgroup v2 equivalent)");
  if (m.swappiness != null && m.swappiness !== -1) {
    notes.push("memory.swappiness (no cgroup v2 equivalent)");
  }
  const limit = m.limit ?? 0, swap = m.swap ?? 0;
  if (!limit && !swap && !m.reservation) return;
  const v2swap = swapToV2(swap, limit);
  let swapStr = numToStr(v2swap);
  // memory == memory+swap: no swap at all
  if (swapStr === "" && v2swap === 0 && swap > 0) swapStr = "0";
  if (swapStr !== "") {
    try {
      await w.write("memory.swap.max", swapStr);
    } catch (err) {
      // no swap accounting: "max" and "0" are what the kernel does anyway
      if (!(err instanceof Deno.errors.NotFound && (swapStr === "max" || swapStr === "0"))) {
        throw err;
      }
    }
  }
  const max = numToStr(limit);
  if (max) await w.write("memory.max", max);
  const low = numToStr(m.reservation);
  if (low) await w.write("memory.low", low);
}

async function setIo(w: V2Writer, r: LinuxResources): Promise<void> {
  const b = r.blockIO;
  if (!b) return;
  const wantWeight = !!b.weight || !!b.weightDevice?.length;
  const bfq = wantWeight && (await w.exists("io.bfq.weight"));
  // per-device BFQ weights (kernel 5.4+): io.bfq.weight reads "default N" and device lines
  const perDevice = bfq && !!b.weightDevice?.length &&
    !/^\s*\d+\s*$/.test(await w.read("io.bfq.weight"));
  if (b.weight) {
    if (bfq) await w.write("io.bfq.weight", b.weight);
    else await w.write("io.weight", blkioToIoWeight(b.weight));
  }
  if (perDevice) {
    for (const d of b.weightDevice!) {
      if (d.weight) await w.write("io.bfq.weight", weightString(d, d.weight));
    }
  }
  for (const [list, , key] of throttles(b)) {
    for (const d of list) await w.write("io.max", `${d.major}:${d.minor} ${key}=${d.rate}`);
  }
}

async function setCpu(w: V2Writer, r: LinuxResources, notes: string[]): Promise<void> {
  const c = r.cpu ?? {};
  if (c.realtimePeriod || c.realtimeRuntime) {
    notes.push("cpu.realtimePeriod/realtimeRuntime (no realtime group scheduling on cgroup v2)");
  }
  const weight = sharesToWeight(c.shares ?? 0);
  if (weight) await w.write("cpu.weight", weight);
  if (c.idle != null) await w.write("cpu.idle", c.idle);
  if (c.quota || c.period) {
    let value = c.quota && c.quota > 0 ? String(c.quota) : "max";
    if (c.period) value += ` ${c.period}`;
    await w.write("cpu.max", value);
  }
}

async function setUnified(w: V2Writer, unified: Record<string, string>): Promise<void> {
  for (const k of Object.keys(unified).sort()) {
    try {
      await w.fs.writeFile(`${w.dir}/${k}`, unified[k]);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
        const [controller, param] = k.split(".", 2);
        if (!param) {
          throw failedPrecondition(
            `unified resource ${JSON.stringify(k)} must be in the form CONTROLLER.PARAMETER`,
          );
        }
        const available = (await w.read("cgroup.controllers").catch(() => "")).split(/\s+/);
        if (controller !== "cgroup" && !available.includes(controller)) {
          throw failedPrecondition(
            `unified resource ${JSON.stringify(k)} can't be set: controller ${
              JSON.stringify(controller)
            } not available in ${w.dir}`,
          );
        }
      }
      throw wrap(err, `unable to set unified resource ${JSON.stringify(k)} in ${w.dir}`);
    }
  }
}
