// runc's events Stats (runc/types/events.go), field for field and in its order, with Go's
// omitempty applied when the objects are built. Counters are bigints: a v1 "unlimited"
// limit is 2^63-4096, more than a double holds exactly; goJson prints them as digits.

export type U64 = bigint;

export interface MemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}

export interface BlkioEntry {
  major?: U64;
  minor?: U64;
  op?: string;
  value?: U64;
}

export interface Stats {
  cpu: {
    usage: {
      total?: U64;
      percpu?: U64[];
      percpu_kernel?: U64[];
      percpu_user?: U64[];
      kernel: U64;
      user: U64;
    };
    throttling: { periods?: U64; throttledPeriods?: U64; throttledTime?: U64 };
  };
  cpuset: Record<string, U64 | number[]>;
  memory: {
    cache?: U64;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw?: Record<string, U64>;
  };
  pids: { current?: U64; limit?: U64 };
  blkio: Record<string, BlkioEntry[]>;
  hugetlb: Record<string, { usage?: U64; max?: U64; failcnt: U64 }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** MemoryEntry with omitempty on usage and max. */
export function memoryEntry(limit: U64, usage = 0n, max = 0n, failcnt = 0n): MemoryEntry {
  const e = { limit } as MemoryEntry;
  if (usage) e.usage = usage;
  if (max) e.max = max;
  e.failcnt = failcnt;
  return e;
}

/** Sets `obj[key]` unless `value` is Go's zero (0n, "", empty array). */
export function setIf<T extends object>(obj: T, key: keyof T, value: unknown): void {
  if (value === 0n || value === "" || value == null) return;
  if (Array.isArray(value) && value.length === 0) return;
  (obj as Record<PropertyKey, unknown>)[key] = value;
}

/** A whole number from a cgroup file ("max" → 2^64-1, like runc's ParseUint on v2). */
export function u64(text: string | undefined): U64 {
  const t = (text ?? "").trim();
  if (t === "max") return 0xffff_ffff_ffff_ffffn;
  if (!/^-?\d+$/.test(t)) return 0n;
  const n = BigInt(t);
  return n < 0n ? 0n : n;
}

/** "key value" lines → map (memory.stat, cpu.stat, memory.events). */
export function keyValues(text: string): Map<string, U64> {
  const out = new Map<string, U64>();
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out.set(k, u64(v));
  }
  return out;
}

/** A cpuset list ("0-3,5") → sorted numbers. */
export function cpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** JSON like Go's encoding/json: bigints as digits, no spaces. */
export function goJson(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(goJson).join(",")}]`;
  if (typeof v === "object") {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) parts.push(`${JSON.stringify(k)}:${goJson(x)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(v);
}

export const CPUSET_FLAGS = [
  "mem_hardwall",
  "mem_exclusive",
  "memory_migrate",
  "memory_spread_page",
  "memory_spread_slab",
  "memory_pressure",
  "sched_load_balance",
  "sched_relax_domain_level",
];

/** runc's CPUSet with the given lists and flag values (zero when absent), in Go's order. */
export function cpusetStats(
  cpus: number[],
  mems: number[],
  flag: (name: string) => U64 = () => 0n,
  cpuExclusive = 0n,
): Stats["cpuset"] {
  const out: Stats["cpuset"] = {};
  setIf(out, "cpus", cpus);
  out.cpu_exclusive = cpuExclusive;
  setIf(out, "mems", mems);
  for (const f of CPUSET_FLAGS) out[f] = flag(f);
  return out;
}

/** The Stats skeleton: every section present, all zeros. */
export function emptyStats(): Stats {
  return {
    cpu: { usage: { kernel: 0n, user: 0n }, throttling: {} },
    cpuset: cpusetStats([], []),
    memory: {
      usage: memoryEntry(0n),
      swap: memoryEntry(0n),
      kernel: memoryEntry(0n),
      kernelTCP: memoryEntry(0n),
    },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}
