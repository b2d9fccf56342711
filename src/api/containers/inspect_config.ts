// Config and HostConfig as dockerd 20.10 shows them in inspect: their Go structs' fields in
// their order, each absent one at its zero value (null for lists and maps, "" and 0, [0,0]
// for ConsoleSize), the omitempty ones left out when empty, no field 20.10 does not know,
// and maps with sorted keys (as Go writes them).
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../../containerd/oci/mod.ts";
import type { Config, HostConfig } from "./types.ts";

/** [field, zero value]; OMIT: left out when empty (omitempty), as absent. */
const OMIT = Symbol("omitempty");

const CONFIG_FIELDS: [string, unknown][] = [
  ["Hostname", ""],
  ["Domainname", ""],
  ["User", ""],
  ["AttachStdin", false],
  ["AttachStdout", false],
  ["AttachStderr", false],
  ["ExposedPorts", OMIT],
  ["Tty", false],
  ["OpenStdin", false],
  ["StdinOnce", false],
  ["Env", null],
  ["Cmd", null],
  ["Healthcheck", OMIT],
  ["ArgsEscaped", OMIT],
  ["Image", ""],
  ["Volumes", null],
  ["WorkingDir", ""],
  ["Entrypoint", null],
  ["NetworkDisabled", OMIT],
  ["MacAddress", OMIT],
  ["OnBuild", null],
  ["Labels", null],
  ["StopSignal", OMIT],
  ["StopTimeout", OMIT],
  ["Shell", OMIT],
];

const HOST_FIELDS: [string, unknown][] = [
  ["Binds", null],
  ["ContainerIDFile", ""],
  ["LogConfig", { Type: "", Config: null }],
  ["NetworkMode", ""],
  ["PortBindings", null],
  ["RestartPolicy", { Name: "", MaximumRetryCount: 0 }],
  ["AutoRemove", false],
  ["VolumeDriver", ""],
  ["VolumesFrom", null],
  ["CapAdd", null],
  ["CapDrop", null],
  ["CgroupnsMode", ""],
  ["Dns", null],
  ["DnsOptions", null],
  ["DnsSearch", null],
  ["ExtraHosts", null],
  ["GroupAdd", null],
  ["IpcMode", ""],
  ["Cgroup", ""],
  ["Links", null],
  ["OomScoreAdj", 0],
  ["PidMode", ""],
  ["Privileged", false],
  ["PublishAllPorts", false],
  ["ReadonlyRootfs", false],
  ["SecurityOpt", null],
  ["StorageOpt", OMIT],
  ["Tmpfs", OMIT],
  ["UTSMode", ""],
  ["UsernsMode", ""],
  ["ShmSize", 0],
  ["Sysctls", OMIT],
  ["Runtime", OMIT],
  ["ConsoleSize", [0, 0]],
  ["Isolation", ""],
  // Resources
  ["CpuShares", 0],
  ["Memory", 0],
  ["NanoCpus", 0],
  ["CgroupParent", ""],
  ["BlkioWeight", 0],
  ["BlkioWeightDevice", null],
  ["BlkioDeviceReadBps", null],
  ["BlkioDeviceWriteBps", null],
  ["BlkioDeviceReadIOps", null],
  ["BlkioDeviceWriteIOps", null],
  ["CpuPeriod", 0],
  ["CpuQuota", 0],
  ["CpuRealtimePeriod", 0],
  ["CpuRealtimeRuntime", 0],
  ["CpusetCpus", ""],
  ["CpusetMems", ""],
  ["Devices", null],
  ["DeviceCgroupRules", null],
  ["DeviceRequests", null],
  ["KernelMemory", 0],
  ["KernelMemoryTCP", 0],
  ["MemoryReservation", 0],
  ["MemorySwap", 0],
  ["MemorySwappiness", null],
  ["OomKillDisable", null],
  ["PidsLimit", null],
  ["Ulimits", null],
  ["CpuCount", 0],
  ["CpuPercent", 0],
  ["IOMaximumIOps", 0],
  ["IOMaximumBandwidth", 0],
  // Mounts
  ["Mounts", OMIT],
  ["MaskedPaths", null],
  ["ReadonlyPaths", null],
  ["Init", OMIT],
];

function empty(v: unknown): boolean {
  if (v == null || v === "" || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && Object.keys(v as object).length === 0;
}

/** Maps keep their entries, keys sorted; other values as they are. */
export function sortedMap(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `src` laid out as `fields`; `pointers`: omitempty fields shown unless absent. */
function layout(
  src: Record<string, unknown>,
  fields: [string, unknown][],
  maps: Set<string>,
  pointers: Set<string>,
) {
  const out: Record<string, unknown> = {};
  for (const [k, zero] of fields) {
    const v = maps.has(k) ? sortedMap(src[k]) : src[k];
    if (zero !== OMIT) out[k] = v ?? zero;
    else if (pointers.has(k) ? v != null : !empty(v)) out[k] = v;
  }
  return out;
}

const CONFIG_MAPS = new Set(["ExposedPorts", "Volumes", "Labels"]);
const HOST_MAPS = new Set(["PortBindings", "StorageOpt", "Tmpfs", "Sysctls"]);

export function configView(c: Config) {
  // StopTimeout and Healthcheck are pointers: shown when set, even to 0.
  return layout(c, CONFIG_FIELDS, CONFIG_MAPS, new Set(["StopTimeout", "Healthcheck"]));
}

/** `links`: HostConfig.Links as dockerd shows them (links.ts linkViews). */
export function hostConfigView(h: HostConfig, links: string[] | null) {
  const src: Record<string, unknown> = {
    ...h,
    Links: links,
    MaskedPaths: h.MaskedPaths ?? (h.Privileged ? null : [...DEFAULT_MASKED_PATHS]),
    ReadonlyPaths: h.ReadonlyPaths ?? (h.Privileged ? null : [...DEFAULT_READONLY_PATHS]),
    // Kernel memory limits (deprecated) are not applied here: shown as none.
    KernelMemory: 0,
    KernelMemoryTCP: 0,
  };
  const view = layout(src, HOST_FIELDS, HOST_MAPS, new Set(["Init"]));
  const log = h.LogConfig;
  if (log) view.LogConfig = { Type: log.Type, Config: sortedMap(log.Config ?? null) };
  return view;
}
