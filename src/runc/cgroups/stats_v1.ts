// Statistics of a cgroup v1 container, read as runc 1.1's fs subsystems read them
// (cpuacct, cpu, cpuset, memory, pids, blkio, hugetlb). Missing files or controllers give
// zeros, as in runc.

import type { CgroupFs } from "./fs.ts";
import {
  type BlkioEntry,
  cpuList,
  CPUSET_FLAGS,
  cpusetStats,
  emptyStats,
  keyValues,
  type MemoryEntry,
  memoryEntry,
  setIf,
  type Stats,
  u64,
} from "./stats_types.ts";

export type { Stats };

const CLOCK_TICKS = 100n; // sysconf(_SC_CLK_TCK) on Linux
const NS_PER_S = 1_000_000_000n;

/** Page sizes the kernel offers ("2MB", "1GB"), from /sys/kernel/mm/hugepages. */
export function hugePageSizes(): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync("/sys/kernel/mm/hugepages")) {
      const kb = Number(/^hugepages-(\d+)kB$/.exec(e.name)?.[1]);
      if (!kb) continue;
      out.push(kb >= 1 << 20 ? `${kb >> 20}GB` : kb >= 1024 ? `${kb >> 10}MB` : `${kb}KB`);
    }
  } catch { /* no hugepages */ }
  return out.sort();
}

export async function v1Stats(
  fs: CgroupFs,
  dirOf: (controller: string) => string | undefined,
  pageSizes = hugePageSizes(),
): Promise<Stats> {
  const read = async (controller: string, file: string): Promise<string | undefined> => {
    const dir = dirOf(controller);
    if (!dir) return undefined;
    return await fs.readFile(`${dir}/${file}`).catch(() => undefined);
  };
  const stats = emptyStats();

  // cpu usage (cpuacct) and throttling (cpu)
  const usage = {} as Stats["cpu"]["usage"];
  setIf(usage, "total", u64(await read("cpuacct", "cpuacct.usage")));
  const percpu = (await read("cpuacct", "cpuacct.usage_percpu"))?.trim().split(/\s+/)
    .filter(Boolean).map(u64);
  setIf(usage, "percpu", percpu);
  const all = (await read("cpuacct", "cpuacct.usage_all"))?.trim().split("\n").slice(1) ?? [];
  const rows = all.map((l) => l.trim().split(/\s+/));
  setIf(usage, "percpu_kernel", rows.map((r) => u64(r[2])));
  setIf(usage, "percpu_user", rows.map((r) => u64(r[1])));
  const ticks = keyValues((await read("cpuacct", "cpuacct.stat")) ?? "");
  usage.kernel = ((ticks.get("system") ?? 0n) * NS_PER_S) / CLOCK_TICKS;
  usage.user = ((ticks.get("user") ?? 0n) * NS_PER_S) / CLOCK_TICKS;
  stats.cpu.usage = usage;
  const cpuStat = keyValues((await read("cpu", "cpu.stat")) ?? "");
  setIf(stats.cpu.throttling, "periods", cpuStat.get("nr_periods"));
  setIf(stats.cpu.throttling, "throttledPeriods", cpuStat.get("nr_throttled"));
  setIf(stats.cpu.throttling, "throttledTime", cpuStat.get("throttled_time"));

  // cpuset
  if (dirOf("cpuset")) {
    const flags = new Map<string, bigint>();
    for (const f of CPUSET_FLAGS) {
      const text = (await read("cpuset", `cpuset.${f}`))?.trim() ?? "0";
      flags.set(f, /^-?\d+$/.test(text) ? BigInt(text) : 0n); // relax_domain_level may be -1
    }
    stats.cpuset = cpusetStats(
      cpuList((await read("cpuset", "cpuset.cpus")) ?? ""),
      cpuList((await read("cpuset", "cpuset.mems")) ?? ""),
      (f) => flags.get(f) ?? 0n,
      u64(await read("cpuset", "cpuset.cpu_exclusive")),
    );
  }

  // memory
  const entry = async (prefix: string): Promise<MemoryEntry> =>
    memoryEntry(
      u64(await read("memory", `${prefix}.limit_in_bytes`)),
      u64(await read("memory", `${prefix}.usage_in_bytes`)),
      u64(await read("memory", `${prefix}.max_usage_in_bytes`)),
      u64(await read("memory", `${prefix}.failcnt`)),
    );
  const memStat = await read("memory", "memory.stat");
  if (memStat !== undefined) {
    const raw = Object.fromEntries([...keyValues(memStat)].sort(([a], [b]) => a < b ? -1 : 1));
    const out = {} as Stats["memory"];
    setIf(out, "cache", raw.cache);
    out.usage = await entry("memory");
    out.swap = await entry("memory.memsw");
    out.kernel = await entry("memory.kmem");
    out.kernelTCP = await entry("memory.kmem.tcp");
    if (Object.keys(raw).length) out.raw = raw;
    stats.memory = out;
  }

  // pids
  setIf(stats.pids, "current", u64(await read("pids", "pids.current")));
  const pidsMax = (await read("pids", "pids.max"))?.trim();
  if (pidsMax && pidsMax !== "max") setIf(stats.pids, "limit", u64(pidsMax));

  // blkio: the first group whose first file has entries, as runc orders them
  if (dirOf("blkio")) stats.blkio = await blkio((f) => read("blkio", f));

  // hugetlb
  if (dirOf("hugetlb")) {
    for (const size of pageSizes) {
      const h = {} as Stats["hugetlb"][string];
      setIf(h, "usage", u64(await read("hugetlb", `hugetlb.${size}.usage_in_bytes`)));
      setIf(h, "max", u64(await read("hugetlb", `hugetlb.${size}.max_usage_in_bytes`)));
      h.failcnt = u64(await read("hugetlb", `hugetlb.${size}.failcnt`));
      stats.hugetlb[size] = h;
    }
  }
  return stats;
}

