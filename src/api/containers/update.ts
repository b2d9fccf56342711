// POST /containers/{id}/update: resources (written to the spec, and to the running
// container's v1 cgroup) and the restart policy.
import { conflict, invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { eventAttrs } from "./create.ts";
import type { Container } from "./store.ts";
import type { z } from "zod";
import type { updateBodySchema } from "./types.ts";
import { cgroupDir } from "./cgroups.ts";

type Update = z.infer<typeof updateBodySchema>;

async function writeCgroup(ctrl: string, c: Container, file: string, value: string) {
  const dir = await cgroupDir(ctrl, c.rec.ID, c.host.CgroupParent);
  if (!dir) return;
  await Deno.writeTextFile(`${dir}/${file}`, value).catch((e) => {
    throw invalidArgument(`update ${ctrl}/${file}: ${(e as Error).message}`);
  });
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** dockerd's verifyContainerSettings for an update: the asked values alone. */
function verify(u: Update) {
  if (u.Memory && u.Memory < MIN_MEMORY) {
    throw invalidArgument("Minimum memory limit allowed is 6MB");
  }
  if (u.Memory && u.Memory > 0 && u.MemorySwap && u.MemorySwap > 0 && u.MemorySwap < u.Memory) {
    throw invalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  const cpus = navigator.hardwareConcurrency;
  if (u.NanoCpus && (u.NanoCpus < 0 || u.NanoCpus > cpus * 1e9)) {
    throw invalidArgument(
      `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`,
    );
  }
}

export async function updateContainer(d: Daemon, c: Container, u: Update) {
  const h = c.host;
  verify(u);
  // The swap limit in force: dockerd stores twice the memory when none was given.
  const swapNow = h.MemorySwap || (h.Memory > 0 ? h.Memory * 2 : 0);
  if (u.Memory && u.Memory > swapNow && !u.MemorySwap) {
    throw conflict(
      `Cannot update container ${c.rec.ID}: Memory limit should be smaller than already set ` +
        `memoryswap limit, update the memoryswap at the same time`,
    );
  }
  const swap = u.MemorySwap || swapNow;
  if (u.RestartPolicy) {
    if (c.host.AutoRemove && u.RestartPolicy.Name && u.RestartPolicy.Name !== "no") {
      throw conflict(
        "Restart policy cannot be updated because AutoRemove is enabled for the container",
      );
    }
    h.RestartPolicy = { ...u.RestartPolicy, Name: u.RestartPolicy.Name || "no" };
  }
  if (u.Memory !== undefined) h.Memory = u.Memory;
  if (u.MemorySwap !== undefined) h.MemorySwap = u.MemorySwap;
  if (u.NanoCpus !== undefined) h.NanoCpus = u.NanoCpus;
  if (u.CpuShares !== undefined) h.CpuShares = u.CpuShares;
  if (u.CpuQuota !== undefined) h.CpuQuota = u.CpuQuota;
  if (u.CpuPeriod !== undefined) h.CpuPeriod = u.CpuPeriod;
  if (u.PidsLimit !== undefined) h.PidsLimit = u.PidsLimit;
  const rec = await d.containerd.containers.get(c.rec.ID);
  const spec = rec.spec as { linux?: { resources?: Record<string, Record<string, unknown>> } };
  const res = (spec.linux ??= {}).resources ??= {};
  if (u.Memory) {
    res.memory = { ...(res.memory ?? {}), limit: u.Memory, swap };
  }
  if (u.NanoCpus) {
    res.cpu = { ...(res.cpu ?? {}), quota: Math.floor(u.NanoCpus / 1e4), period: 100000 };
  }
  if (u.CpuShares) res.cpu = { ...(res.cpu ?? {}), shares: u.CpuShares };
  if (u.PidsLimit !== undefined) {
    res.pids = { limit: u.PidsLimit && u.PidsLimit > 0 ? u.PidsLimit : -1 };
  }
  await d.containerd.containers.update(c.rec.ID, { spec: rec.spec });
  if (c.rec.State.Running) {
    if (u.Memory) {
      await writeCgroup("memory", c, "memory.memsw.limit_in_bytes", String(swap)).catch(() => {});
      await writeCgroup("memory", c, "memory.limit_in_bytes", String(u.Memory));
      await writeCgroup("memory", c, "memory.memsw.limit_in_bytes", String(swap)).catch(() => {});
    }
    if (u.NanoCpus) {
      await writeCgroup("cpu", c, "cpu.cfs_period_us", "100000");
      await writeCgroup("cpu", c, "cpu.cfs_quota_us", String(Math.floor(u.NanoCpus / 1e4)));
    }
    if (u.CpuShares) await writeCgroup("cpu", c, "cpu.shares", String(u.CpuShares));
    if (u.PidsLimit !== undefined) {
      await writeCgroup(
        "pids",
        c,
        "pids.max",
        u.PidsLimit && u.PidsLimit > 0 ? String(u.PidsLimit) : "max",
      );
    }
  }
  await d.store.save(c);
  d.events.publish("container", "update", c.rec.ID, eventAttrs(c));
  return { Warnings: [] };
}
