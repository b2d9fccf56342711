// run/create flags → the POST /containers/create body (Config + HostConfig +
// NetworkingConfig), shaped as docker 28's CLI sends it.

import type { Flags } from "../flags.ts";
import { parseMemoryBytes } from "../units.ts";
import { parsePortRange, parsePortSpec } from "../../lib/ports.ts";
import { errorMessage } from "../../lib/errors.ts";

function parseKeyValueFile(path: string): string[] {
  return Deno.readTextFileSync(path).split("\n").map((l) => l.replace(/^\s+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
      if (l.includes("=")) return l;
      const v = Deno.env.get(l);
      return v === undefined ? l : `${l}=${v}`;
    });
}

/** -e NAME without a value takes it from the environment, as docker does. */
function envList(f: Flags): string[] | null {
  const env = [
    ...f.list("env-file").flatMap(parseKeyValueFile),
    ...f.list("env").map((e) => {
      if (e.includes("=")) return e;
      const v = Deno.env.get(e);
      return v === undefined ? e : `${e}=${v}`;
    }),
  ];
  return env.length > 0 ? env : null;
}

function labels(f: Flags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of [...f.list("label-file").flatMap(parseKeyValueFile), ...f.list("label")]) {
    const eq = l.indexOf("=");
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  return out;
}

/** --restart no|always|unless-stopped|on-failure[:N]. */
export function restartPolicy(spec: string): { Name: string; MaximumRetryCount: number } {
  if (spec === "") return { Name: "no", MaximumRetryCount: 0 };
  const [name, count] = spec.split(":");
  if (count !== undefined && name !== "on-failure") {
    throw new Error(
      `invalid restart policy format: maximum retry count can only be used with 'on-failure'`,
    );
  }
  if (!["no", "always", "unless-stopped", "on-failure"].includes(name)) {
    throw new Error(
      `invalid restart policy format: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

function ulimits(list: string[]) {
  return list.map((u) => {
    const [name, limits] = u.split("=");
    if (limits === undefined) throw new Error(`invalid ulimit argument: ${u}`);
    const [soft, hard] = limits.split(":");
    return { Name: name, Soft: Number(soft), Hard: Number(hard ?? soft) };
  });
}

function devices(list: string[]) {
  return list.map((d) => {
    const [host, ctr, perms] = d.split(":");
    const isPerm = (s?: string) => s !== undefined && /^[rwm]+$/.test(s);
    return {
      PathOnHost: host,
      PathInContainer: ctr && !isPerm(ctr) ? ctr : host,
      CgroupPermissions: isPerm(ctr) ? ctr : perms ?? "rwm",
    };
  });
}

function tmpfs(list: string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of list) {
    const colon = t.indexOf(":");
    out[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? "" : t.slice(colon + 1);
  }
  return out;
}

/** -p and --expose as the docker CLI's nat.ParsePortSpecs (ranges expanded). */
function portsAndBindings(publish: string[], expose: string[]) {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const e of expose) {
    const [port, proto = "tcp"] = e.split("/");
    let range;
    try {
      range = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${errorMessage(err)}`);
    }
    for (let p = range?.start ?? 0; range && p <= range.end; p++) exposed[`${p}/${proto}`] = {};
  }
  for (const p of publish) {
    for (const { key, binding } of parsePortSpec(p)) {
      exposed[key] = {};
      (bindings[key] ??= []).push(binding);
    }
  }
  return { exposed, bindings };
}

const nsDuration = (f: Flags, name: string) => (f.isSet(name) ? f.number(name) : 0);

