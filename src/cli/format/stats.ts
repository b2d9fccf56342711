// `stats` rows from one GET /containers/{id}/stats answer (cgroup v1/v2 numbers as the API
// reports them), computed as docker's CLI does.

import { bytesSize, humanSize } from "../units.ts";
import { truncateId } from "./formatter.ts";

export const STATS_HEADER =
  "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS";

// deno-lint-ignore no-explicit-any
type Stats = Record<string, any>;

export function statsRow(id: string, s: Stats, trunc = true): string {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) -
    (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const ncpu = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * ncpu * 100 : 0;
  const mem = s.memory_stats ?? {};
  const cache = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
  const used = Math.max(0, (mem.usage ?? 0) - cache);
  const limit = mem.limit ?? 0;
  let rx = 0, tx = 0;
  for (
    const n of Object.values(
      (s.networks ?? {}) as Record<string, { rx_bytes: number; tx_bytes: number }>,
    )
  ) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0, written = 0;
  for (
    const e of (s.blkio_stats?.io_service_bytes_recursive ?? []) as { op: string; value: number }[]
  ) {
    if (/^read$/i.test(e.op)) read += e.value;
    if (/^write$/i.test(e.op)) written += e.value;
  }
  const name = String(s.name ?? "").replace(/^\//, "");
  return [
    trunc ? truncateId(s.id ?? id) : s.id ?? id,
    name,
    `${cpu.toFixed(2)}%`,
    `${bytesSize(used)} / ${bytesSize(limit)}`,
    `${(limit > 0 ? (used / limit) * 100 : 0).toFixed(2)}%`,
    `${humanSize(rx)} / ${humanSize(tx)}`,
    `${humanSize(read)} / ${humanSize(written)}`,
    String(s.pids_stats?.current ?? 0),
  ].join("\t");
}
