// linux.resources on cgroup v1, in runc 1.1's order (cpuset, devices, memory, cpu, pids,
// blkio, hugetlb) and with its write sequences: memory and memsw ordered so the kernel
// never sees memsw < memory, cpu.cfs_period_us retried after the quota on EINVAL,
// cpu.shares read back to report the kernel's clamp.

import { EngineError, failedPrecondition, invalidArgument, wrap } from "../../lib/errors.ts";
import { deviceWrites } from "./devices.ts";
import type { CgroupFs } from "./fs.ts";
import {
  type LinuxResources,
  throttles,
  throttleString,
  unhandledKeys,
  validateResources,
  weightString,
} from "./resources.ts";

export interface V1Dirs {
  fs: CgroupFs;
  /** The cgroup directory in `controller`'s hierarchy, or undefined when not mounted. */
  dirOf(controller: string): string | undefined;
}

const isEinval = (err: unknown) =>
  err instanceof Error && /EINVAL|os error 22|Invalid argument/.test(err.message);

class V1Writer {
  constructor(private readonly d: V1Dirs) {}

  dir(controller: string, what: string): string {
    const dir = this.d.dirOf(controller);
    if (!dir) {
      throw failedPrecondition(
        `cannot set ${what} limit: the ${controller} cgroup controller is not mounted`,
      );
    }
    return dir;
  }

  async write(controller: string, file: string, value: string | number): Promise<void> {
    const dir = this.dir(controller, controller);
    try {
      await this.d.fs.writeFile(`${dir}/${file}`, String(value));
    } catch (err) {
      throw wrap(
        err,
        `cgroups: ${controller}: write ${JSON.stringify(String(value))} to ${dir}/${file}`,
      );
    }
  }

  async read(controller: string, file: string): Promise<string> {
    const dir = this.dir(controller, controller);
    try {
      return (await this.d.fs.readFile(`${dir}/${file}`)).trim();
    } catch (err) {
      throw wrap(err, `cgroups: ${controller}: read ${dir}/${file}`);
    }
  }

  exists(controller: string, file: string): Promise<boolean> {
    const dir = this.d.dirOf(controller);
    return dir ? this.d.fs.exists(`${dir}/${file}`) : Promise.resolve(false);
  }
}

