// The daemon's networks (libnetwork's controller, bridge driver only): the predefined
// bridge/host/none networks, user-defined bridge networks, and each container's sandbox —
// its network namespace, an endpoint (veth + address) per network, /etc/hosts and
// /etc/resolv.conf — set up before its task is created and torn down after it exits.
// Port publishing and isolation (netfilter.ts) and the embedded resolver (dns.ts) are called
// through the interfaces in types.ts.
import { conflict, invalidArgument, notFound } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import type { Container } from "../containers/store.ts";
import { log } from "../log.ts";
import {
  attachVeth,
  bridgeAddress,
  deleteLink,
  ensureBridge,
  routedSubnets,
  vethName,
} from "./bridge.ts";
import {
  checkHostName,
  extraHostLines,
  hostsFile,
  readHostResolvConf,
  resolvConf,
  upstreamServers,
} from "./files.ts";
import {
  allocateIp,
  checkRequestedIp,
  chooseSubnet,
  type Cidr,
  contains,
  formatCidr,
  intToIp,
  ipToInt,
  macFor,
  overlaps,
  parseCidr,
} from "./ipam.ts";
import { bindNetns, createNetns, removeNetns } from "../../sys/netlink.ts";
import { EmbeddedDns } from "./dns.ts";
import { ContainerResolver, RESOLVER_IP } from "./dns_in_container.ts";
import { linkHostLines, parseLink } from "../containers/links.ts";
import { Netfilter } from "./netfilter.ts";
import { NetworkStore } from "./store.ts";
import type {
  ContainerNetworkSettings,
  DnsApi,
  EndpointRecord,
  EndpointSettings,
  NetfilterApi,
  NetworkRecord,
  PortMap,
} from "./types.ts";

export const PREDEFINED = ["bridge", "host", "none"];
const BRIDGE_NAME_OPT = "com.docker.network.bridge.name";
const MTU_OPT = "com.docker.network.driver.mtu";
const IFNAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const NETWORK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((x) =>
    x.toString(16).padStart(2, "0")
  ).join("");
}

/** How a container's HostConfig.NetworkMode is served. */
export type ModeKind = "bridge" | "host" | "none" | "container";

export function modeKind(mode: string): ModeKind {
  if (mode === "host") return "host";
  if (mode === "none") return "none";
  if (mode.startsWith("container:")) return "container";
  return "bridge"; // default, bridge, or a user network
}

export interface NetworkCreate {
  Name: string;
  CheckDuplicate?: boolean | null;
  Driver?: string | null;
  Internal?: boolean | null;
  Attachable?: boolean | null;
  EnableIPv6?: boolean | null;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: {
    Driver?: string | null;
    Config?: { Subnet?: string | null; IPRange?: string | null; Gateway?: string | null }[] | null;
    Options?: Record<string, string> | null;
  } | null;
}

export interface EndpointRequest {
  Aliases?: string[] | null;
  Links?: string[] | null;
  IPAMConfig?: { IPv4Address?: string | null } | null;
}

export class NetworkManager {
  readonly store: NetworkStore;
  netfilter?: NetfilterApi;
  dns?: DnsApi;
  /** The 127.0.0.11 resolvers of running containers (by id). */
  #resolvers = new Map<string, ContainerResolver>();

  constructor(readonly d: Daemon) {
    this.store = new NetworkStore(`${d.opts.dataRoot}/network/networks`);
  }

  get netnsDir(): string {
    return `${this.d.opts.execRoot}/netns`;
  }

  netnsPath(containerId: string): string {
    return `${this.netnsDir}/${containerId}`;
  }