const BLKIO_GROUPS: [string, string][][] = [
  [
    ["blkio.bfq.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.sectors_recursive", "sectorsRecursive"],
    ["blkio.io_service_bytes_recursive", "ioServiceBytesRecursive"],
    ["blkio.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.io_queued_recursive", "ioQueueRecursive"],
    ["blkio.io_service_time_recursive", "ioServiceTimeRecursive"],
    ["blkio.io_wait_time_recursive", "ioWaitTimeRecursive"],
    ["blkio.io_merged_recursive", "ioMergedRecursive"],
    ["blkio.time_recursive", "ioTimeRecursive"],
  ],
  [
    ["blkio.throttle.io_serviced_recursive", "ioServicedRecursive"],
    ["blkio.throttle.io_service_bytes_recursive", "ioServiceBytesRecursive"],
  ],
  [
    ["blkio.throttle.io_serviced", "ioServicedRecursive"],
    ["blkio.throttle.io_service_bytes", "ioServiceBytesRecursive"],
  ],
];

/** Go's field order of runc's types.Blkio. */
const BLKIO_ORDER = [
  "ioServiceBytesRecursive",
  "ioServicedRecursive",
  "ioQueueRecursive",
  "ioServiceTimeRecursive",
  "ioWaitTimeRecursive",
  "ioMergedRecursive",
  "ioTimeRecursive",
  "sectorsRecursive",
];

async function blkio(
  read: (file: string) => Promise<string | undefined>,
): Promise<Record<string, BlkioEntry[]>> {
  for (const group of BLKIO_GROUPS) {
    const out: Record<string, BlkioEntry[]> = {};
    let first = true;
    for (const [file, key] of group) {
      const entries = blkioEntries((await read(file)) ?? "");
      if (first && entries.length === 0) break;
      first = false;
      if (entries.length) out[key] = entries;
    }
    if (!first) {
      // Go's struct order, not the files' order
      return Object.fromEntries(BLKIO_ORDER.filter((k) => out[k]).map((k) => [k, out[k]]));
    }
  }
  return {};
}

/** "8:0 Read 4096" lines (the "Total" line skipped), omitempty fields. */
export function blkioEntries(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/[ :]+/).filter(Boolean);
    if (f.length < 3) continue;
    const e: BlkioEntry = {};
    setIf(e, "major", u64(f[0]));
    setIf(e, "minor", u64(f[1]));
    if (f.length === 4) setIf(e, "op", f[2]);
    setIf(e, "value", u64(f[f.length === 4 ? 3 : 2]));
    out.push(e);
  }
  return out;
}
