// dockerd's checks of a create request before any spec is built (daemon/daemon_unix.go
// verifyPlatformContainerResources and verifyPlatformContainerSettings, daemon/container.go
// verifyContainerSettings), with dockerd's words: the CLI prints them after "docker: Error
// response from daemon:". The spec builders check the same values again for other callers.
import { internal, invalidArgument } from "../../lib/errors.ts";
import { blkioHas } from "./cgroups.ts";
import { ALL_CAPABILITIES, MIN_MEMORY } from "../../containerd/oci/mod.ts";
import { LOG_DRIVERS } from "../config_validate.ts";
import { parseSignal } from "./signals.ts";
import type { Config, HostConfig } from "./types.ts";

/** Docker's cpuset list syntax ("0-2,4"); the numbers it names. */
function parseCpuset(list: string): Set<number> {
  const out = new Set<number>();
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${list}`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo) throw new Error(`invalid range format: ${part}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** The root cpuset cgroup's list (dockerd's sysInfo.Cpus / Mems), else the online CPUs. */
async function available(what: "cpus" | "mems"): Promise<string> {
  for (
    const f of [
      `/sys/fs/cgroup/cpuset/cpuset.${what}`,
      `/sys/fs/cgroup/cpuset.${what}.effective`,
      what === "cpus" ? "/sys/devices/system/cpu/online" : "/sys/devices/system/node/online",
    ]
  ) {
    const text = await Deno.readTextFile(f).catch(() => "");
    if (text.trim()) return text.trim();
  }
  return "0";
}

async function checkCpuset(list: string, what: "cpus" | "mems"): Promise<void> {
  if (!list) return;
  let want: Set<number>;
  try {
    want = parseCpuset(list);
  } catch (e) {
    throw invalidArgument(`Invalid value ${list} for cpuset ${what}: ${(e as Error).message}`);
  }
  const have = await available(what);
  const ok = parseCpuset(have);
  if ([...want].some((n) => !ok.has(n))) {
    const noun = what === "cpus" ? "CPUs" : "memory nodes";
    throw invalidArgument(
      `Requested ${noun} are not available - requested ${list}, available: ${have}`,
    );
  }
}

function checkCapabilities(caps: string[] | null | undefined, field: string): void {
  for (const c of caps ?? []) {
    let name = c.toUpperCase();
    if (name === "ALL") continue;
    if (!name.startsWith("CAP_")) name = "CAP_" + name;
    if (!ALL_CAPABILITIES.includes(name)) {
      throw invalidArgument(`invalid ${field}: unknown capability: ${JSON.stringify(name)}`);
    }
  }
}

/**
 * dockerd's validateNetMode (runconfig/hostconfig_unix.go), run on the request as it came:
 * what another container's network (or the host's UTS namespace) already decides.
 */
export function validateNetMode(cfg: Config, host: HostConfig): void {
  const mode = host.NetworkMode ?? "";
  const parts = mode.split(":");
  if (parts[0] === "container" && !parts[1]) {
    throw invalidArgument("Invalid network mode: invalid container format container:<name|id>");
  }
  const joined = mode.startsWith("container:");
  if (joined) {
    if (cfg.Hostname) throw invalidArgument("conflicting options: hostname and the network mode");
    if (host.Links?.length) {
      throw invalidArgument(
        "conflicting options: container type network can't be used with links. This would " +
          "result in undefined behavior",
      );
    }
    if (host.Dns?.length) throw invalidArgument("conflicting options: dns and the network mode");
    if (host.ExtraHosts?.length) {
      throw invalidArgument("conflicting options: custom host-to-IP mapping and the network mode");
    }
  }
  if ((joined || mode === "host") && cfg.MacAddress) {
    throw invalidArgument("conflicting options: mac-address and the network mode");
  }
  if (joined && (Object.keys(host.PortBindings ?? {}).length || host.PublishAllPorts)) {
    throw invalidArgument(
      "conflicting options: port publishing and the container type network mode",
    );
  }
  if (joined && Object.keys(cfg.ExposedPorts ?? {}).length) {
    throw invalidArgument("conflicting options: port exposing and the container type network mode");
  }
  if (host.UTSMode === "host" && cfg.Hostname) {
    throw invalidArgument("conflicting options: hostname and the UTS mode");
  }
}

/**
 * Create: --storage-opt (a size quota of the writable layer), which dockerd's overlay2 only
 * honours on xfs with project quotas; our snapshots never have them.
 */
