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
