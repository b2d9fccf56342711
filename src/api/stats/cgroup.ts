// One sample of a container's v1 cgroup counters in Docker's stats JSON shape (moby's
// stats collector + containerd's cgroups v1 metrics): memory, cpuacct, cpu, pids, blkio.
import { cgroupDir } from "../containers/cgroups.ts";

const USER_HZ = 100;

async function read(dir: string | undefined, file: string): Promise<string | undefined> {
  if (!dir) return undefined;
  try {
    return (await Deno.readTextFile(`${dir}/${file}`)).trim();
  } catch {
    return undefined;
  }
}

const num = (s: string | undefined) => (s === undefined || s === "" ? 0 : Number(s) || 0);

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** A blkio file's entries ([] when none: dockerd copies containerd's lists into slices). */
function blkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: +m[1], minor: +m[2], op: m[3], value: +m[4] });
  }
  return out;
}

/** memory.stat's counters dockerd reports on cgroup v1 (containerd's v1 metrics), 0 if absent. */
const MEMORY_STAT_KEYS = [
  "cache",
  "rss",
  "rss_huge",
  "mapped_file",
  "dirty",
  "writeback",
  "pgpgin",
  "pgpgout",
  "pgfault",
  "pgmajfault",
  "inactive_anon",
  "active_anon",
  "inactive_file",
  "active_file",
  "unevictable",
];

function memoryStats(text: string | undefined): Record<string, number> {
  const all = keyValues(text);
  const keys = [
    ...MEMORY_STAT_KEYS,
    "hierarchical_memory_limit",
    "hierarchical_memsw_limit",
    ...MEMORY_STAT_KEYS.map((k) => `total_${k}`),
  ].sort(); // a Go map: sorted keys
  return Object.fromEntries(keys.map((k) => [k, all[k] ?? 0]));
}

/** `o` without its zero numbers (the fields of dockerd's MemoryStats are omitempty). */
function omitZero(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0));
}

let hostMemory: number | undefined;
async function machineMemory(): Promise<number> {
  if (hostMemory !== undefined) return hostMemory;
  const text = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const m = /^MemTotal:\s+(\d+) kB/m.exec(text);
  return hostMemory = m ? Number(m[1]) * 1024 : 0;
}

/** Sum of the first seven fields of /proc/stat's "cpu" line, in nanoseconds (as moby). */
async function systemCpuUsage(): Promise<number> {
  const text = await Deno.readTextFile("/proc/stat").catch(() => "");
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return 0;
  const ticks = line.split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return ticks * (1e9 / USER_HZ);
}

async function onlineCpus(): Promise<number> {
  const text = await Deno.readTextFile("/sys/devices/system/cpu/online").catch(() => "");
  let n = 0;
  for (const part of text.trim().split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (Number.isInteger(a)) n += Number.isInteger(b) ? b - a + 1 : 1;
  }
  return n || navigator.hardwareConcurrency;
}

export interface CpuStats {
  cpu_usage: {
    total_usage: number;
    percpu_usage?: number[];
    usage_in_kernelmode: number;
    usage_in_usermode: number;
  };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export const EMPTY_CPU: CpuStats = {
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
};

export interface Sample {
  read: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, BlkioEntry[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  memory_stats: Record<string, unknown>;
}

/** `parent`: the container's --cgroup-parent ("" for the daemon's). */
export async function sample(id: string, parent = ""): Promise<Sample> {
  const [mem, acct, cpu, pids, blk] = await Promise.all(
    ["memory", "cpuacct", "cpu", "pids", "blkio"].map((c) => cgroupDir(c, id, parent)),
  );
  const [usage, maxUsage, limit, failcnt, memStat] = await Promise.all(
    [
      "memory.usage_in_bytes",
      "memory.max_usage_in_bytes",
      "memory.limit_in_bytes",
      "memory.failcnt",
      "memory.stat",
    ].map((f) => read(mem, f)),
  );
  const [total, percpu, acctStat, cpuStat, pidsCur, pidsMax, bytes, ios] = await Promise.all([
    read(acct, "cpuacct.usage"),
    read(acct, "cpuacct.usage_percpu"),
    read(acct, "cpuacct.stat"),
    read(cpu, "cpu.stat"),
    read(pids, "pids.current"),
    read(pids, "pids.max"),
    read(blk, "blkio.throttle.io_service_bytes_recursive"),
    read(blk, "blkio.throttle.io_serviced_recursive"),
  ]);
  const times = keyValues(acctStat);
  const thr = keyValues(cpuStat);
  const host = await machineMemory();
  let memLimit = num(limit);
  if (host > 0 && memLimit > host) memLimit = host;
  const memory_stats: Record<string, unknown> = mem
    ? omitZero({
      usage: num(usage),
      max_usage: num(maxUsage),
      stats: memoryStats(memStat),
      failcnt: num(failcnt),
      limit: memLimit,
    })
    : {};
  const maxPids = pidsMax && pidsMax !== "max" ? Number(pidsMax) : undefined;
  return {
    read: new Date().toISOString(),
    pids_stats: pids ? { current: num(pidsCur), ...(maxPids ? { limit: maxPids } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: blkio(bytes),
      io_serviced_recursive: blkio(ios),
      // CFQ's counters: without CFQ's files (bfq, mq-deadline) containerd reads the throttle
      // ones only and these stay empty. CFQ hosts (old kernels) are not read.
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: {
      cpu_usage: {
        total_usage: num(total),
        percpu_usage: (percpu ?? "").split(/\s+/).filter((s) => s !== "").map(Number),
        usage_in_kernelmode: (times.system ?? 0) * (1e9 / USER_HZ),
        usage_in_usermode: (times.user ?? 0) * (1e9 / USER_HZ),
      },
      system_cpu_usage: await systemCpuUsage(),
      online_cpus: await onlineCpus(),
      throttling_data: {
        periods: thr.nr_periods ?? 0,
        throttled_periods: thr.nr_throttled ?? 0,
        throttled_time: thr.throttled_time ?? 0,
      },
    },
    memory_stats,
  };
}