function checkStorageOpt(host: HostConfig): void {
  if (Object.keys(host.StorageOpt ?? {}).length) {
    throw invalidArgument(
      "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    );
  }
}

/**
 * Start: --gpus and other device requests need a device driver (dockerd's nvidia one);
 * none is registered here, so each is refused in dockerd's words (Go's %v of the lists).
 */
export function checkDeviceRequests(host: HostConfig): void {
  const r = host.DeviceRequests?.[0];
  if (!r) return;
  const caps = `[${(r.Capabilities ?? []).map((c) => `[${c.join(" ")}]`).join(" ")}]`;
  throw internal(
    `could not select device driver ${JSON.stringify(r.Driver)} with capabilities: ${caps}`,
  );
}

/**
 * dockerd's blkio checks (verifyPlatformContainerResources): what the host's blkio controller
 * lacks is discarded with dockerd's warning (create's Warnings, which the CLI prints), then
 * the weight's range. blkio.weight is missing on kernels without CFQ/BFQ, as here.
 */
export async function discardUnsupportedBlkio(host: HostConfig): Promise<string[]> {
  const warnings: string[] = [];
  const discard = async (set: boolean, file: string, warning: string, clear: () => void) => {
    if (!set || await blkioHas(file)) return;
    warnings.push(warning);
    clear();
  };
  const no = "Your kernel does not support";
  const notMounted = "or the cgroup is not mounted.";
  await discard(
    host.BlkioWeight > 0,
    "blkio.weight",
    `${no} Block I/O weight ${notMounted} Weight discarded.`,
    () => host.BlkioWeight = 0,
  );
  if (host.BlkioWeight > 0 && (host.BlkioWeight < 10 || host.BlkioWeight > 1000)) {
    throw invalidArgument("Range of blkio weight is from 10 to 1000");
  }
  await discard(
    !!host.BlkioWeightDevice?.length,
    "blkio.weight_device",
    `${no} Block I/O weight_device ${notMounted} Weight-device discarded.`,
    () => host.BlkioWeightDevice = [],
  );
  const throttles = [
    ["BlkioDeviceReadBps", "read_bps_device", "BPS Block I/O read limit", "Block I/O BPS read"],
    ["BlkioDeviceWriteBps", "write_bps_device", "BPS Block I/O write limit", "Block I/O BPS write"],
    ["BlkioDeviceReadIOps", "read_iops_device", "IOPS Block read limit", "Block I/O IOPS read"],
    ["BlkioDeviceWriteIOps", "write_iops_device", "IOPS Block write limit", "Block I/O IOPS write"],
  ] as const;
  for (const [key, file, what, limit] of throttles) {
    await discard(
      !!host[key]?.length,
      `blkio.throttle.${file}`,
      `${no} ${what} ${notMounted} ${limit} limit discarded.`,
      () => host[key] = [],
    );
  }
  return warnings;
}

export async function verifyContainerSettings(cfg: Config, host: HostConfig): Promise<void> {
  checkStorageOpt(host);
  // dockerd's verifyPlatformContainerSettings: Linux knows only the default isolation.
  if (!["", "default"].includes(host.Isolation.toLowerCase())) {
    throw invalidArgument(
      `Invalid isolation: ${JSON.stringify(host.Isolation)} - linux only supports 'default'`,
    );
  }
  if (host.Annotations && "" in host.Annotations) {
    throw invalidArgument(
      "invalid Annotations: the empty string is not permitted as an annotation key",
    );
  }
  if (cfg.StopSignal) parseSignal(cfg.StopSignal); // "Invalid signal: …"
  if (cfg.MacAddress && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(cfg.MacAddress)) {
    throw invalidArgument(`invalid MAC address: ${cfg.MacAddress}`);
  }
  checkCapabilities(host.CapAdd, "CapAdd");
  checkCapabilities(host.CapDrop, "CapDrop");
  if (host.ShmSize < 0) throw invalidArgument("SHM size can not be less than 0");
  if (host.OomScoreAdj < -1000 || host.OomScoreAdj > 1000) {
    throw invalidArgument(
      `Invalid value ${host.OomScoreAdj}, range for oom score adj is [-1000, 1000]`,
    );
  }
  if (host.Memory !== 0 && host.Memory < MIN_MEMORY) {
    throw invalidArgument("Minimum memory limit allowed is 6MB");
  }
  if (host.Memory > 0 && host.MemorySwap > 0 && host.MemorySwap < host.Memory) {
    throw invalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (host.Memory === 0 && host.MemorySwap > 0) {
    throw invalidArgument(
      "You should always set the Memory limit when using Memoryswap limit, see usage",
    );
  }
  const swappiness = host.MemorySwappiness;
  if (swappiness != null && (swappiness < -1 || swappiness > 100)) {
    throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (host.Memory > 0 && host.MemoryReservation > 0 && host.Memory < host.MemoryReservation) {
    throw invalidArgument(
      "Minimum memory limit can not be less than memory reservation limit, see usage",
    );
  }
  if (host.MemoryReservation !== 0 && host.MemoryReservation < MIN_MEMORY) {
    throw invalidArgument("Minimum memory reservation allowed is 6MB");
  }
  if (host.NanoCpus > 0 && host.CpuPeriod > 0) {
    throw invalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (host.NanoCpus > 0 && host.CpuQuota > 0) {
    throw invalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  const cpus = navigator.hardwareConcurrency;
  if (host.NanoCpus < 0 || host.NanoCpus > cpus * 1e9) {
    throw invalidArgument(
      `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`,
    );
  }
  await checkCpuset(host.CpusetCpus, "cpus");
  await checkCpuset(host.CpusetMems, "mems");
  const driver = host.LogConfig.Type;
  if (driver && !LOG_DRIVERS.includes(driver)) {
    throw invalidArgument(
      `error looking up logging plugin ${driver}: plugin "${driver}" not found`,
    );
  }
}
