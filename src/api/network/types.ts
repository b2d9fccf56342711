// The records the network parts of the daemon share: a network (persisted under
// <data-root>/network/) and a container's endpoint on it.

/** A network as the daemon keeps it; the capitalised fields are Docker's inspect fields. */
export interface NetworkRecord {
  Id: string;
  Name: string;
  Driver: "bridge" | "host" | "null";
  Scope: "local";
  Internal: boolean;
  Attachable: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Created: string;
  /** The Linux bridge ("" for host/none). */
  bridge: string;
  /** CIDR, e.g. "172.18.0.0/16" ("" for host/none). */
  subnet: string;
  /** The bridge's own address, e.g. "172.18.0.1" ("" for host/none). */
  gateway: string;
  /** Range allocations are taken from (CIDR inside subnet); the whole subnet when unset. */
  ipRange?: string;
}

/** A container's attachment to a network. */
export interface EndpointRecord {
  containerId: string;
  containerName: string;
  networkId: string;
  endpointId: string;
  ip: string;
  prefixLen: number;
  mac: string;
  /** Interface name inside the container (eth0, eth1, …). */
  ifname: string;
  aliases: string[];
  /** Host side of the veth pair. */
  hostVeth?: string;
}

/** Docker's PortMap: {"80/tcp": [{HostIp, HostPort}]} (null: exposed, not published). */
export type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** Docker's EndpointSettings, as inspect shows it under NetworkSettings.Networks. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string } | null;
  /** Links on a user-defined network: "name:alias", the alias resolving for this one only. */
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

/** The networking part of a container's config.v2.json (Docker's NetworkSettings). */
export interface ContainerNetworkSettings {
  /** By network name; the first is the primary network (eth0). */
  Networks: Record<string, EndpointSettings>;
  Ports: PortMap | null;
  SandboxKey: string;
}

/** N2's netfilter.ts, as the manager calls it. */
export interface NetfilterApi {
  init(keep?: Set<string>): Promise<void>;
  addNetwork(n: NetworkRecord): Promise<void>;
  removeNetwork(n: NetworkRecord): Promise<void>;
  publish(
    containerId: string,
    ep: { ip: string; bridge: string; name?: string; endpointId?: string },
    portBindings: PortMap,
    exposed: string[],
    publishAll: boolean,
  ): Promise<PortMap>;
  unpublish(containerId: string): Promise<void>;
}

/** N2's dns.ts (the embedded resolver on each user network's gateway). */
export interface DnsApi {
  listen(
    networkId: string,
    address: string,
    opts?: { subnet?: string; domain?: string },
  ): Promise<void>;
  close(networkId: string): Promise<void>;
  setRecords(
    networkId: string,
    records: {
      ip: string;
      names: string[];
      id?: string;
      upstreams?: string[];
      links?: Record<string, string>;
    }[],
  ): void;
  closeAll(): Promise<void>;
  /** The answer to a container's own query, as if `client` asked the network's resolver. */
  replyFor(
    networkId: string,
    client: string,
    msg: Uint8Array,
    tcp: boolean,
  ): Promise<Uint8Array | undefined>;
}
