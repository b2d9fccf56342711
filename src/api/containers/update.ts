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

export async function updateContainer(d: Daemon, c: Container, u: Update) {
  const h = c.host;
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
    res.memory = { ...(res.memory ?? {}), limit: u.Memory, swap: u.MemorySwap || u.Memory * 2 };
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
      const swap = u.MemorySwap || u.Memory * 2;
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
