// Statistics of a cgroup v2 container, as runc 1.1's fs2 reads them: cpu.stat (µs → ns),
// memory.current/max/stat (swap reported as memory+swap, like v1), pids, io.stat,
// hugetlb.<size>.current/events. Missing files give zeros.

import type { CgroupFs } from "./fs.ts";
import { hugePageSizes } from "./stats_v1.ts";
import {
  type BlkioEntry,
  emptyStats,
  keyValues,
  memoryEntry,
  setIf,
  type Stats,
  u64,
} from "./stats_types.ts";

const MAX = 0xffff_ffff_ffff_ffffn;

export async function v2Stats(
  fs: CgroupFs,
  dir: string,
  pageSizes = hugePageSizes(),
): Promise<Stats> {
  const read = (file: string) => fs.readFile(`${dir}/${file}`).catch(() => undefined);
  const stats = emptyStats();

  const cpu = keyValues((await read("cpu.stat")) ?? "");
  const usage = {} as Stats["cpu"]["usage"];
  setIf(usage, "total", (cpu.get("usage_usec") ?? 0n) * 1000n);
  usage.kernel = (cpu.get("system_usec") ?? 0n) * 1000n;
  usage.user = (cpu.get("user_usec") ?? 0n) * 1000n;
  stats.cpu.usage = usage;
  setIf(stats.cpu.throttling, "periods", cpu.get("nr_periods"));
  setIf(stats.cpu.throttling, "throttledPeriods", cpu.get("nr_throttled"));
  setIf(stats.cpu.throttling, "throttledTime", (cpu.get("throttled_usec") ?? 0n) * 1000n);

  const memStat = await read("memory.stat");
  if (memStat !== undefined) {
    const raw = Object.fromEntries([...keyValues(memStat)].sort(([a], [b]) => a < b ? -1 : 1));
    const memUsage = u64(await read("memory.current"));
    const memLimit = u64(await read("memory.max"));
    const swapUsage = u64(await read("memory.swap.current"));
    const swapLimit = u64(await read("memory.swap.max"));
    const out = {} as Stats["memory"];
    setIf(out, "cache", raw.file);
    out.usage = memoryEntry(memLimit, memUsage);
    // v1 reports memory+swap: add memory to swap, as runc does for compatibility
    out.swap = memoryEntry(
      swapLimit === MAX ? MAX : swapLimit + memLimit,
      swapUsage + memUsage,
    );
    out.kernel = memoryEntry(0n);
    out.kernelTCP = memoryEntry(0n);
    if (Object.keys(raw).length) out.raw = raw;
    stats.memory = out;
  }

  setIf(stats.pids, "current", u64(await read("pids.current")));
  const pidsMax = (await read("pids.max"))?.trim();
  if (pidsMax && pidsMax !== "max") setIf(stats.pids, "limit", u64(pidsMax));

  const io = await read("io.stat");
  if (io) stats.blkio = ioStats(io);

  for (const size of pageSizes) {
    const current = await read(`hugetlb.${size}.current`);
    if (current === undefined) continue;
    const h = {} as Stats["hugetlb"][string];
    setIf(h, "usage", u64(current));
    h.failcnt = keyValues((await read(`hugetlb.${size}.events`)) ?? "").get("max") ?? 0n;
    stats.hugetlb[size] = h;
  }
  return stats;
}

/** io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 …") → runc's blkio entries. */
export function ioStats(text: string): Record<string, BlkioEntry[]> {
  const bytes: BlkioEntry[] = [], ios: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    for (const kv of kvs) {
      const [k, v] = kv.split("=");
      const into = { rbytes: bytes, wbytes: bytes, rios: ios, wios: ios }[k];
      if (!into) continue;
      const e: BlkioEntry = {};
      setIf(e, "major", BigInt(m[1]));
      setIf(e, "minor", BigInt(m[2]));
      e.op = k.startsWith("r") ? "Read" : "Write";
      setIf(e, "value", u64(v));
      into.push(e);
    }
  }
  const out: Record<string, BlkioEntry[]> = {};
  if (bytes.length) out.ioServiceBytesRecursive = bytes;
  if (ios.length) out.ioServicedRecursive = ios;
  return out;
}
