// `runc update`: new resource limits for a live container, from flags or from an OCI
// LinuxResources JSON (-r file, or - for stdin), merged into the container's resources
// the way runc 1.1 merges them (the fields update knows are replaced — 0 meaning "leave
// the cgroup file as is" —, the others kept and written again), applied to its cgroup
// (devices skipped, as runc does), then saved in state.json.

import { invalidArgument } from "../lib/errors.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import type { LinuxResources } from "./cgroups/mod.ts";
import { logWarning } from "./log.ts";
import { computeStatus, loadState, saveState } from "./state.ts";

export interface UpdateFlags {
  resources?: string;
  blkioWeight?: number;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  pidsLimit?: number;
}

/**
 * runc 1.1 still accepts the hidden --kernel-memory and --kernel-memory-tcp flags (and
 * ignores them): takes them out of `argv` before the flag table sees it.
 */
export function takeHiddenFlags(argv: string[]): { argv: string[]; hidden: UpdateFlags } {
  const out: string[] = [], hidden: UpdateFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?(kernel-memory|kernel-memory-tcp)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      out.push(argv[i]);
      if (argv[i] === "--") out.push(...argv.slice(i + 1));
      if (argv[i] === "--") break;
      continue;
    }
    const value = m[2] ?? argv[++i] ?? "";
    if (m[1] === "kernel-memory") hidden.kernelMemory = value;
    else hidden.kernelMemoryTcp = value;
  }
  return { argv: out, hidden };
}

/** docker/go-units RAMInBytes: "512", "64m", "1.5GiB" (binary multiples). */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mul = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[
    (m[2] ?? "").toLowerCase() as "k"
  ];
  return Math.trunc(parseFloat(m[1]) * mul);
}

function parseUint(opt: string, s: string): number {
  if (!/^\d+$/.test(s)) {
    throw invalidArgument(
      `invalid value for ${opt}: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`,
    );
  }
  return Number(s);
}

function parseInt64(opt: string, s: string): number {
  if (!/^[+-]?\d+$/.test(s)) {
    throw invalidArgument(
      `invalid value for ${opt}: strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`,
    );
  }
  return Number(s);
}

/** The requested resources: every field update knows, 0 where not given (runc's `r`). */
export async function requested(f: UpdateFlags): Promise<
  Required<
    Pick<
      LinuxResources,
      "memory" | "cpu" | "blockIO" | "pids"
    >
  > & { unified?: Record<string, string> }
> {
  const r = {
    memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0 },
    cpu: {
      shares: 0,
      quota: 0,
      period: 0,
      realtimeRuntime: 0,
      realtimePeriod: 0,
      cpus: "",
      mems: "",
    },
    blockIO: { weight: 0 },
    pids: { limit: 0 },
    unified: undefined as Record<string, string> | undefined,
  };
  if (f.resources) {
    const text = f.resources === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(f.resources).catch((e) => {
        if (e instanceof Deno.errors.NotFound) {
          throw new Error(`open ${f.resources}: no such file or directory`);
        }
        throw e;
      });
    let j: Record<string, Record<string, unknown> | undefined>;
    try {
      j = JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`update: parse ${f.resources}: ${(err as Error).message}`);
    }
    if (typeof j !== "object" || j === null || Array.isArray(j)) {
      throw invalidArgument(`update: ${f.resources}: expected a JSON object`);
    }
    Object.assign(r.memory, j.memory ?? {});
    Object.assign(r.cpu, j.cpu ?? {});
    Object.assign(r.blockIO, j.blockIO ?? {});
    Object.assign(r.pids, j.pids ?? {});
    if (j.unified) r.unified = j.unified as Record<string, string>;
    return r;
  }
  if (f.blkioWeight) r.blockIO.weight = f.blkioWeight;
  if (f.cpusetCpus) r.cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) r.cpu.mems = f.cpusetMems;
  if (f.cpuPeriod) r.cpu.period = parseUint("cpu-period", f.cpuPeriod);
  if (f.cpuRtPeriod) r.cpu.realtimePeriod = parseUint("cpu-rt-period", f.cpuRtPeriod);
  if (f.cpuShare) r.cpu.shares = parseUint("cpu-share", f.cpuShare);
  if (f.cpuQuota) r.cpu.quota = parseInt64("cpu-quota", f.cpuQuota);
  if (f.cpuRtRuntime) r.cpu.realtimeRuntime = parseInt64("cpu-rt-runtime", f.cpuRtRuntime);
  const mem: [keyof UpdateFlags, string, keyof typeof r.memory][] = [
    ["memory", "memory", "limit"],
    ["memorySwap", "memory-swap", "swap"],
    ["kernelMemory", "kernel-memory", "kernel"],
    ["kernelMemoryTcp", "kernel-memory-tcp", "kernelTCP"],
    ["memoryReservation", "memory-reservation", "reservation"],
  ];
  for (const [key, opt, dest] of mem) {
    const val = f[key] as string | undefined;
    if (!val) continue;
    try {
      r.memory[dest] = val === "-1" ? -1 : ramInBytes(val);
    } catch (err) {
      throw invalidArgument(`invalid value for ${opt}: ${(err as Error).message}`);
    }
  }
  r.pids.limit = f.pidsLimit ?? 0;
  return r;
}