/** Applies `r`; returns the names of set keys it does not handle (network, rdma, …). */
export async function setV1Resources(d: V1Dirs, r: LinuxResources): Promise<string[]> {
  validateResources(r);
  if (r.unified && Object.keys(r.unified).length) {
    throw invalidArgument("invalid configuration: cannot use unified on cgroup v1");
  }
  const w = new V1Writer(d);
  const cpu = r.cpu ?? {};
  if (cpu.cpus) await w.write("cpuset", "cpuset.cpus", cpu.cpus);
  if (cpu.mems) await w.write("cpuset", "cpuset.mems", cpu.mems);
  if (r.devices) {
    const { defaultAllow, exceptions } = deviceWrites(r.devices);
    await w.write("devices", defaultAllow ? "devices.allow" : "devices.deny", "a");
    for (const e of exceptions) {
      await w.write("devices", defaultAllow ? "devices.deny" : "devices.allow", e);
    }
  }
  await setMemory(w, r);
  await setCpu(w, r);
  if (r.pids?.limit) await w.write("pids", "pids.max", r.pids.limit > 0 ? r.pids.limit : "max");
  await setBlkio(w, r);
  for (const h of r.hugepageLimits ?? []) {
    w.dir("hugetlb", `hugetlb ${h.pageSize}`);
    await w.write("hugetlb", `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit);
  }
  return unhandledKeys(r);
}

async function setMemory(w: V1Writer, r: LinuxResources): Promise<void> {
  const m = r.memory ?? {};
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // memory -1 without swap: unlimited both (when the kernel has swap accounting)
  if (limit === -1 && swap === 0 && (await w.exists("memory", "memory.memsw.limit_in_bytes"))) {
    swap = -1;
  }
  let ordered = false;
  if (limit !== 0 && swap !== 0) {
    const current = BigInt(await w.read("memory", "memory.limit_in_bytes"));
    // raising: memsw first (it must stay >= memory); lowering: memory first
    if (swap === -1 || current < BigInt(swap)) {
      await setSwap(w, swap);
      await setLimit(w, limit);
      ordered = true;
    }
  }
  if (!ordered) {
    if (limit !== 0) await setLimit(w, limit);
    if (swap !== 0) await setSwap(w, swap);
  }
  if (m.reservation) await w.write("memory", "memory.soft_limit_in_bytes", m.reservation);
  if (m.disableOOMKiller) await w.write("memory", "memory.oom_control", "1");
  if (m.swappiness != null && m.swappiness !== -1) {
    await w.write("memory", "memory.swappiness", m.swappiness);
  }
}

async function setLimit(w: V1Writer, limit: number): Promise<void> {
  try {
    await w.write("memory", "memory.limit_in_bytes", limit);
  } catch (err) {
    if (!(err instanceof Error && /EBUSY|os error 16|busy/i.test(err.message))) throw err;
    const usage = await w.read("memory", "memory.usage_in_bytes").catch(() => "?");
    const max = await w.read("memory", "memory.max_usage_in_bytes").catch(() => "?");
    throw new EngineError(
      "failed_precondition",
      `unable to set memory limit to ${limit} (current usage: ${usage}, peak usage: ${max})`,
    );
  }
}

async function setSwap(w: V1Writer, swap: number): Promise<void> {
  await w.write("memory", "memory.memsw.limit_in_bytes", swap);
}

async function setCpu(w: V1Writer, r: LinuxResources): Promise<void> {
  const c = r.cpu ?? {};
  if (c.shares) {
    await w.write("cpu", "cpu.shares", c.shares);
    const got = Number(await w.read("cpu", "cpu.shares"));
    if (c.shares > got) throw invalidArgument(`the maximum allowed cpu-shares is ${got}`);
    if (c.shares < got) throw invalidArgument(`the minimum allowed cpu-shares is ${got}`);
  }
  let periodLater = false;
  if (c.period) {
    try {
      await w.write("cpu", "cpu.cfs_period_us", c.period);
    } catch (err) {
      // a smaller period can exceed the parent's quota until the quota is set: retry after
      if (!isEinval(err) || !c.quota) throw err;
      periodLater = true;
    }
  }
  if (c.quota) {
    await w.write("cpu", "cpu.cfs_quota_us", c.quota);
    if (periodLater) await w.write("cpu", "cpu.cfs_period_us", c.period!);
  }
  if (c.realtimePeriod) await w.write("cpu", "cpu.rt_period_us", c.realtimePeriod);
  if (c.realtimeRuntime) await w.write("cpu", "cpu.rt_runtime_us", c.realtimeRuntime);
  if (c.idle != null) await w.write("cpu", "cpu.idle", c.idle);
}

async function setBlkio(w: V1Writer, r: LinuxResources): Promise<void> {
  const b = r.blockIO;
  if (!b) return;
  const plain = await w.exists("blkio", "blkio.weight");
  const weightFile = plain ? "blkio.weight" : "blkio.bfq.weight";
  const deviceFile = plain ? "blkio.weight_device" : "blkio.bfq.weight_device";
  if (b.weight) {
    if (!plain && !(await w.exists("blkio", weightFile))) {
      throw failedPrecondition(
        `cannot set blkio weight: neither blkio.weight nor blkio.bfq.weight exists in ${
          w.dir("blkio", "blkio")
        } (no CFQ or BFQ I/O scheduler)`,
      );
    }
    await w.write("blkio", weightFile, b.weight);
  }
  if (b.leafWeight) await w.write("blkio", "blkio.leaf_weight", b.leafWeight);
  for (const d of b.weightDevice ?? []) {
    if (d.weight) await w.write("blkio", deviceFile, weightString(d, d.weight));
    if (d.leafWeight) {
      await w.write("blkio", "blkio.leaf_weight_device", weightString(d, d.leafWeight));
    }
  }
  for (const [list, file] of throttles(b)) {
    for (const d of list) await w.write("blkio", file, throttleString(d));
  }
}
