// POST /containers/create: the image's config merged with the request's (Docker's merge),
// the OCI spec built, the containerd container (with its rootfs snapshot) created, and
// config.v2.json + hostconfig.json written. Nothing is left behind when a step fails.
import { errorKind, invalidArgument, notFound } from "../../lib/errors.ts";
import { referenceString } from "../../lib/reference.ts";
import { findImage, primaryName } from "../images/lookup.ts";
import { parsePortKey, validatePortBindings } from "../../lib/ports.ts";
import type { ImageDetail } from "../../containerd/api/images.ts";
import {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
} from "../../containerd/registry/mod.ts";
import type { Daemon } from "../daemon.ts";
import { validateLogOpts } from "../config_validate.ts";
import { writeAtomic } from "./atomic.ts";
import { writeDockerenv } from "./dockerenv.ts";
import { buildSpec } from "./spec.ts";
import type { Container } from "./store.ts";
import { type Config, type ContainerRecord, type HostConfig, ZERO_TIME } from "./types.ts";
import { randomName } from "./names.ts";
import { namespaceOwner } from "./join_ns.ts";
import { shmDir } from "./shm.ts";
import { resolveLinks } from "./links.ts";
import { discardUnsupportedBlkio, validateNetMode, verifyContainerSettings } from "./verify.ts";
import { type EndpointRequest, networking } from "../network/manager.ts";
import {
  copyUpVolumes,
  type PreparedMounts,
  prepareMounts,
  setMountPoints,
} from "../volumes/mounts.ts";

type ImageConfig = Partial<Config>;

/** moby daemon/commit.go merge(userConf, imageConf). */
export function mergeImageConfig(user: Config, image: ImageConfig): Config {
  const c: Config = { ...user };
  if (!c.User) c.User = image.User ?? "";
  if (image.ExposedPorts) c.ExposedPorts = { ...image.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  if (!c.Env?.length) c.Env = image.Env ?? c.Env;
  else {
    const keys = new Set(c.Env.map((e) => e.split("=")[0]));
    c.Env = [...c.Env, ...(image.Env ?? []).filter((e) => !keys.has(e.split("=")[0]))];
  }
  // Always a map (dockerd's merge makes one), the image's labels under the request's.
  c.Labels = { ...(image.Labels ?? {}), ...(c.Labels ?? {}) };
  if (!c.Entrypoint?.length) {
    if (!c.Cmd?.length) c.Cmd = image.Cmd ?? c.Cmd;
    if (c.Entrypoint == null) c.Entrypoint = image.Entrypoint ?? null;
  }
  if (!c.OnBuild?.length) c.OnBuild = image.OnBuild ?? c.OnBuild;
  if (!c.WorkingDir) c.WorkingDir = image.WorkingDir ?? "";
  // An empty map (the CLI always sends one) takes the image's, null included.
  if (!Object.keys(c.Volumes ?? {}).length) c.Volumes = image.Volumes ?? null;
  else if (image.Volumes) c.Volumes = { ...image.Volumes, ...c.Volumes };
  if (!c.StopSignal && image.StopSignal) c.StopSignal = image.StopSignal;
  if (image.Healthcheck) {
    if (!c.Healthcheck) c.Healthcheck = image.Healthcheck;
    else {
      const h = { ...c.Healthcheck };
      if (!h.Test?.length) h.Test = image.Healthcheck.Test;
      h.Interval ||= image.Healthcheck.Interval;
      h.Timeout ||= image.Healthcheck.Timeout;
      h.StartPeriod ||= image.Healthcheck.StartPeriod;
      h.Retries ||= image.Healthcheck.Retries;
      c.Healthcheck = h;
    }
  }
  return c;
}

/** Entrypoint + Cmd (an Entrypoint of [""] resets it). */
export function commandOf(cfg: Config): string[] {
  let ep = cfg.Entrypoint ?? [];
  if (ep.length === 1 && ep[0] === "") ep = [];
  return [...ep, ...(cfg.Cmd ?? [])];
}

function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The containerd image `raw` names, as Docker's GetImage finds it: a name (the quick path:
 * one lookup), else a full ID, a reference recorded under another form, or an ID prefix.
 */
