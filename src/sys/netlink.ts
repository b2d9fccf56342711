// rtnetlink over an AF_NETLINK socket (libc through FFI): links (bridge, veth), addresses,
// routes, and persistent network namespaces (a bind-mounted /proc/thread-self/ns/net).
// Every request is sent with NLM_F_ACK and its answer checked; errors name the operation and
// the interface. The kernel handles a request inside sendto(), so the blocking recv returns
// at once. Network namespaces are per thread: a socket opened while this thread is in a
// namespace stays bound to it after the thread goes back (setns), which is how the daemon
// configures a container's namespace without a helper process.
import { close, cstr, errno, O_RDONLY, open, SysError } from "./libc.ts";
import { mount, MS_BIND, unmount } from "./mount.ts";
import { concatBytes } from "../lib/bytes.ts";

const lib = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  unshare: { parameters: ["i32"], result: "i32" },
}).symbols;

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, NETLINK_ROUTE = 0;
const CLONE_NEWNET = 0x40000000;
export const AF_INET = 2;

export const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
export const RTM_NEWADDR = 20, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_GETROUTE = 26;
const NLMSG_ERROR = 2, NLMSG_DONE = 3;
export const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;

export const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
export const IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
export const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
export const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5;
export const IFF_UP = 1;
const RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RTN_UNICAST = 1;
const ENODEV = 19, EINTR = 4;

const dec = new TextDecoder();

