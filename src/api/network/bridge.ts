// The bridge driver's kernel objects: the Linux bridge with the gateway address, and per
// endpoint a veth pair whose host end is enslaved to the bridge and whose peer is created
// directly inside the container's network namespace, then named, addressed and routed there.
//
// Netlink through FFI (src/sys/netlink.ts) rather than iproute2: measured on this 2-core host
// for the per-container work (new netns + veth pair + peer in the netns + lo/eth0 up +
// address + default route), median of 10: netlink 2.6 ms, `ip` 9.7 ms even folded into two
// spawns (`unshare --net=FILE ip -batch -` creating the pair inside and moving the host end
// out, then `ip link set … master … up`). Start latency matters, so netlink.
import { close } from "../../sys/libc.ts";
import { Netlink, openNetns } from "../../sys/netlink.ts";
import { type Cidr, parseCidr } from "./ipam.ts";

let host: Netlink | undefined;

/** The daemon's rtnetlink socket in its own namespace. */
function nl(): Netlink {
  return host ??= Netlink.open();
}

/** Creates bridge `name` when missing, gives it `gateway/prefix` and sets it up. */
export function ensureBridge(name: string, gateway: string, prefix: number, mtu: number): void {
  let link = nl().link(name);
  if (!link) {
    nl().addBridge(name, mtu);
    link = nl().link(name);
    if (!link) throw new Error(`bridge ${name} vanished after its creation`);
  } else if (link.kind && link.kind !== "bridge") {
    throw new Error(`interface ${name} exists and is not a bridge (${link.kind})`);
  }
  if (!nl().addresses(link.index).includes(`${gateway}/${prefix}`)) {
    nl().addAddress(link.index, name, gateway, prefix);
  }
  nl().setUp(link.index, name);
}

/** The first IPv4 address ("ip/prefix") of an existing bridge, if any. */
export function bridgeAddress(name: string): string | undefined {
  const link = nl().link(name);
  return link ? nl().addresses(link.index)[0] : undefined;
}

export function deleteLink(name: string): void {
  if (name) nl().deleteLink(name);
}

export interface VethSpec {
  /** The container's network namespace (a bind-mounted file). */
  nsPath: string;
  bridge: string;
  hostVeth: string;
  ifname: string;
  ip: string;
  prefixLen: number;
  mac: string;
  mtu: number;
  /** The default route's gateway; none for an internal network or a secondary one. */
  gateway?: string;
}

/** The veth pair of one endpoint, configured on both sides. */
export function attachVeth(s: VethSpec): void {
  const br = nl().link(s.bridge);
  if (!br) throw new Error(`bridge ${s.bridge} not found`);
  const nsFd = openNetns(s.nsPath);
  try {
    nl().addVeth({
      host: s.hostVeth,
      master: br.index,
      mtu: s.mtu,
      peer: s.ifname,
      peerNsFd: nsFd,
      peerMac: s.mac,
    });
  } finally {
    close(nsFd);
  }
  try {
    using inner = Netlink.openIn(s.nsPath);
    const eth = inner.link(s.ifname);
    if (!eth) throw new Error(`${s.ifname} not found in ${s.nsPath}`);
    inner.addAddress(eth.index, s.ifname, s.ip, s.prefixLen);
    inner.setUp(eth.index, s.ifname);
    if (s.gateway) inner.addDefaultRoute(eth.index, s.ifname, s.gateway);
  } catch (e) {
    nl().deleteLink(s.hostVeth);
    throw e;
  }
}

/** Subnets routed on the host (to skip when choosing a network's subnet). */
export function routedSubnets(): Cidr[] {
  const out: Cidr[] = [];
  for (const r of nl().routes()) {
    if (r.dstLen === 0) continue;
    try {
      out.push(parseCidr(`${r.dst}/${r.dstLen}`, false));
    } catch { /* not IPv4 */ }
  }
  return out;
}

/** A random host-side veth name as Docker's ("veth" + 7 hex). */
export function vethName(): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return "veth" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("").slice(0, 7);
}