  /** Daemon start: the predefined networks, every bridge up, netfilter and resolvers. */
  async init(): Promise<void> {
    await this.store.load();
    await Deno.mkdir(this.netnsDir, { recursive: true, mode: 0o711 });
    if (this.d.opts.network.bridgeName === "none") {
      // dockerd's --bridge=none: no default bridge network at all.
      const old = this.store.find("bridge");
      if (old && !this.store.endpoints(old.Id).length) await this.store.remove(old.Id);
    } else await this.#ensureDefaultBridge();
    for (const [name, driver] of [["host", "host"], ["none", "null"]] as const) {
      if (!this.store.find(name)) {
        await this.store.save(this.#record(name, driver, "", "", "", {}, {}));
      }
    }
    // With --live-restore, the rules of containers that may still run are kept.
    const keep = new Set([
      ...this.store.all().map((n) => n.Id),
      ...(this.d.opts.liveRestore
        ? this.d.store.all().filter((c) => c.rec.State.Running).map((c) => c.rec.ID)
        : []),
    ]);
    await this.netfilter?.init(keep);
    for (const n of this.store.all()) {
      if (n.Driver !== "bridge") continue;
      ensureBridge(n.bridge, n.gateway, parseCidr(n.subnet).prefix, this.#mtu(n));
      await this.netfilter?.addNetwork(n);
      if (n.Name !== "bridge") await this.#listenDns(n);
      this.#refreshDns(n);
    }
  }

  /** The embedded resolver on a user network's gateway, answering that subnet only. */
  async #listenDns(n: NetworkRecord): Promise<void> {
    await this.dns?.listen(n.Id, n.gateway, { subnet: n.subnet, domain: n.Name });
  }

  async #ensureDefaultBridge(): Promise<void> {
    const o = this.d.opts.network;
    const existing = this.store.find("bridge");
    let gateway: string, subnet: Cidr;
    if (o.bip) {
      const [ip, p] = o.bip.split("/");
      gateway = intToIp(ipToInt(ip));
      subnet = parseCidr(`${gateway}/${p ?? "16"}`, false);
    } else if (existing?.subnet) {
      subnet = parseCidr(existing.subnet);
      gateway = existing.gateway;
    } else if (bridgeAddress(o.bridgeName)) {
      // An existing bridge keeps its address (dockerd reuses docker0's the same way).
      const [ip, p] = bridgeAddress(o.bridgeName)!.split("/");
      gateway = ip;
      subnet = parseCidr(`${ip}/${p}`, false);
    } else {
      subnet = chooseSubnet(o.defaultAddressPools, this.#takenSubnets(o.bridgeName));
      gateway = intToIp(subnet.base + 1);
    }
    const options = {
      "com.docker.network.bridge.default_bridge": "true",
      "com.docker.network.bridge.enable_icc": "true",
      "com.docker.network.bridge.enable_ip_masquerade": String(o.ipMasq),
      "com.docker.network.bridge.host_binding_ipv4": o.defaultBindIp,
      [BRIDGE_NAME_OPT]: o.bridgeName,
      [MTU_OPT]: String(o.mtu),
    };
    const rec = existing ?? this.#record("bridge", "bridge", o.bridgeName, "", "", {}, options);
    Object.assign(rec, {
      bridge: o.bridgeName,
      subnet: formatCidr(subnet),
      gateway,
      Options: options,
    });
    await this.store.save(rec);
  }

  /** Subnets in use: routed on the host (but not by `ownBridge`) or held by a network. */
  #takenSubnets(ownBridge?: string): Cidr[] {
    const own = this.store.all().find((n) => n.bridge === ownBridge);
    const ownSubnet = own?.subnet ? parseCidr(own.subnet) : undefined;
    return [
      ...routedSubnets().filter((r) => !(ownSubnet && overlaps(r, ownSubnet))),
      ...this.store.all().filter((n) => n.subnet && n !== own).map((n) => parseCidr(n.subnet)),
    ];
  }