/** A netlink attribute: raw bytes, or nested attributes. */
export interface Attr {
  type: number;
  data: Uint8Array | Attr[];
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeAttrs(attrs: Attr[]): Uint8Array {
  const parts = attrs.map((a) => {
    const data = Array.isArray(a.data) ? encodeAttrs(a.data) : a.data;
    const out = new Uint8Array(align4(4 + data.length));
    const v = new DataView(out.buffer);
    v.setUint16(0, 4 + data.length, true);
    v.setUint16(2, a.type, true);
    out.set(data, 4);
    return out;
  });
  return concatBytes(parts);
}

export function decodeAttrs(buf: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = v.getUint16(off, true);
    if (len < 4 || off + len > buf.length) break;
    out.set(v.getUint16(off + 2, true) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export const strAttr = (type: number, s: string): Attr => ({ type, data: cstr(s) });
export const u32Attr = (type: number, n: number): Attr => ({
  type,
  data: new Uint8Array(new Uint32Array([n]).buffer),
});
export const ipAttr = (type: number, ip: string): Attr => ({ type, data: ipv4Bytes(ip) });

export function ipv4Bytes(ip: string): Uint8Array {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  }
  return new Uint8Array(p);
}

export function macBytes(mac: string): Uint8Array {
  const p = mac.split(":").map((x) => parseInt(x, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) {
    throw new Error(`invalid MAC address ${JSON.stringify(mac)}`);
  }
  return new Uint8Array(p);
}

/** struct ifinfomsg (16 bytes). */
export function ifinfomsg(index = 0, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(2, 0, true);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

/** struct ifaddrmsg (8 bytes). */
export function ifaddrmsg(prefixLen: number, index: number): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = AF_INET;
  b[1] = prefixLen;
  new DataView(b.buffer).setUint32(4, index, true);
  return b;
}

/** struct rtmsg (12 bytes) for a unicast route in the main table. */
export function rtmsg(dstLen: number): Uint8Array {
  return new Uint8Array([
    AF_INET,
    dstLen,
    0,
    0,
    RT_TABLE_MAIN,
    RTPROT_BOOT,
    RT_SCOPE_UNIVERSE,
    RTN_UNICAST,
    0,
    0,
    0,
    0,
  ]);
}

/** A whole message: nlmsghdr + fixed header + attributes. */
export function encodeMessage(
  type: number,
  flags: number,
  seq: number,
  header: Uint8Array,
  attrs: Attr[] = [],
): Uint8Array {
  const body = concatBytes([header, encodeAttrs(attrs)]);
  const out = new Uint8Array(16 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  out.set(body, 16);
  return out;
}

export interface Message {
  type: number;
  seq: number;
  /** The payload after nlmsghdr. */
  body: Uint8Array;
}

export function decodeMessages(buf: Uint8Array): Message[] {
  const out: Message[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = v.getUint32(off, true);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: v.getUint16(off + 4, true),
      seq: v.getUint32(off + 8, true),
      body: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

export class NetlinkError extends Error {
  constructor(readonly op: string, readonly errno: number) {
    super(`netlink ${op}: ${new SysError("", errno).message.replace(/^: /, "")}`);
    this.name = "NetlinkError";
  }
}

export interface Link {
  index: number;
  name: string;
  flags: number;
  mtu: number;
  master: number;
  kind: string;
}

export interface Route {
  dst: string;
  dstLen: number;
  oif: number;
}

/** An rtnetlink socket (in the calling thread's network namespace when opened). */
export class Netlink {
  #seq = 1;
  #buf = new Uint8Array(1 << 16);

  private constructor(readonly fd: number) {}

  static open(): Netlink {
    const fd = lib.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new SysError("socket", errno(), "AF_NETLINK");
    const addr = new Uint8Array(12);
    new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
    if (lib.bind(fd, addr, addr.length) < 0) {
      const e = errno();
      close(fd);
      throw new SysError("bind", e, "AF_NETLINK");
    }
    return new Netlink(fd);
  }

  /** Opens a socket inside the network namespace at `nsPath`. */
  static openIn(nsPath: string): Netlink {
    return inNetns(nsPath, () => Netlink.open());
  }

  close(): void {
    close(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #send(msg: Uint8Array, op: string): void {
    while (lib.send(this.fd, msg as Uint8Array<ArrayBuffer>, BigInt(msg.length), 0) < 0) {
      const e = errno();
      if (e !== EINTR) throw new NetlinkError(op, e);
    }
  }

  #recv(op: string): Message[] {
    for (;;) {
      const n = Number(lib.recv(this.fd, this.#buf, BigInt(this.#buf.length), 0));
      if (n >= 0) return decodeMessages(this.#buf.subarray(0, n));
      const e = errno();
      if (e !== EINTR) throw new NetlinkError(op, e);
    }
  }

  /** Sends one request and waits for its ack; throws NetlinkError(op) on a negative errno. */
  request(type: number, flags: number, header: Uint8Array, attrs: Attr[], op: string): void {
    const seq = this.#seq++;
    this.#send(encodeMessage(type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, header, attrs), op);
    for (;;) {
      for (const m of this.#recv(op)) {
        if (m.seq !== seq || m.type !== NLMSG_ERROR) continue;
        const err = new DataView(m.body.buffer, m.body.byteOffset).getInt32(0, true);
        if (err < 0) throw new NetlinkError(op, -err);
        return;
      }
    }
  }

  /** A request answered with data (a GET, or a dump with NLM_F_DUMP): the reply messages. */
  query(type: number, flags: number, header: Uint8Array, attrs: Attr[], op: string): Message[] {
    const seq = this.#seq++;
    this.#send(encodeMessage(type, flags | NLM_F_REQUEST, seq, header, attrs), op);
    const out: Message[] = [];
    for (;;) {
      for (const m of this.#recv(op)) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_DONE) return out;
        if (m.type === NLMSG_ERROR) {
          const err = new DataView(m.body.buffer, m.body.byteOffset).getInt32(0, true);
          if (err < 0) throw new NetlinkError(op, -err);
          return out;
        }
        out.push(m);
        if (!(flags & NLM_F_DUMP)) return out;
      }
    }
  }

  /** The link named `name`, or undefined. */
  link(name: string): Link | undefined {
    try {
      const [m] = this.query(
        RTM_GETLINK,
        0,
        ifinfomsg(),
        [strAttr(IFLA_IFNAME, name)],
        `get ${name}`,
      );
      return m ? parseLink(m.body) : undefined;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENODEV) return undefined;
      throw e;
    }
  }

  links(): Link[] {
    return this.query(RTM_GETLINK, NLM_F_DUMP, ifinfomsg(), [], "dump links").map((m) =>
      parseLink(m.body)
    );
  }

  /** Creates a Linux bridge (down). */
  addBridge(name: string, mtu: number): void {
    this.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      ifinfomsg(),
      [
        strAttr(IFLA_IFNAME, name),
        u32Attr(IFLA_MTU, mtu),
        { type: IFLA_LINKINFO, data: [strAttr(IFLA_INFO_KIND, "bridge")] },
      ],
      `add bridge ${name}`,
    );
  }

  /**
   * A veth pair: `host` up and enslaved to bridge `master` on this side, `peer` (down) created
   * directly in the namespace `peerNsFd` with `peerMac`.
   */
  addVeth(o: {
    host: string;
    master: number;
    mtu: number;
    peer: string;
    peerNsFd: number;
    peerMac: string;
  }): void {
    // The peer cannot be set up in the same request (veth_open: ENOTCONN before its pair is
    // registered); the caller sets it up from inside its namespace.
    const peer = concatBytes([
      ifinfomsg(),
      encodeAttrs([
        strAttr(IFLA_IFNAME, o.peer),
        u32Attr(IFLA_MTU, o.mtu),
        { type: IFLA_ADDRESS, data: macBytes(o.peerMac) },
        u32Attr(IFLA_NET_NS_FD, o.peerNsFd),
      ]),
    ]);
    this.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      ifinfomsg(0, IFF_UP, IFF_UP),
      [
        strAttr(IFLA_IFNAME, o.host),
        u32Attr(IFLA_MTU, o.mtu),
        u32Attr(IFLA_MASTER, o.master),
        {
          type: IFLA_LINKINFO,
          data: [
            strAttr(IFLA_INFO_KIND, "veth"),
            { type: IFLA_INFO_DATA, data: [{ type: VETH_INFO_PEER, data: peer }] },
          ],
        },
      ],
      `add veth ${o.host} (peer ${o.peer})`,
    );
  }

  setUp(index: number, name: string): void {
    this.request(RTM_NEWLINK, 0, ifinfomsg(index, IFF_UP, IFF_UP), [], `set ${name} up`);
  }

  /** Deletes link `name`; false when there is none. */
  deleteLink(name: string): boolean {
    try {
      this.request(RTM_DELLINK, 0, ifinfomsg(), [strAttr(IFLA_IFNAME, name)], `delete ${name}`);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENODEV) return false;
      throw e;
    }
  }

  /** Adds ip/prefixLen to link `index` (the kernel adds the subnet's route). */
  addAddress(index: number, name: string, ip: string, prefixLen: number): void {
    const attrs = [ipAttr(IFA_LOCAL, ip), ipAttr(IFA_ADDRESS, ip)];
    if (prefixLen < 31) attrs.push(ipAttr(IFA_BROADCAST, broadcastOf(ip, prefixLen)));
    this.request(
      RTM_NEWADDR,
      NLM_F_CREATE | NLM_F_EXCL,
      ifaddrmsg(prefixLen, index),
      attrs,
      `add address ${ip}/${prefixLen} to ${name}`,
    );
  }

  /** IPv4 addresses of link `index` as "ip/prefix". */
  addresses(index: number): string[] {
    const out: string[] = [];
    for (const m of this.query(RTM_GETADDR, NLM_F_DUMP, ifaddrmsg(0, 0), [], "dump addresses")) {
      const v = new DataView(m.body.buffer, m.body.byteOffset);
      if (m.body[0] !== AF_INET || v.getUint32(4, true) !== index) continue;
      const a = decodeAttrs(m.body.subarray(8)).get(IFA_LOCAL);
      if (a) out.push(`${[...a].join(".")}/${m.body[1]}`);
    }
    return out;
  }

  /** The default route via `gateway` out of link `index`. */
  addDefaultRoute(index: number, name: string, gateway: string): void {
    this.request(
      RTM_NEWROUTE,
      NLM_F_CREATE | NLM_F_EXCL,
      rtmsg(0),
      [ipAttr(RTA_GATEWAY, gateway), u32Attr(RTA_OIF, index)],
      `add default route via ${gateway} dev ${name}`,
    );
  }

  /** IPv4 routes of every table. */
  routes(): Route[] {
    const hdr = new Uint8Array(12);
    hdr[0] = AF_INET;
    return this.query(RTM_GETROUTE, NLM_F_DUMP, hdr, [], "dump routes").map((m) => {
      const a = decodeAttrs(m.body.subarray(12));
      const dst = a.get(RTA_DST);
      const oif = a.get(RTA_OIF);
      return {
        dst: dst ? [...dst].join(".") : "0.0.0.0",
        dstLen: m.body[1],
        oif: oif ? new DataView(oif.buffer, oif.byteOffset).getUint32(0, true) : 0,
      };
    });
  }
}

function parseLink(body: Uint8Array): Link {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const a = decodeAttrs(body.subarray(16));
  const u32 = (t: number) => {
    const x = a.get(t);
    return x ? new DataView(x.buffer, x.byteOffset).getUint32(0, true) : 0;
  };
  const info = a.get(IFLA_LINKINFO);
  const kind = info ? decodeAttrs(info).get(IFLA_INFO_KIND) : undefined;
  return {
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    name: cString(a.get(IFLA_IFNAME)),
    mtu: u32(IFLA_MTU),
    master: u32(IFLA_MASTER),
    kind: cString(kind),
  };
}

function cString(b: Uint8Array | undefined): string {
  if (!b) return "";
  const end = b.indexOf(0);
  return dec.decode(end < 0 ? b : b.subarray(0, end));
}

export function broadcastOf(ip: string, prefixLen: number): string {
  const n = ipv4Bytes(ip).reduce((acc, x) => acc * 256 + x, 0);
  const host = 2 ** (32 - prefixLen) - 1;
  const b = (n - (n % (host + 1))) + host;
  return [24, 16, 8, 0].map((s) => Math.floor(b / 2 ** s) % 256).join(".");
}

/** Back to the thread's own namespace; failing that, nothing sane can follow. */
function returnTo(own: number): void {
  if (lib.setns(own, CLONE_NEWNET) < 0) {
    console.error(`setns back to the daemon's network namespace: errno ${errno()}`);
    Deno.exit(70);
  }
}

/**
 * Runs `fn` with this thread in the network namespace at `nsPath`, then returns to the
 * thread's own namespace (synchronous: nothing else runs on this thread meanwhile).
 */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const own = open("/proc/thread-self/ns/net", O_RDONLY);
  let target: number | undefined;
  try {
    target = open(nsPath, O_RDONLY);
    if (lib.setns(target, CLONE_NEWNET) < 0) throw new SysError("setns", errno(), nsPath);
    try {
      return fn();
    } finally {
      returnTo(own);
    }
  } finally {
    if (target !== undefined) close(target);
    close(own);
  }
}

/**
 * A new network namespace kept alive by a bind mount at `path` (a file created here): this
 * thread unshares into it, bind-mounts it, and goes back. `lo` is brought up. `noIpv6`: IPv6
 * off in it (all, default and lo's disable_ipv6), as libnetwork's sandbox on a network
 * without IPv6.
 */
export function createNetns(path: string, opts: { noIpv6?: boolean } = {}): void {
  const own = open("/proc/thread-self/ns/net", O_RDONLY);
  try {
    Deno.writeFileSync(path, new Uint8Array(), { mode: 0o444 });
    if (lib.unshare(CLONE_NEWNET) < 0) throw new SysError("unshare", errno(), "CLONE_NEWNET");
    try {
      mount("/proc/thread-self/ns/net", path, "none", MS_BIND);
      // /proc/sys/net is the opener's namespace: this thread's, now the new one.
      for (const conf of opts.noIpv6 ? ["all", "default", "lo"] : []) {
        Deno.writeTextFileSync(`/proc/sys/net/ipv6/conf/${conf}/disable_ipv6`, "1");
      }
      using nl = Netlink.open();
      nl.setUp(1, "lo");
    } finally {
      returnTo(own);
    }
  } catch (e) {
    removeNetns(path);
    throw e;
  } finally {
    close(own);
  }
}

/**
 * The namespace file `source` (e.g. /proc/self/ns/net) bound at `path` (a file created here),
 * unless that namespace is bound there already.
 */
export function bindNetns(source: string, path: string): void {
  const want = Deno.statSync(source);
  try {
    const have = Deno.statSync(path);
    if (have.ino === want.ino && have.dev === want.dev) return;
  } catch { /* not there yet */ }
  removeNetns(path);
  Deno.writeFileSync(path, new Uint8Array(), { mode: 0o444 });
  try {
    mount(source, path, "none", MS_BIND);
  } catch (e) {
    removeNetns(path);
    throw e;
  }
}

/** Unmounts and removes a namespace file made by createNetns; a missing one is fine. */
export function removeNetns(path: string): void {
  unmount(path, true);
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Opens the namespace file for IFLA_NET_NS_FD (the caller closes it). */
export function openNetns(path: string): number {
  return open(path, O_RDONLY);
}