/** runc's merge of the request into the container's resources (update.go). */
export function merge(
  old: LinuxResources,
  r: Awaited<ReturnType<typeof requested>>,
): LinuxResources {
  const out: LinuxResources = structuredClone(old);
  const set = <T extends object>(obj: T, key: keyof T, v: unknown) => {
    if (v === 0 || v === "" || v == null) delete obj[key];
    else (obj as Record<PropertyKey, unknown>)[key] = v;
  };
  const bio = out.blockIO ??= {};
  set(bio, "weight", r.blockIO.weight);
  const cpu = out.cpu ??= {};
  const p = r.cpu.period ?? 0, q = r.cpu.quota ?? 0;
  // quota and period: both given or both absent replace both; one alone keeps the other
  if ((p === 0) === (q === 0)) {
    set(cpu, "period", p);
    set(cpu, "quota", q);
  } else if (p !== 0) set(cpu, "period", p);
  else set(cpu, "quota", q);
  set(cpu, "shares", r.cpu.shares);
  set(cpu, "realtimePeriod", r.cpu.realtimePeriod);
  set(cpu, "realtimeRuntime", r.cpu.realtimeRuntime);
  set(cpu, "cpus", r.cpu.cpus);
  set(cpu, "mems", r.cpu.mems);
  const mem = out.memory ??= {};
  set(mem, "limit", r.memory.limit);
  set(mem, "reservation", r.memory.reservation);
  set(mem, "swap", r.memory.swap);
  const pids = out.pids ??= {};
  set(pids, "limit", r.pids.limit);
  if (r.unified) out.unified = r.unified;
  else delete out.unified;
  for (const k of ["blockIO", "cpu", "memory", "pids"] as const) {
    if (Object.keys(out[k] ?? {}).length === 0) delete out[k];
  }
  return out;
}

export async function update(root: string, id: string, flags: UpdateFlags): Promise<void> {
  const state = await loadState(root, id);
  const cg = await cgroupOf(state);
  if ((await computeStatus(root, state, () => cg.frozen())) === "stopped") {
    throw new Error("container not running");
  }
  const r = await requested(flags);
  if (r.memory.kernel || r.memory.kernelTCP) {
    logWarning("Kernel memory settings are ignored and will be removed");
  }
  const linux = state.config.linux ??= {};
  const old = (linux.resources ?? {}) as LinuxResources;
  const next = merge(old, r);
  const { devices: _skip, ...toApply } = next; // runc update never rewrites device rules
  try {
    await cg.setResources(toApply);
  } catch (err) {
    const { devices: _d, ...previous } = old;
    await cg.setResources(previous).catch((e) =>
      logWarning(`update: restoring the previous limits: ${(e as Error).message}`)
    );
    throw err;
  }
  linux.resources = next as typeof linux.resources;
  await saveState(root, state);
}