  #record(
    name: string,
    driver: NetworkRecord["Driver"],
    bridge: string,
    subnet: string,
    gateway: string,
    labels: Record<string, string>,
    options: Record<string, string>,
  ): NetworkRecord {
    return {
      Id: randomHex(32),
      Name: name,
      Driver: driver,
      Scope: "local",
      Internal: false,
      Attachable: false,
      Labels: labels,
      Options: options,
      Created: new Date().toISOString(),
      bridge,
      subnet,
      gateway,
    };
  }

  #mtu(n: NetworkRecord): number {
    const v = Number(n.Options[MTU_OPT]);
    return Number.isInteger(v) && v >= 68 ? v : this.d.opts.network.mtu;
  }

  // ---- the network API ----

  async create(body: NetworkCreate): Promise<{ Id: string; Warning: string }> {
    const name = body.Name;
    if (!name || !NETWORK_NAME_RE.test(name) || name.length > 128) {
      throw invalidArgument(
        `invalid network name ${
          JSON.stringify(name.slice(0, 130))
        }: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    const driver = body.Driver || "bridge";
    if (driver !== "bridge") {
      if (PREDEFINED.includes(driver)) {
        throw conflict(`only one instance of "${driver}" network is allowed`);
      }
      throw notFound(`plugin "${driver}" not found`);
    }
    if (this.store.all().some((n) => n.Name === name)) {
      throw conflict(`network with name ${name} already exists`);
    }
    if (body.EnableIPv6) throw invalidArgument("IPv6 networks are not supported");
    if (body.IPAM?.Driver && body.IPAM.Driver !== "default") {
      throw notFound(`plugin "${body.IPAM.Driver}" not found`);
    }
    const configs = body.IPAM?.Config ?? [];
    if (configs.length > 1) throw invalidArgument("only one IPv4 IPAM config is supported");
    const cfg = configs[0] ?? {};
    const options = { ...(body.Options ?? {}) };
    const id = randomHex(32);
    const bridge = options[BRIDGE_NAME_OPT] ?? `br-${id.slice(0, 12)}`;
    if (!IFNAME_RE.test(bridge)) {
      throw invalidArgument(`invalid bridge name ${JSON.stringify(bridge.slice(0, 32))}`);
    }
    if (this.store.all().some((n) => n.bridge === bridge)) {
      throw conflict(`bridge name ${bridge} is already used by another network`);
    }
    if (options[MTU_OPT] !== undefined) {
      const mtu = Number(options[MTU_OPT]);
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
        throw invalidArgument(`invalid MTU ${JSON.stringify(options[MTU_OPT])}`);
      }
    }
    let subnet: Cidr;
    if (cfg.Subnet) {
      subnet = parseCidr(cfg.Subnet);
      checkUsableSubnet(subnet);
      for (const n of this.store.all()) {
        if (n.subnet && overlaps(parseCidr(n.subnet), subnet)) {
          throw conflict(`Pool overlaps with other one on this address space`);
        }
      }
    } else {
      if (cfg.Gateway || cfg.IPRange) {
        throw invalidArgument("a gateway or an IP range needs a subnet");
      }
      subnet = chooseSubnet(this.d.opts.network.defaultAddressPools, this.#takenSubnets());
    }
    let gateway = intToIp(subnet.base + 1);
    if (cfg.Gateway) {
      const g = ipToInt(cfg.Gateway);
      if (!contains(subnet, g) || g === subnet.base) {
        throw invalidArgument(
          `invalid gateway ${cfg.Gateway}: it does not belong to ${formatCidr(subnet)}`,
        );
      }
      gateway = intToIp(g);
    }
    let ipRange: string | undefined;
    if (cfg.IPRange) {
      const r = parseCidr(cfg.IPRange);
      if (!contains(subnet, r.base) || r.prefix < subnet.prefix) {
        throw invalidArgument(`invalid ip-range ${cfg.IPRange}: outside ${formatCidr(subnet)}`);
      }
      ipRange = formatCidr(r);
    }
    const rec = this.#record(
      name,
      "bridge",
      bridge,
      formatCidr(subnet),
      gateway,
      body.Labels ?? {},
      options,
    );
    rec.Id = id;
    rec.Internal = body.Internal ?? false;
    rec.Attachable = body.Attachable ?? false;
    if (ipRange) rec.ipRange = ipRange;
    ensureBridge(bridge, gateway, subnet.prefix, this.#mtu(rec));
    try {
      await this.netfilter?.addNetwork(rec);
      await this.#listenDns(rec);
      await this.store.save(rec);
    } catch (e) {
      await this.dns?.close(rec.Id).catch(() => {});
      await this.netfilter?.removeNetwork(rec).catch(() => {});
      deleteLink(bridge);
      throw e;
    }
    this.d.events.publish("network", "create", id, { name, type: "bridge" });
    return { Id: id, Warning: "" };
  }

  /** Containers (ids) with an endpoint on `n` (running ones, as dockerd counts them). */
  users(n: NetworkRecord): string[] {
    const ids = new Set(this.store.endpoints(n.Id).map((e) => e.containerId));
    return [...ids];
  }

  async remove(ref: string): Promise<void> {
    const n = this.store.get(ref);
    if (PREDEFINED.includes(n.Name)) {
      throw conflict(`${n.Name} is a pre-defined network and cannot be removed`);
    }
    const eps = this.store.endpoints(n.Id);
    if (eps.length) {
      throw conflict(
        `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`,
      );
    }
    await this.dns?.close(n.Id).catch((e) => log("warn", `dns close ${n.Name}: ${e}`));
    await this.netfilter?.removeNetwork(n);
    deleteLink(n.bridge);
    await this.store.remove(n.Id);
    this.d.events.publish("network", "destroy", n.Id, { name: n.Name, type: n.Driver });
  }

  /** GET /networks/{id}: Docker's NetworkResource. */
  view(n: NetworkRecord, withContainers = true) {
    const containers: Record<string, unknown> = {};
    if (withContainers) {
      for (const e of this.store.endpoints(n.Id)) {
        containers[e.containerId] = {
          Name: e.containerName,
          EndpointID: e.endpointId,
          MacAddress: e.mac,
          IPv4Address: e.ip ? `${e.ip}/${e.prefixLen}` : "",
          IPv6Address: "",
        };
      }
    }
    const ipam = n.subnet
      ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }]
      : [];
    return {
      Name: n.Name,
      Id: n.Id,
      Created: n.Created,
      Scope: n.Scope,
      Driver: n.Driver,
      EnableIPv6: false,
      IPAM: { Driver: "default", Options: PREDEFINED.includes(n.Name) ? null : {}, Config: ipam },
      Internal: n.Internal,
      Attachable: n.Attachable,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Containers: containers,
      Options: n.Options,
      Labels: n.Labels,
    };
  }

  // ---- containers ----

  /**
   * Create: the container's network mode resolved (a user network by name or id, or
   * container:<ref> to the full id) and its NetworkSettings; returns the value for the spec's
   * network namespace ("host", "none", or a namespace file's path).
   */
  prepareContainer(
    id: string,
    mode: string,
    endpoints: Record<string, EndpointRequest>,
  ): { mode: string; spec: string; settings: ContainerNetworkSettings } {
    const settings: ContainerNetworkSettings = { Networks: {}, Ports: null, SandboxKey: "" };
    const kind = modeKind(mode);
    if (kind === "container") {
      // The other container's namespace is joined at each start (containers/join_ns.ts); an
      // unknown one is kept as named and fails there, as dockerd's.
      const ref = mode.slice("container:".length);
      const other = this.d.store.find(ref);
      // The CLIs send an entry keyed by the mode itself (what it holds, --ip's address too,
      // is ignored, as dockerd does); another network conflicts.
      const extra = Object.keys(endpoints).filter((k) => k !== mode);
      if (extra.length) {
        throw invalidArgument("conflicting options: networking config and container network mode");
      }
      return { mode: other ? `container:${other.rec.ID}` : mode, spec: "none", settings };
    }
    if ((mode === "default" || mode === "") && !this.store.find("bridge")) {
      // No default bridge (--bridge=none): the default is no network, as dockerd's.
      return { mode: "none", spec: "none", settings };
    }
    const primary = mode === "default" || mode === "" ? "bridge" : mode;
    const net = this.#createTarget(primary);
    // The docker CLI keys the primary network's settings by the mode ("default" too).
    const req = (ref: string) => endpoints[ref] ?? (ref === primary ? endpoints[mode] : undefined);
    settings.Networks[net.Name] = this.#configured(net, req(primary) ?? endpoints[net.Name]);
    if (kind === "bridge") {
      for (const [ref, req] of Object.entries(endpoints)) {
        if (ref === mode) continue;
        const n = this.#createTarget(ref);
        if (n.Id === net.Id) continue;
        if (n.Driver !== "bridge") {
          throw invalidArgument(`container cannot be connected to network ${n.Name}`);
        }
        settings.Networks[n.Name] = this.#configured(n, req);
      }
    }
    return {
      mode,
      // --network none has a namespace file too (only lo), as libnetwork's sandbox.
      spec: kind === "host" ? "host" : this.netnsPath(id),
      settings,
    };
  }

  /**
   * A network named at create. Not 404: the docker CLI takes a 404 from create for a missing
   * image and would try to pull it (dockerd itself only fails at start).
   */
  #createTarget(ref: string): NetworkRecord {
    const n = this.store.find(ref);
    if (!n) throw invalidArgument(`network ${ref} not found`);
    return n;
  }

  #configured(n: NetworkRecord, req?: EndpointRequest): EndpointSettings {
    const aliases = (req?.Aliases ?? []).filter((a) => a);
    const ip = req?.IPAMConfig?.IPv4Address || "";
    if (aliases.length && (n.Name === "bridge" || n.Driver !== "bridge")) {
      throw invalidArgument(
        "network-scoped aliases are only supported for user-defined networks",
      );
    }
    for (const a of aliases) {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$/.test(a)) {
        throw invalidArgument(`invalid alias ${JSON.stringify(a.slice(0, 64))}`);
      }
    }
    if (ip) {
      if (n.Name === "bridge" || n.Driver !== "bridge") {
        throw invalidArgument(
          "user specified IP address is supported on user defined networks only",
        );
      }
      checkRequestedIp(parseCidr(n.subnet), ip, new Set());
    }
    // Links on a user-defined network are aliases only its container resolves (libnetwork's
    // CreateOptionAlias); the default bridge's are HostConfig.Links (containers/links.ts).
    const links = n.Name === "bridge" || n.Driver !== "bridge" ? [] : req?.Links ?? [];
    for (const l of links) parseLink(l);
    return {
      IPAMConfig: ip ? { IPv4Address: ip } : null,
      Links: links.length ? links : null,
      Aliases: aliases.length ? aliases : null,
      MacAddress: "",
      DriverOpts: null,
      NetworkID: n.Id,
      EndpointID: "",
      Gateway: "",
      IPAddress: "",
      IPPrefixLen: 0,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: null,
    };
  }

  /** Before the task is created: the namespace, the endpoints, hosts/resolv.conf, ports. */
  async setupContainer(c: Container): Promise<void> {
    const kind = modeKind(c.host.NetworkMode);
    const s = settingsOf(c);
    if (kind === "host") {
      // libnetwork's default sandbox: the host's namespace bound at <netns>/default.
      s.SandboxKey = `${this.netnsDir}/default`;
      bindNetns("/proc/self/ns/net", s.SandboxKey);
      await this.#writeHosts(c, []);
      await this.#writeResolv(c, undefined);
      await this.#attachWithoutInterface(c, "host");
      return;
    }
    if (kind === "container") {
      const otherId = c.host.NetworkMode.slice("container:".length);
      const other = this.d.store.find(otherId);
      if (!other || !other.rec.State.Running) {
        throw conflict(`cannot join network of a non running container: ${otherId}`);
      }
      for (const f of ["HostsPath", "ResolvConfPath"] as const) {
        if (other.rec[f] && c.rec[f] && other.rec[f] !== c.rec[f]) {
          await replaceFile(c.rec[f], await Deno.readTextFile(other.rec[f]));
        }
      }
      return;
    }
    const nsPath = this.netnsPath(c.rec.ID);
    removeNetns(nsPath); // a leftover of a crash
    createNetns(nsPath, { noIpv6: true }); // no IPv6 networks here
    s.SandboxKey = nsPath;
    if (kind === "none") {
      await this.#writeHosts(c, []);
      await this.#writeResolv(c, undefined);
      await this.#attachWithoutInterface(c, "none");
      return;
    }
    try {
      let routed = false;
      for (const [name, es] of Object.entries(s.Networks)) {
        const n = this.store.find(es.NetworkID) ?? this.store.find(name);
        if (!n) throw notFound(`network ${name} not found`);
        const withRoute: boolean = !n.Internal && !routed;
        await this.#attach(c, n, withRoute);
        routed ||= withRoute;
      }
      const primary = this.#primaryEndpoint(c);
      await this.#writeHosts(
        c,
        primary ? [{ ip: primary.ip, names: [c.rec.Config.Hostname] }] : [],
      );
      const primaryNet = primary ? this.store.find(primary.networkId) : undefined;
      await this.#writeResolv(
        c,
        primary && primaryNet ? this.#openResolver(c, primaryNet, primary) : undefined,
      );
      s.Ports = await this.#publish(c, primary);
    } catch (e) {
      await this.teardownContainer(c).catch((err) =>
        log("warn", `network teardown of ${c.rec.ID}: ${err}`)
      );
      throw e;
    }
  }

  /**
   * A user network's container asks the embedded DNS at 127.0.0.11 in its own namespace
   * (dns_in_container.ts), as dockerd's; where that cannot be opened, at the network's
   * gateway. Returns the nameserver for its resolv.conf (none on the default bridge).
   */
  #openResolver(c: Container, n: NetworkRecord, ep: EndpointRecord): string | undefined {
    const dns = this.dns;
    if (!dns || n.Name === "bridge" || n.Driver !== "bridge") return undefined;
    this.#resolvers.get(c.rec.ID)?.close();
    try {
      const r = ContainerResolver.open(
        this.netnsPath(c.rec.ID),
        (msg, tcp) => dns.replyFor(n.Id, ep.ip, msg, tcp),
        `container ${c.rec.ID.slice(0, 12)}`,
      );
      this.#resolvers.set(c.rec.ID, r);
      return RESOLVER_IP;
    } catch (e) {
      log("warn", `resolver of ${c.rec.ID.slice(0, 12)} at ${RESOLVER_IP}: ${e}; the gateway's`);
      return n.gateway;
    }
  }

  #primaryEndpoint(c: Container): EndpointRecord | undefined {
    const eps = this.store.endpointsOf(c.rec.ID);
    return eps.find((e) => e.ifname === "eth0") ?? eps[0];
  }

  async #publish(c: Container, ep: EndpointRecord | undefined): Promise<PortMap | null> {
    const exposed = Object.keys(c.rec.Config.ExposedPorts ?? {});
    const bindings = (c.host.PortBindings ?? {}) as PortMap;
    const n = ep ? this.store.find(ep.networkId) : undefined;
    if (ep && n && this.netfilter) {
      return await this.netfilter.publish(
        c.rec.ID,
        { ip: ep.ip, bridge: n.bridge, name: ep.containerName, endpointId: ep.endpointId },
        bindings,
        exposed,
        c.host.PublishAllPorts ?? false,
      );
    }
    if (!exposed.length && !Object.keys(bindings).length) return {};
    return Object.fromEntries([...exposed, ...Object.keys(bindings)].map((p) => [p, null]));
  }

  /** An endpoint of `c` on `n`: address allocated (persisted), veth attached. */
  async #attach(c: Container, n: NetworkRecord, withRoute: boolean): Promise<EndpointRecord> {
    const s = settingsOf(c);
    const es = s.Networks[n.Name] ?? this.#configured(n);
    const subnet = parseCidr(n.subnet);
    const used = new Set([n.gateway, ...this.store.endpoints(n.Id).map((e) => e.ip)]);
    const requested = es.IPAMConfig?.IPv4Address;
    const ip = requested
      ? checkRequestedIp(subnet, requested, used)
      : allocateIp(subnet, n.ipRange ? parseCidr(n.ipRange) : undefined, used);
    const taken = new Set(this.store.endpointsOf(c.rec.ID).map((e) => e.ifname));
    let i = 0;
    while (taken.has(`eth${i}`)) i++;
    const ep: EndpointRecord = {
      containerId: c.rec.ID,
      containerName: c.rec.Name.replace(/^\//, ""),
      networkId: n.Id,
      endpointId: randomHex(32),
      ip,
      prefixLen: subnet.prefix,
      mac: this.#macOf(c, n) ?? macFor(ip),
      ifname: `eth${i}`,
      aliases: es.Aliases ?? [],
      hostVeth: vethName(),
    };
    const saved = this.store.addEndpoint(ep); // in memory at once: no double allocation
    try {
      await saved;
      attachVeth({
        nsPath: this.netnsPath(c.rec.ID),
        bridge: n.bridge,
        hostVeth: ep.hostVeth!,
        ifname: ep.ifname,
        ip,
        prefixLen: subnet.prefix,
        mac: ep.mac,
        mtu: this.#mtu(n),
        gateway: withRoute ? n.gateway : undefined,
      });
    } catch (e) {
      await this.store.removeEndpoint(n.Id, c.rec.ID).catch(() => {});
      throw new Error(`attach container ${c.rec.ID.slice(0, 12)} to network ${n.Name}: ${e}`);
    }
    s.Networks[n.Name] = {
      ...es,
      NetworkID: n.Id,
      EndpointID: ep.endpointId,
      Gateway: n.Internal ? "" : n.gateway,
      IPAddress: ip,
      IPPrefixLen: subnet.prefix,
      MacAddress: ep.mac,
      DNSNames: n.Name === "bridge" ? null : this.#dnsNames(c, ep),
    };
    this.#refreshDns(n);
    this.#event("connect", n, c);
    return ep;
  }

  /**
   * The host and none networks: an endpoint with no interface or address, so that the
   * container is listed on the network and its connect/disconnect events come as dockerd's.
   */
  async #attachWithoutInterface(c: Container, name: "host" | "none"): Promise<void> {
    const n = this.store.find(name);
    if (!n) return;
    const ep: EndpointRecord = {
      containerId: c.rec.ID,
      containerName: c.rec.Name.replace(/^\//, ""),
      networkId: n.Id,
      endpointId: randomHex(32),
      ip: "",
      prefixLen: 0,
      mac: "",
      ifname: "",
      aliases: [],
    };
    await this.store.addEndpoint(ep);
    const es = settingsOf(c).Networks[n.Name];
    if (es) es.EndpointID = ep.endpointId;
    this.#event("connect", n, c);
  }

  /** --mac-address: Config.MacAddress, on the container's primary network only (dockerd's). */
  #macOf(c: Container, n: NetworkRecord): string | undefined {
    const mac = c.rec.Config.MacAddress;
    const mode = c.host.NetworkMode;
    const primary = mode === "default" ? "bridge" : mode;
    return mac && (n.Name === primary || n.Id === primary) ? mac.toLowerCase() : undefined;
  }

  /** dockerd's network events: an endpoint joining or leaving, at start/stop or by the API. */
  #event(action: "connect" | "disconnect", n: NetworkRecord, c: Container): void {
    this.d.events.publish("network", action, n.Id, {
      container: c.rec.ID,
      name: n.Name,
      type: n.Driver,
    });
  }

  #dnsNames(c: Container, ep: EndpointRecord): string[] {
    const names = [ep.containerName, ...ep.aliases, c.rec.ID.slice(0, 12)];
    if (c.rec.Config.Hostname) names.push(c.rec.Config.Hostname);
    return [...new Set(names)];
  }

  /** The container's link aliases on `n`: alias → the name it stands for. */
  #dnsLinks(c: Container, n: NetworkRecord): Record<string, string> | undefined {
    const links = settingsOf(c).Networks[n.Name]?.Links;
    if (!links?.length) return undefined;
    const out: Record<string, string> = {};
    for (const l of links) {
      const { name, alias } = parseLink(l);
      out[alias.toLowerCase()] = name.toLowerCase();
    }
    return out;
  }

  #refreshDns(n: NetworkRecord): void {
    if (!this.dns || n.Name === "bridge" || n.Driver !== "bridge") return;
    const records = this.store.endpoints(n.Id).map((ep) => {
      const c = this.d.store.find(ep.containerId);
      return {
        ip: ep.ip,
        names: c ? this.#dnsNames(c, ep) : [ep.containerName, ...ep.aliases],
        id: ep.containerId,
        upstreams: c?.host.Dns?.length ? c.host.Dns : undefined,
        links: c ? this.#dnsLinks(c, n) : undefined,
      };
    });
    this.dns.setRecords(n.Id, records);
  }

  async #detach(c: Container, ep: EndpointRecord): Promise<void> {
    try {
      if (ep.hostVeth) deleteLink(ep.hostVeth);
    } catch (e) {
      log("warn", `delete ${ep.hostVeth} of ${c.rec.ID.slice(0, 12)}: ${e}`);
    }
    await this.store.removeEndpoint(ep.networkId, c.rec.ID);
    const n = this.store.find(ep.networkId);
    if (n) {
      this.#refreshDns(n);
      this.#event("disconnect", n, c);
    }
    const s = settingsOf(c);
    for (const es of Object.values(s.Networks)) {
      if (es.NetworkID !== ep.networkId) continue;
      Object.assign(es, {
        EndpointID: "",
        Gateway: "",
        IPAddress: "",
        IPPrefixLen: 0,
        MacAddress: "",
        DNSNames: null,
      });
    }
  }

  /** After the task is gone: ports, endpoints and the namespace released. */
  async teardownContainer(c: Container): Promise<void> {
    const s = settingsOf(c);
    this.#resolvers.get(c.rec.ID)?.close();
    this.#resolvers.delete(c.rec.ID);
    if (this.netfilter) {
      await this.netfilter.unpublish(c.rec.ID).catch((e) =>
        log("warn", `unpublish ports of ${c.rec.ID.slice(0, 12)}: ${e}`)
      );
    }
    for (const ep of this.store.endpointsOf(c.rec.ID)) await this.#detach(c, ep);
    const kind = modeKind(c.host.NetworkMode);
    if (kind === "bridge" || kind === "none") removeNetns(this.netnsPath(c.rec.ID));
    // The host's sandbox file goes with the last running host-network container (dockerd
    // keeps it for its lifetime; a leftover bind of the host's namespace helps no one).
    const otherHost = (o: Container) =>
      o !== c && o.rec.State.Running && modeKind(o.host.NetworkMode) === "host";
    if (kind === "host" && !this.d.store.all().some(otherHost)) {
      removeNetns(`${this.netnsDir}/default`);
    }
    // SandboxKey stays, as dockerd's releaseNetwork leaves it (inspect shows it stopped).
    s.Ports = null;
  }

  /** POST /networks/{id}/connect. */
  async connect(ref: string, c: Container, req: EndpointRequest): Promise<void> {
    const n = this.store.get(ref);
    const kind = modeKind(c.host.NetworkMode);
    if (n.Driver !== "bridge" || kind !== "bridge") {
      throw invalidArgument(
        kind === "bridge"
          ? `container cannot be connected to network ${n.Name}`
          : `container sharing network namespace with another container or host cannot be connected to any other network`,
      );
    }
    await this.d.lock.run(c.rec.ID, async () => {
      const s = settingsOf(c);
      if (s.Networks[n.Name]) {
        throw conflict(
          `endpoint with name ${c.rec.Name.slice(1)} already exists in network ${n.Name}`,
        );
      }
      s.Networks[n.Name] = this.#configured(n, req);
      if (c.rec.State.Running) {
        try {
          await this.#attach(c, n, !n.Internal && !this.#hasRoute(c, n));
        } catch (e) {
          delete s.Networks[n.Name];
          throw e;
        }
      }
      await this.d.store.save(c);
    });
  }

  #hasRoute(c: Container, except: NetworkRecord): boolean {
    return this.store.endpointsOf(c.rec.ID).some((e) => {
      const n = this.store.find(e.networkId);
      return n && n.Id !== except.Id && !n.Internal;
    });
  }

  /** POST /networks/{id}/disconnect. */
  async disconnect(ref: string, c: Container, force: boolean): Promise<void> {
    const n = this.store.get(ref);
    await this.d.lock.run(c.rec.ID, async () => {
      const s = settingsOf(c);
      const name = Object.keys(s.Networks).find((k) => s.Networks[k].NetworkID === n.Id);
      if (!name) {
        if (force) return;
        throw invalidArgument(`container ${c.rec.ID} is not connected to network ${n.Name}`);
      }
      if (modeKind(c.host.NetworkMode) !== "bridge") {
        throw invalidArgument(`container cannot be disconnected from network ${n.Name}`);
      }
      const ep = this.store.endpoint(n.Id, c.rec.ID);
      if (ep) await this.#detach(c, ep);
      delete s.Networks[name];
      await this.d.store.save(c);
    });
  }

  /** Container removal: whatever is left of its endpoints. */
  async forgetContainer(c: Container): Promise<void> {
    if (this.store.endpointsOf(c.rec.ID).length) await this.teardownContainer(c);
  }

  /**
   * After the containers were restored: endpoints and namespaces of containers that do not
   * run any more are released (running ones, kept by --live-restore, stay untouched).
   */
  async sweep(): Promise<void> {
    for (const n of this.store.all()) {
      for (const ep of [...this.store.endpoints(n.Id)]) {
        const c = this.d.store.find(ep.containerId);
        if (c?.rec.State.Running) continue;
        try {
          if (ep.hostVeth) deleteLink(ep.hostVeth);
        } catch { /* gone with its namespace */ }
        await this.store.removeEndpoint(n.Id, ep.containerId);
      }
      this.#refreshDns(n);
    }
    for (const c of this.d.store.all()) {
      if (!c.rec.State.Running || !this.store.endpointsOf(c.rec.ID).length) continue;
      if (modeKind(c.host.NetworkMode) !== "bridge") continue;
      // Its 127.0.0.11 sockets went with the daemon that opened them.
      const primary = this.#primaryEndpoint(c);
      const primaryNet = primary && this.store.find(primary.networkId);
      if (primary && primaryNet) this.#openResolver(c, primaryNet, primary);
      // Live-restored: its host ports are held again (their rules were kept).
      const s = settingsOf(c);
      s.Ports = await this.#publish(c, this.#primaryEndpoint(c)).catch((e) => {
        log("warn", `ports of live-restored ${c.rec.ID.slice(0, 12)}: ${e}`);
        return s.Ports;
      });
    }
    for await (const e of Deno.readDir(this.netnsDir)) {
      const c = this.d.store.find(e.name);
      if (c?.rec.ID === e.name && c.rec.State.Running) continue;
      removeNetns(`${this.netnsDir}/${e.name}`);
    }
  }

  // ---- files ----

  /** Create: /etc/hosts and /etc/resolv.conf as they are until the first start. */
  async writeFiles(c: Container): Promise<void> {
    checkHostName(c.rec.Config.Hostname);
    await this.#writeHosts(c, []);
    await this.#writeResolv(c, undefined);
  }

  #hostGateway(): string {
    return this.store.find("bridge")?.gateway ?? "";
  }

  async #writeHosts(c: Container, own: { ip: string; names: string[] }[]): Promise<void> {
    // A container created before hosts files of host-network containers bound /etc/hosts.
    if (!c.rec.HostsPath || c.rec.HostsPath === "/etc/hosts") return;
    const extra = [
      ...extraHostLines(c.host.ExtraHosts ?? [], this.#hostGateway()),
      ...linkHostLines(this.d, c),
    ];
    if (modeKind(c.host.NetworkMode) === "host") {
      // libnetwork's origin hosts file: a copy of the host's, then --add-host's lines.
      const origin = await Deno.readTextFile("/etc/hosts").catch(() => "");
      const text = origin + (origin && !origin.endsWith("\n") ? "\n" : "");
      await replaceFile(c.rec.HostsPath, text + extra.map((l) => l + "\n").join(""));
      return;
    }
    await replaceFile(c.rec.HostsPath, hostsFile(own, extra));
  }

  async #writeResolv(c: Container, embedded: string | undefined): Promise<void> {
    if (!c.rec.ResolvConfPath) return;
    const o = this.d.opts.network;
    const host = await readHostResolvConf();
    const text = modeKind(c.host.NetworkMode) === "host" && !c.host.Dns?.length
      ? host
      : resolvConf({
        host,
        dns: c.host.Dns?.length ? c.host.Dns : o.dns,
        search: c.host.DnsSearch?.length ? c.host.DnsSearch : o.dnsSearch,
        options: c.host.DnsOptions?.length ? c.host.DnsOptions : o.dnsOptions,
        embedded,
      });
    await replaceFile(c.rec.ResolvConfPath, text);
  }
}

