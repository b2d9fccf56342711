// The shapes the docker CLI reads: GET /containers/{id}/json and GET /containers/json.
import type { Container } from "./store.ts";
import { mountsView } from "../volumes/mounts.ts";
import { findIn, type ImageEntry } from "../images/lookup.ts";
import { configView, hostConfigView, sortedMap } from "./inspect_config.ts";
import { ZERO_TIME } from "./types.ts";
import type { EndpointSettings } from "../network/types.ts";

const PREDEFINED = new Set(["bridge", "host", "none", "default"]);

/**
 * NetworkSettings.Networks as dockerd 20.10 shows them: no DNSNames (API 1.44's); NetworkID
 * only once the endpoint was first connected (start); in inspect (not in the list, whose
 * copy dockerd took before), the short id joins a user-defined network's Aliases at that
 * connect (updateNetworkConfig) and stays.
 */
function networks(c: Container, inspect = false) {
  const started = c.rec.HasBeenStartedBefore;
  const short = c.rec.ID.slice(0, 12);
  const out: Record<string, Omit<EndpointSettings, "DNSNames">> = {};
  for (const [name, es] of Object.entries(c.rec.NetworkSettings?.Networks ?? {})) {
    const aliases = inspect && started && !PREDEFINED.has(name) && !es.Aliases?.includes(short)
      ? [...(es.Aliases ?? []), short]
      : es.Aliases;
    // EndpointSettings' field order.
    out[name] = {
      IPAMConfig: es.IPAMConfig,
      Links: es.Links,
      Aliases: aliases,
      NetworkID: started ? es.NetworkID : "",
      EndpointID: es.EndpointID,
      Gateway: es.Gateway,
      IPAddress: es.IPAddress,
      IPPrefixLen: es.IPPrefixLen,
      IPv6Gateway: es.IPv6Gateway,
      GlobalIPv6Address: es.GlobalIPv6Address,
      GlobalIPv6PrefixLen: es.GlobalIPv6PrefixLen,
      MacAddress: es.MacAddress,
      DriverOpts: es.DriverOpts,
    };
  }
  return out;
}

/** GET /containers/json's Ports: one entry per published binding or exposed port. */
function portList(c: Container) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, bindings] of Object.entries(c.rec.NetworkSettings?.Ports ?? {})) {
    const [port, type = "tcp"] = key.split("/");
    if (!bindings?.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of bindings ?? []) {
      out.push({
        IP: b.HostIp || "0.0.0.0",
        PrivatePort: Number(port),
        PublicPort: Number(b.HostPort),
        Type: type,
      });
    }
  }
  return out;
}

/** NetworkSettings' top-level fields: the default bridge's endpoint, as dockerd shows them. */
function networkSettings(c: Container) {
  const s = c.rec.NetworkSettings;
  const br = s?.Networks["bridge"];
  return {
    Bridge: "",
    SandboxID: s?.SandboxKey ? c.rec.ID : "",
    HairpinMode: false,
    LinkLocalIPv6Address: "",
    LinkLocalIPv6PrefixLen: 0,
    Ports: sortedMap(s?.Ports ?? {}),
    SandboxKey: s?.SandboxKey ?? "",
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: br?.EndpointID ?? "",
    Gateway: br?.Gateway ?? "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    IPAddress: br?.IPAddress ?? "",
    IPPrefixLen: br?.IPPrefixLen ?? 0,
    IPv6Gateway: "",
    MacAddress: br?.MacAddress ?? "",
    Networks: networks(c, true),
  };
}

/**
 * `links`: HostConfig.Links as dockerd shows them (linkViews); `size`: SizeRw and SizeRootFs
 * (inspect ?size=1).
 */
export function inspectView(
  c: Container,
  graph?: Record<string, string>,
  links: string[] | null = null,
  size?: { rw: number; rootfs: number },
) {
  const r = c.rec;
  // dockerd sets the files' and the log's paths at the first start (initializeNetworking,
  // the logger): "" before.
  const path = (p: string) => (r.HasBeenStartedBefore ? p : "");
  return {
    Id: r.ID,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: {
      Status: r.State.Status,
      Running: r.State.Running,
      Paused: r.State.Paused,
      Restarting: r.State.Restarting,
      OOMKilled: r.State.OOMKilled,
      Dead: r.State.Dead,
      Pid: r.State.Pid,
      ExitCode: r.State.ExitCode,
      Error: r.State.Error,
      StartedAt: r.State.StartedAt,
      FinishedAt: r.State.FinishedAt,
      ...(r.State.Health ? { Health: r.State.Health } : {}),
    },
    Image: r.Image,
    ResolvConfPath: path(r.ResolvConfPath),
    HostnamePath: path(r.HostnamePath),
    HostsPath: path(r.HostsPath),
    LogPath: path(r.LogPath),
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: r.Driver,
    Platform: r.Platform,
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: c.execs.size ? [...c.execs] : null,
    HostConfig: hostConfigView(c.host, links),
    GraphDriver: { Data: graph ?? null, Name: "overlay2" },
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootfs } : {}),
    Mounts: mountsView(c),
    Config: configView(r.Config),
    NetworkSettings: networkSettings(c),
  };
}

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

export function statusText(c: Container): string {
  const s = c.rec.State;
  const now = Date.now();
  if (s.Restarting) {
    return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  }
  if (s.Running) {
    const health = s.Health && s.Health.Status !== "none"
      ? s.Health.Status === "starting" ? " (health: starting)" : ` (${s.Health.Status})`
      : "";
    const paused = s.Paused ? " (Paused)" : "";
    return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${paused}${health}`;
  }
  if (s.Status === "removing") return "Removal In Progress";
  if (s.Dead) return "Dead";
  if (s.Status === "created" || s.FinishedAt === ZERO_TIME) return "Created";
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/**
 * GET /containers/json's Image, as dockerd's refreshImage: the string the container was
 * created with while it still names the container's image; once that name is gone or names
 * another image (untagged, retagged), the image's ID. Inspect's Config.Image keeps the string.
 */
export function listedImage(c: Container, images: Map<string, ImageEntry>): string {
  const { Image: id, Config: { Image: typed } } = c.rec;
  return typed === id || findIn(images, typed)?.entry.id === id ? typed : id;
}

/**
 * `images`: every image (allImages), to tell whether the container's image name still holds;
 * `linkNames`: the names other containers' links give it ("/<parent>/<alias>").
 */
export function summaryView(
  c: Container,
  images: Map<string, ImageEntry>,
  size?: { rw: number; rootfs: number },
  linkNames: string[] = [],
) {
  const r = c.rec;
  // dockerd's rule: arguments holding a space are wrapped in single quotes, as is.
  const cmd = [r.Path, ...r.Args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
  return {
    Id: r.ID,
    Names: [r.Name, ...linkNames].sort(),
    Image: listedImage(c, images),
    ImageID: r.Image,
    Command: cmd,
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: portList(c),
    // omitempty in the list (inspect shows a 0).
    ...(size?.rw ? { SizeRw: size.rw } : {}),
    ...(size?.rootfs ? { SizeRootFs: size.rootfs } : {}),
    Labels: sortedMap(r.Config.Labels ?? {}),
    State: r.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.host.NetworkMode },
    NetworkSettings: { Networks: networks(c) },
    Mounts: mountsView(c, true),
  };
}
