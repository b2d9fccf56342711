// The container's OCI spec from its (merged) Config and HostConfig, with containerd's spec
// builders: Docker's defaults, then each option in dockerd's order.
import {
  cgroupPath,
  generateSpec,
  parseDevice,
  type Spec,
  type SpecOpt,
  statHostDevice,
  withAnnotations,
  withCapabilities,
  withCgroupnsMode,
  withCgroupsPath,
  withCPUs,
  withCpuset,
  withCpuShares,
  withDeviceCgroupRules,
  withDevices,
  withEnv,
  withHostname,
  withInit,
  withIpcMode,
  withMemoryLimit,
  withMemoryReservation,
  withMounts,
  withNetworkMode,
  withNoNewPrivileges,
  withOomKillDisabled,
  withOOMScoreAdj,
  withPidMode,
  withPidsLimit,
  withPrivileged,
  withProcessArgs,
  withReadonlyRootfs,
  withShmSize,
  withSysctls,
  withTTY,
  withUlimits,
  withUtsMode,
  withWorkingDir,
} from "../../containerd/oci/mod.ts";
import { type BlockIOSettings, withBlockIO } from "../../containerd/oci/mod.ts";
import { seccompOpt } from "./seccomp.ts";
import { withinOwnBoundingSet } from "./own_caps.ts";
import type { MountRequest } from "../../containerd/oci/mod.ts";
import { invalidArgument } from "../../lib/errors.ts";
import type { Config, HostConfig } from "./types.ts";

/** The IPC modes a container has alone (container:<id> joins another's). */
export const IPC_MODES = ["", "private", "shareable", "none", "host"];

export interface SpecFiles {
  hostname: string;
  hosts: string;
  resolvConf: string;
  /** The network namespace: "host", "none" (a new one), or a namespace file to join. */
  netns: string;
  /** Where a shareable container's /dev/shm tmpfs is mounted at its start (shm.ts). */
  shm: string;
}

/** -v host:ctr[:opts] and --mount/--tmpfs as the builders' mount requests. */
export function mountRequests(host: HostConfig): MountRequest[] {
  const out: MountRequest[] = [];
  for (const b of host.Binds ?? []) {
    const parts = b.split(":");
    if (parts.length < 2 || parts.length > 3) {
      throw invalidArgument(`invalid volume specification: '${b}'`);
    }
    const [source, destination, mode = ""] = parts;
    if (!source.startsWith("/")) {
      throw invalidArgument(
        `invalid volume specification: '${b}': named volumes are not supported yet, use an absolute host path`,
      );
    }
    const opts = mode ? mode.split(",") : [];
    for (const o of opts) {
      if (
        ![
          "ro",
          "rw",
          "z",
          "Z",
          "private",
          "rprivate",
          "shared",
          "rshared",
          "slave",
          "rslave",
          "nocopy",
        ].includes(o)
      ) {
        throw invalidArgument(`invalid mode: ${o}`);
      }
    }
    out.push({
      source,
      destination,
      readonly: opts.includes("ro"),
      options: opts.filter((o) => !["z", "Z", "nocopy", "ro", "rw"].includes(o)),
    });
  }
  for (const m of host.Mounts ?? []) {
    if (m.Type === "bind") {
      out.push({
        source: m.Source ?? "",
        destination: m.Target,
        readonly: m.ReadOnly,
        propagation: m.BindOptions?.Propagation as never,
        nonRecursive: m.BindOptions?.NonRecursive,
      });
    } else if (m.Type === "tmpfs") {
      out.push({
        type: "tmpfs",
        destination: m.Target,
        size: m.TmpfsOptions?.SizeBytes,
        mode: m.TmpfsOptions?.Mode,
        readonly: m.ReadOnly,
      });
    } else throw invalidArgument(`mount type ${m.Type} is not supported yet`);
  }
  for (const [dest, opts] of Object.entries(host.Tmpfs ?? {})) {
    out.push({ type: "tmpfs", destination: dest, options: opts ? opts.split(",") : [] });
  }
  return out;
}