async function imageFor(d: Daemon, raw: string) {
  try {
    return await d.containerd.images.get(raw);
  } catch (e) {
    if (!["not_found", "invalid_argument"].includes(errorKind(e))) throw e;
  }
  const { entry, ref } = await findImage(d.containerd, raw); // "No such image: …" when none
  const named = ref && entry.records.find((r) => r.name === referenceString(ref));
  return await d.containerd.images.get(named ? named.name : primaryName(entry));
}

/**
 * create?platform=: the image must be of that platform ("linux" alone: the host's
 * architecture). As dockerd 20.10, a 404, on which the docker CLI pulls that platform.
 */
function checkPlatform(ref: string, wanted: string, have: ImageDetail["platform"]): void {
  const want = wanted.includes("/")
    ? parsePlatform(wanted)
    : normalizePlatform({ os: wanted, architecture: hostPlatform().architecture });
  if (platformMatches(want, have)) return;
  throw notFound(
    `image with reference ${ref} was found but does not match the specified platform: ` +
      `wanted ${formatPlatform(want)}, actual: ${formatPlatform(normalizePlatform(have))}`,
  );
}

export async function createContainer(
  d: Daemon,
  name: string | undefined,
  config: Config,
  host: HostConfig,
  endpoints: Record<string, EndpointRequest> = {},
  platform?: string,
  defaultReadOnlyNonRecursive = false,
): Promise<{ Id: string; Warnings: string[] }> {
  validateNetMode(config, host);
  if (!config.Image) throw invalidArgument("No image specified (Config.Image is empty)");
  const image = await imageFor(d, config.Image);
  if (platform) checkPlatform(config.Image, platform, image.platform);
  const id = newId();
  const cfg = mergeImageConfig(config, (image.config.config ?? {}) as ImageConfig);
  if (!cfg.Hostname) cfg.Hostname = host.NetworkMode === "host" ? Deno.hostname() : id.slice(0, 12);
  const args = commandOf(cfg);
  // `--entrypoint ""` reset the image's; the container records none.
  if (cfg.Entrypoint?.length === 1 && cfg.Entrypoint[0] === "") cfg.Entrypoint = null;
  const restart = host.RestartPolicy;
  if (host.AutoRemove && restart.Name && restart.Name !== "no") {
    throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  }
  if (restart.Name !== "on-failure" && restart.MaximumRetryCount > 0) {
    throw invalidArgument(
      `maximum retry count cannot be used with restart policy '${restart.Name}'`,
    );
  }
  await verifyContainerSettings(cfg, host);
  const warnings = await discardUnsupportedBlkio(host);
  if (host.OomKillDisable && !host.Memory) {
    warnings.push(
      "OOM killer is disabled for the container, but no memory limit is set, this can result " +
        "in the system running out of resources.",
    );
  }
  // dockerd's verifyContainerSettings: every exposed and published port and binding parses.
  for (const p of Object.keys(cfg.ExposedPorts ?? {})) parsePortKey(p);
  validatePortBindings(host.PortBindings);
  // After the settings' checks, as dockerd's newContainer.
  if (!args.length) throw invalidArgument("No command specified");
  // The daemon's log driver and options fill what the container leaves unset (dockerd's
  // mergeAndVerifyLogConfig).
  const logType = host.LogConfig.Type || d.opts.logDriver;
  host.LogConfig.Config ??= {};
  if (logType === d.opts.logDriver) {
    host.LogConfig.Config = { ...d.opts.logOpts, ...host.LogConfig.Config };
  }
  validateLogOpts(logType, host.LogConfig.Config);
  host.LogConfig.Type = logType;
  host.NetworkMode ||= "default";
  host.Runtime ||= d.opts.defaultRuntime;
  host.IpcMode ||= d.opts.defaultIpcMode;
  host.CgroupnsMode ||= "host";
  host.ShmSize ||= d.opts.defaultShmSize;
  // dockerd's adaptContainerSettings: "unset" (-1) and no or unlimited pids (<= 0) are null.
  if (host.MemorySwappiness === -1) host.MemorySwappiness = null;
  // A memory limit without a swap limit: twice the memory, recorded (inspect shows it).
  if (host.Memory > 0 && host.MemorySwap === 0) host.MemorySwap = host.Memory * 2;
  host.OomKillDisable ??= false;
  if (host.PidsLimit != null && host.PidsLimit <= 0) host.PidsLimit = null;
  if (host.Privileged && !(host.SecurityOpt ?? []).some((o) => o.startsWith("label"))) {
    host.SecurityOpt = [...(host.SecurityOpt ?? []), "label=disable"];
  }

  host.IpcMode = namespaceOwner(d, host.IpcMode);
  host.PidMode = namespaceOwner(d, host.PidMode);
  const net = networking(d).prepareContainer(id, host.NetworkMode, endpoints);
  host.NetworkMode = net.mode;
  host.Links = resolveLinks(d, host.Links ?? [], host.NetworkMode);
  const finalName = "/" +
    (name || randomName((n) => d.store.nameTaken(n))).replace(/^\//, "");
  d.store.reserveName(finalName, id);
  const dir = d.store.dir(id);
  const files = {
    hostname: `${dir}/hostname`,
    hosts: `${dir}/hosts`,
    resolvConf: `${dir}/resolv.conf`,
    netns: net.spec,
    shm: shmDir(d, id),
  };
  let created = false;
  let vols: PreparedMounts | undefined;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o710 });
    vols = await prepareMounts(d, id, cfg, host, defaultReadOnlyNonRecursive);
    const spec = await buildSpec(id, cfg, host, args, files, vols.requests);
    await writeAtomic(files.hostname, `${cfg.Hostname}\n`, 0o644);
    await d.containerd.containers.create({
      id,
      image: image.name,
      snapshot: { parent: image.chainID || undefined },
      spec: spec as unknown as Record<string, unknown>,
      runtime: host.Runtime,
      labels: { "engine.daemon": "1" },
    });
    created = true;
    const snap = await d.containerd.containers.snapshot(id);
    writeDockerenv(snap.mounts);
    await copyUpVolumes(d, vols.points, snap.mounts);
    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      ID: id,
      Created: now,
      Path: args[0],
      Args: args.slice(1),
      Config: cfg,
      Image: image.id,
      ImageName: image.name,
      Name: finalName,
      Driver: "overlay2",
      Platform: "linux",
      State: {
        Status: "created",
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: "",
        StartedAt: ZERO_TIME,
        FinishedAt: ZERO_TIME,
      },
      RestartCount: 0,
      HasBeenStartedBefore: false,
      HasBeenManuallyStopped: false,
      LogPath: logType === "none" ? "" : `${dir}/${id}-json.log`,
      HostnamePath: files.hostname,
      HostsPath: files.hosts,
      ResolvConfPath: files.resolvConf,
      Runtime: host.Runtime,
      NetworkSettings: net.settings,
    };
    setMountPoints(rec, vols.points);
    const c: Container = { rec, host, execs: new Set() };
    await networking(d).writeFiles(c);
    await d.store.save(c);
    vols.commit();
    d.events.publish("container", "create", id, eventAttrs(c));
    return { Id: id, Warnings: warnings };
  } catch (e) {
    d.store.releaseName(finalName);
    if (created) await d.containerd.containers.delete(id).catch(() => {});
    await vols?.rollback();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** A container event's attributes: image, name and the container's labels. */
export function eventAttrs(c: Container, extra: Record<string, string> = {}) {
  return {
    ...(c.rec.Config.Labels ?? {}),
    image: c.rec.Config.Image,
    name: c.rec.Name.slice(1),
    ...extra,
  };
}