/**
 * Replaces a generated /etc file with a rename (a reader sees the old or the new one). No
 * fsync: each start writes them again, and a sync per file costs milliseconds on start.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o644 });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Loopback, multicast, "this network" and the like cannot be a network's subnet. */
function checkUsableSubnet(c: Cidr): void {
  const first = c.base >>> 24;
  if (c.prefix < 8 || c.prefix > 30 || first === 0 || first === 127 || first >= 224) {
    throw invalidArgument(`invalid subnet ${formatCidr(c)}: not usable for a bridge network`);
  }
}

/** The container's NetworkSettings (created empty for containers made before networking). */
export function settingsOf(c: Container): ContainerNetworkSettings {
  return c.rec.NetworkSettings ??= { Networks: {}, Ports: null, SandboxKey: "" };
}

const managers = new WeakMap<Daemon, NetworkManager>();

/** Daemon start: the networks restored (containers are restored after this). */
export async function initNetworking(d: Daemon): Promise<void> {
  const m = networking(d);
  m.netfilter = new Netfilter(d.opts.network, d.opts.dataRoot);
  m.dns = new EmbeddedDns(upstreamServers(await readHostResolvConf(), d.opts.network.dns));
  await m.init();
}

/** The daemon's network manager (init() runs at daemon start, see initNetworking). */
export function networking(d: Daemon): NetworkManager {
  let m = managers.get(d);
  if (!m) managers.set(d, m = new NetworkManager(d));
  return m;
}