/** --security-opt no-new-privileges[=true|:true] (the last one given wins). */
function noNewPrivileges(securityOpt: string[]): boolean {
  let on = false;
  for (const opt of securityOpt) {
    const m = /^no-new-privileges(?:[=:](.*))?$/.exec(opt);
    if (!m) continue;
    if (m[1] !== undefined && m[1] !== "true" && m[1] !== "false") {
      throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
    on = m[1] !== "false";
  }
  return on;
}

export async function buildSpec(
  id: string,
  cfg: Config,
  host: HostConfig,
  args: string[],
  files: SpecFiles,
  userMounts: MountRequest[] = mountRequests(host),
): Promise<Spec> {
  const opts: SpecOpt[] = [
    withProcessArgs(...args),
    withEnv(cfg.Env ?? []),
  ];
  if (cfg.WorkingDir) opts.push(withWorkingDir(cfg.WorkingDir));
  opts.push(withNetworkMode(files.netns));
  // container:<id> modes are joined at each start (joinNamespaces): the other container's
  // process changes; until then the spec holds private namespaces. So does a mode dockerd
  // does not know: an IPC one fails at start (shm.ts), PID and UTS ones are private.
  const own = (mode: string, known: string[]) => known.includes(mode) ? mode : "private";
  opts.push(withIpcMode(own(host.IpcMode, IPC_MODES), files.shm));
  opts.push(withPidMode(own(host.PidMode, ["", "host"])));
  opts.push(withUtsMode(own(host.UTSMode, ["", "host"])));
  if (host.CgroupnsMode === "private") opts.push(withCgroupnsMode("private"));
  if (host.CgroupParent) opts.push(withCgroupsPath(cgroupPath(host.CgroupParent, id)));
  if (host.UTSMode !== "host") {
    opts.push(withHostname(cfg.Hostname || id.slice(0, 12)));
    if (cfg.Domainname) opts.push((spec) => void (spec.domainname = cfg.Domainname));
  }
  const size = host.ConsoleSize && host.ConsoleSize[0] > 0
    ? { height: host.ConsoleSize[0], width: host.ConsoleSize[1] }
    : undefined;
  opts.push(withTTY(cfg.Tty, size));
  const mounts = [...userMounts];
  const taken = new Set(mounts.map((m) => m.destination));
  // dockerd's order; read-only with a read-only rootfs.
  const etc: [string, string][] = [
    ["/etc/resolv.conf", files.resolvConf],
    ["/etc/hostname", files.hostname],
    ["/etc/hosts", files.hosts],
  ];
  for (const [dest, src] of etc) {
    if (taken.has(dest)) continue;
    mounts.push({
      source: src,
      destination: dest,
      options: ["rprivate"],
      readonly: host.ReadonlyRootfs,
    });
  }
  // The init's bind comes before the user's mounts, as dockerd's.
  if (host.Init) opts.push(withInit());
  opts.push(withMounts(mounts));
  // Only a private /dev/shm is the spec's tmpfs (the others bind a host-side one); a user's
  // mount there replaces it, size and all.
  const userShm = userMounts.some((m) => m.destination === "/dev/shm");
  if (host.ShmSize && ["private", ""].includes(host.IpcMode) && !userShm) {
    opts.push(withShmSize(host.ShmSize));
  }
  if ((host.CapAdd ?? []).length || (host.CapDrop ?? []).length) {
    opts.push(withCapabilities({ add: host.CapAdd ?? [], drop: host.CapDrop ?? [] }));
  }
  if (host.Privileged) opts.push(withPrivileged());
  if (host.ReadonlyRootfs) opts.push(withReadonlyRootfs(true));
  if (noNewPrivileges(host.SecurityOpt ?? [])) opts.push(withNoNewPrivileges());
  if (host.Memory) opts.push(withMemoryLimit(host.Memory, host.MemorySwap || undefined));
  if (host.MemoryReservation) opts.push(withMemoryReservation(host.MemoryReservation));
  if (host.OomKillDisable) opts.push(withOomKillDisabled());
  if (host.Annotations) opts.push(withAnnotations(host.Annotations));
  opts.push(withCpuset(host.CpusetCpus, host.CpusetMems));
  if (host.NanoCpus) opts.push(withCPUs(host.NanoCpus / 1e9, navigator.hardwareConcurrency));
  if (host.CpuShares) opts.push(withCpuShares(host.CpuShares));
  if (host.PidsLimit) opts.push(withPidsLimit(host.PidsLimit));
  opts.push(withBlockIO(blockIOOf(host), statHostDevice));
  if ((host.Ulimits ?? []).length) {
    opts.push(
      withUlimits(host.Ulimits!.map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard }))),
    );
  }
  if ((host.Devices ?? []).length) {
    const devs = host.Devices!.map((d) =>
      parseDevice(
        `${d.PathOnHost}:${d.PathInContainer || d.PathOnHost}:${d.CgroupPermissions || "rwm"}`,
      )
    );
    opts.push(withDevices(devs, statHostDevice));
  }
  if (host.DeviceCgroupRules?.length) opts.push(withDeviceCgroupRules(host.DeviceCgroupRules));
  if (host.Sysctls && Object.keys(host.Sysctls).length) opts.push(withSysctls(host.Sysctls));
  if (host.OomScoreAdj) opts.push(withOOMScoreAdj(host.OomScoreAdj));
  opts.push(withinOwnBoundingSet());
  // Last: the default profile depends on the capabilities the options above settled on.
  opts.push(seccompOpt(host.SecurityOpt ?? [], host.Privileged === true));
  return await generateSpec(id, opts);
}

/** The Engine API's Blkio* fields as withBlockIO takes them. */
function blockIOOf(host: HostConfig): BlockIOSettings {
  const rates = (l: { Path: string; Rate: number }[] | null | undefined) =>
    (l ?? []).map((d) => ({ path: d.Path, rate: d.Rate }));
  return {
    weight: host.BlkioWeight,
    weightDevices: (host.BlkioWeightDevice ?? []).map((d) => ({ path: d.Path, weight: d.Weight })),
    readBps: rates(host.BlkioDeviceReadBps),
    writeBps: rates(host.BlkioDeviceWriteBps),
    readIOps: rates(host.BlkioDeviceReadIOps),
    writeIOps: rates(host.BlkioDeviceWriteIOps),
  };
}