/** Build the create body and the query (name, platform). */
export function createBody(f: Flags, args: string[], opts: { detach: boolean }) {
  const [image, ...cmd] = args;
  const attach = f.values.has("attach") ? f.list("attach").map((s) => s.toLowerCase()) : [];
  const interactive = f.bool("interactive");
  const attachStd = (s: string) =>
    !opts.detach && (attach.length > 0 ? attach.includes(s) : s !== "stdin" || interactive);
  const { exposed, bindings } = portsAndBindings(f.list("publish"), f.list("expose"));
  let healthcheck: Record<string, unknown> | undefined;
  if (f.bool("no-healthcheck")) healthcheck = { Test: ["NONE"] };
  else if (
    f.string("health-cmd") || f.isSet("health-interval") || f.isSet("health-retries") ||
    f.isSet("health-timeout")
  ) {
    healthcheck = {
      Test: f.string("health-cmd") ? ["CMD-SHELL", f.string("health-cmd")] : undefined,
      Interval: nsDuration(f, "health-interval"),
      Timeout: nsDuration(f, "health-timeout"),
      StartPeriod: nsDuration(f, "health-start-period"),
      Retries: f.number("health-retries"),
    };
  }
  const entrypoint = f.isSet("entrypoint")
    ? (f.string("entrypoint") === "" ? [""] : [f.string("entrypoint")])
    : null;
  const memory = f.number("memory");
  const memorySwap = f.string("memory-swap") === "-1"
    ? -1
    : f.string("memory-swap")
    ? parseMemoryBytes(f.string("memory-swap"))
    : 0;
  // --network may repeat (API 1.44+); the first is the container's primary network.
  const networkMode = f.list("network")[0] || "default";
  const config = {
    Hostname: f.string("hostname"),
    Domainname: f.string("domainname"),
    User: f.string("user"),
    AttachStdin: attachStd("stdin"),
    AttachStdout: attachStd("stdout"),
    AttachStderr: attachStd("stderr"),
    ExposedPorts: Object.keys(exposed).length > 0 ? exposed : undefined,
    Tty: f.bool("tty"),
    OpenStdin: interactive,
    StdinOnce: interactive && !opts.detach,
    Env: envList(f),
    Cmd: cmd.length > 0 ? cmd : null,
    Healthcheck: healthcheck,
    Image: image,
    Volumes: {},
    WorkingDir: f.string("workdir"),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels(f),
    StopSignal: f.string("stop-signal") || undefined,
    StopTimeout: f.isSet("stop-timeout") ? f.number("stop-timeout") : undefined,
  };
  const tty = f.bool("tty");
  let consoleSize = [0, 0];
  if (tty) {
    try {
      const { rows, columns } = Deno.consoleSize();
      consoleSize = [rows, columns];
    } catch { /* not a terminal */ }
  }
  const hostConfig = {
    Binds: f.list("volume").length > 0 ? f.list("volume") : null,
    ContainerIDFile: f.string("cidfile"),
    LogConfig: { Type: f.string("log-driver"), Config: logOpts(f.list("log-opt")) },
    NetworkMode: networkMode,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(f.string("restart")),
    AutoRemove: f.bool("rm"),
    VolumeDriver: f.string("volume-driver"),
    VolumesFrom: f.list("volumes-from").length > 0 ? f.list("volumes-from") : null,
    ConsoleSize: consoleSize,
    CapAdd: f.list("cap-add").length > 0 ? f.list("cap-add") : null,
    CapDrop: f.list("cap-drop").length > 0 ? f.list("cap-drop") : null,
    CgroupnsMode: f.string("cgroupns"),
    Dns: f.list("dns"),
    DnsOptions: f.list("dns-option"),
    DnsSearch: f.list("dns-search"),
    ExtraHosts: f.list("add-host").length > 0 ? f.list("add-host") : null,
    GroupAdd: f.list("group-add").length > 0 ? f.list("group-add") : null,
    IpcMode: f.string("ipc"),
    Cgroup: "",
    Links: f.list("link").length > 0 ? f.list("link") : null,
    OomScoreAdj: f.number("oom-score-adj"),
    PidMode: f.string("pid"),
    Privileged: f.bool("privileged"),
    PublishAllPorts: f.bool("publish-all"),
    ReadonlyRootfs: f.bool("read-only"),
    SecurityOpt: f.list("security-opt").length > 0 ? f.list("security-opt") : null,
    StorageOpt: undefined,
    Tmpfs: tmpfs(f.list("tmpfs")),
    UTSMode: f.string("uts"),
    UsernsMode: f.string("userns"),
    ShmSize: f.number("shm-size"),
    Sysctls: Object.keys(f.map("sysctl")).length > 0 ? f.map("sysctl") : undefined,
    Runtime: f.string("runtime") || undefined,
    Isolation: "",
    CpuShares: f.number("cpu-shares"),
    Memory: memory,
    NanoCpus: f.number("cpus"),
    CgroupParent: f.string("cgroup-parent"),
    BlkioWeight: f.number("blkio-weight"),
    CpuPeriod: f.number("cpu-period"),
    CpuQuota: f.number("cpu-quota"),
    CpuRealtimePeriod: f.number("cpu-rt-period"),
    CpuRealtimeRuntime: f.number("cpu-rt-runtime"),
    CpusetCpus: f.string("cpuset-cpus"),
    CpusetMems: f.string("cpuset-mems"),
    Devices: devices(f.list("device")),
    DeviceCgroupRules: null,
    MemoryReservation: f.number("memory-reservation"),
    MemorySwap: memorySwap,
    MemorySwappiness: f.isSet("memory-swappiness") ? f.number("memory-swappiness") : -1,
    OomKillDisable: f.bool("oom-kill-disable"),
    PidsLimit: f.number("pids-limit"),
    Ulimits: ulimits(f.list("ulimit")),
    Init: f.isSet("init") ? f.bool("init") : undefined,
  };
  // The primary network carries --network-alias and --ip; further --network entries attach
  // the container to those networks too.
  const endpoints: Record<string, unknown> = {};
  for (const n of f.list("network").slice(1)) endpoints[n] = {};
  // On a user-defined network the links go with the endpoint too (as the docker CLI does).
  const userDefined = !["default", "bridge", "host", "none"].includes(networkMode) &&
    !networkMode.startsWith("container:");
  endpoints[networkMode] = {
    Aliases: f.list("network-alias").length > 0 ? f.list("network-alias") : null,
    ...(userDefined && f.list("link").length ? { Links: f.list("link") } : {}),
    ...(f.string("ip") ? { IPAMConfig: { IPv4Address: f.string("ip") } } : {}),
  };
  const networkingConfig = { EndpointsConfig: endpoints };
  const query = {
    name: f.string("name") || undefined,
    platform: f.string("platform") || undefined,
  };
  return {
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: networkingConfig },
    query,
    image,
  };
}

function logOpts(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const eq = o.indexOf("=");
    if (eq < 0) throw new Error(`invalid key/value pair format in logging opts: ${o}`);
    out[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return out;
}
