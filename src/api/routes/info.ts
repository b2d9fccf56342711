// GET /info: the fields `docker info` prints (reference §2.4), in dockerd's order.
import { ENGINE_VERSION } from "../../lib/version.ts";
import type { Daemon } from "../daemon.ts";

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return "";
  }
}

function osName(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(read("/etc/os-release"));
  return m?.[1] ?? "Linux";
}

async function imageCount(d: Daemon): Promise<number> {
  try {
    return new Set((await d.containerd.images.list()).map((i) => i.id)).size;
  } catch {
    return 0;
  }
}

export async function systemInfo(d: Daemon) {
  const all = d.store.all();
  const running = all.filter((c) => c.rec.State.Running && !c.rec.State.Paused).length;
  const paused = all.filter((c) => c.rec.State.Paused).length;
  const memTotal = Number(/MemTotal:\s+(\d+)/.exec(read("/proc/meminfo"))?.[1] ?? 0) * 1024;
  let nfd = 0;
  try {
    for (const _ of Deno.readDirSync("/proc/self/fd")) nfd++;
  } catch { /* unknown */ }
  const runtimes: Record<string, { path: string }> = {
    engine: { path: "engine-runc" },
    runc: { path: "runc" },
    crun: { path: "crun" },
  };
  for (const [n, p] of Object.entries(d.opts.runtimes)) runtimes[n] = { path: p };
  return {
    ID: await daemonId(d),
    Containers: all.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: all.length - running - paused,
    Images: await imageCount(d),
    Driver: "overlay2",
    DriverStatus: [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], [
      "Native Overlay Diff",
      "true",
    ], ["userxattr", "false"]],
    Plugins: {
      Volume: ["local"],
      Network: ["host", "null"],
      Authorization: null,
      Log: ["json-file", "local", "none"],
    },
    MemoryLimit: true,
    SwapLimit: true,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: false,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: d.opts.debug || d.opts.logLevel === "debug",
    NFd: nfd,
    OomKillDisable: true,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: d.opts.logDriver,
    CgroupDriver: "cgroupfs",
    CgroupVersion: "1",
    NEventsListener: d.events.listeners,
    KernelVersion: read("/proc/sys/kernel/osrelease"),
    OperatingSystem: osName(),
    OSVersion: /^VERSION_ID="?([^"\n]*)"?/m.exec(read("/etc/os-release"))?.[1] ?? "",
    OSType: "linux",
    Architecture: "x86_64",
    IndexServerAddress: "https://index.docker.io/v1/",
    RegistryConfig: registryConfig(d),
    NCPU: navigator.hardwareConcurrency,
    MemTotal: memTotal,
    GenericResources: null,
    DockerRootDir: d.opts.dataRoot,
    HttpProxy: "",
    HttpsProxy: "",
    NoProxy: "",
    Name: Deno.hostname(),
    Labels: d.opts.labels,
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: runtimes,
    DefaultRuntime: d.opts.defaultRuntime,
    Swarm: {
      NodeID: "",
      NodeAddr: "",
      LocalNodeState: "inactive",
      ControlAvailable: false,
      Error: "",
      RemoteManagers: null,
    },
    LiveRestoreEnabled: d.opts.liveRestore,
    Isolation: "",
    InitBinary: "docker-init",
    ContainerdCommit: { ID: "", Expected: "" },
    RuncCommit: { ID: "", Expected: "" },
    InitCommit: { ID: "", Expected: "" },
    SecurityOptions: ["name=cgroupns"],
    Warnings: null,
  };
}

/** dockerd's registry.ServiceConfig: insecure CIDRs and hosts, docker.io's mirrors. */
function registryConfig(d: Daemon) {
  const mirrors = d.opts.registryMirrors.map((m) => m.replace(/\/*$/, "/"));
  const isCidr = (r: string) => /^[\d.]+\/\d+$|^[0-9a-f:]+\/\d+$/i.test(r);
  const insecureHosts = d.opts.insecureRegistries.filter((r) => !isCidr(r));
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: ["127.0.0.0/8", ...d.opts.insecureRegistries.filter(isCidr)],
    IndexConfigs: {
      "docker.io": { Name: "docker.io", Mirrors: mirrors, Secure: true, Official: true },
      ...Object.fromEntries(
        insecureHosts.map((h) => [h, { Name: h, Mirrors: [], Secure: false, Official: false }]),
      ),
    },
    Mirrors: mirrors.length ? mirrors : null,
  };
}

let cachedId: string | undefined;

/** The daemon's ID, made once and kept under data-root. */
export async function daemonId(d: Daemon): Promise<string> {
  if (cachedId) return cachedId;
  const path = `${d.opts.dataRoot}/engine.id`;
  try {
    cachedId = (await Deno.readTextFile(path)).trim();
  } catch {
    cachedId = crypto.randomUUID();
    await Deno.writeTextFile(path, cachedId).catch(() => {});
  }
  return cachedId;
}
