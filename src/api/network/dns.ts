// The embedded DNS of user-defined networks (dockerd's resolver at 127.0.0.11, here in the
// daemon itself on each network's gateway address, UDP and TCP port 53; containers' resolv.conf
// names the gateway). It answers A for the names and aliases of the containers on the
// querying container's networks (case-insensitive, also as NAME.NETWORK), an empty answer for
// AAAA of those names (IPv4 only), PTR for their addresses, and forwards everything else to the
// upstream servers (the host's or the container's --dns): UDP with a timeout per server, TCP
// when the UDP answer is truncated or the client asked over TCP. Only clients from the
// network's subnet are answered; internal networks get no forwarding (SERVFAIL, as dockerd's
// resolver without external servers). Malformed packets are dropped or get FORMERR/NOTIMP.
import dgram from "node:dgram";
import net from "node:net";
import { log } from "../log.ts";
import {
  answers,
  encodeName,
  ipv4Rdata,
  isTruncated,
  parseQuery,
  type Query,
  RCODE,
  reply,
  reverseV4,
  truncated,
  TYPE,
  withId,
} from "./dns_message.ts";

/** Docker's resolver answers with this TTL. */
const TTL = 600;
/** Forwarded queries in flight at once (Docker's maxConcurrent). */
const MAX_FORWARDS = 100;
const MAX_TCP_CONNS = 64;
const TCP_IDLE_MS = 10_000;

export interface DnsRecord {
  ip: string;
  names: string[];
  /** The container: a query from it also resolves names of its other networks. */
  id?: string;
  /** The container's own --dns servers, used for what it asks instead of the defaults. */
  upstreams?: string[];
  /** Its link aliases (lower case): a name it alone resolves → the name it stands for. */
  links?: Record<string, string>;
}

export interface ListenOptions {
  /** Clients allowed to ask (CIDR); without it only the addresses of the records. */
  subnet?: string;
  /** The network's name: NAME.<network> resolves too. */
  domain?: string;
  /** An internal network: nothing is forwarded (no way out, not even through DNS). */
  internal?: boolean;
}

interface Network {
  id: string;
  address: string;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
  subnet?: { base: number; mask: number };
  domain?: string;
  internal: boolean;
  byName: Map<string, string[]>;
  byIp: Map<string, DnsRecord>;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseCidr(cidr: string): { base: number; mask: number } {
  const [ip, len] = cidr.split("/");
  const n = ipToInt(ip);
  const bits = Number(len);
  if (n === undefined || !/^\d{1,2}$/.test(len ?? "") || bits > 32) {
    throw new Error(`embedded DNS: invalid subnet ${JSON.stringify(cidr)}`);
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (n & mask) >>> 0, mask };
}

/** "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353" → host and port. */
function upstreamAddr(s: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: Number(v6[2] ?? 53) };
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(s);
  if (v4) return { host: v4[1], port: Number(v4[2] ?? 53) };
  return { host: s, port: 53 };
}

/** A UDP reply larger than the asker's buffer is cut short with TC set (it asks over TCP). */
function udpSized(msg: Uint8Array, resp: Uint8Array): Uint8Array {
  const parsed = parseQuery(msg);
  const limit = parsed.kind === "query" ? parsed.query.udpSize : 512;
  return resp.length > limit && parsed.kind === "query" ? truncated(parsed.query, resp) : resp;
}

const shuffle = <T>(a: T[]): T[] => {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

export class EmbeddedDns {
  #nets = new Map<string, Network>();
  #inflight = 0;
  readonly timeoutMs: number;

  constructor(readonly upstreams: string[], opts: { timeoutMs?: number } = {}) {
    this.timeoutMs = opts.timeoutMs ?? 4000;
  }

  /** Serves the network's names on address:53 (UDP and TCP). */
  async listen(networkId: string, address: string, opts: ListenOptions = {}): Promise<void> {
    const old = this.#nets.get(networkId);
    if (old?.address === address) return;
    if (old) await this.close(networkId);
    const udp = dgram.createSocket({ type: "udp4" });
    const tcp = net.createServer();
    const n: Network = {
      id: networkId,
      address,
      udp,
      tcp,
      conns: new Set(),
      subnet: opts.subnet ? parseCidr(opts.subnet) : undefined,
      domain: opts.domain?.toLowerCase(),
      internal: opts.internal ?? false,
      byName: old?.byName ?? new Map(),
      byIp: old?.byIp ?? new Map(),
    };
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind({ address, port: 53, exclusive: true }, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen({ host: address, port: 53 }, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      tcp.close();
      throw new Error(`embedded DNS of network ${networkId.slice(0, 12)} on ${address}:53: ${err}`);
    }
    udp.on("error", (err) => log("warn", "embedded DNS: udp", { err }));
    udp.on("message", (msg, rinfo) => {
      this.#onUdp(n, new Uint8Array(msg), rinfo.address, rinfo.port).catch((err) =>
        log("debug", "embedded DNS: query failed", { err })
      );
    });
    tcp.on("error", (err) => log("warn", "embedded DNS: tcp", { err }));
    tcp.on("connection", (sock) => {
      try {
        this.#onTcp(n, sock);
      } catch (err) {
        log("debug", "embedded DNS: tcp connection", { err });
        sock.destroy();
      }
    });
    this.#nets.set(networkId, n);
  }

  async close(networkId: string): Promise<void> {
    const n = this.#nets.get(networkId);
    if (!n) return;
    this.#nets.delete(networkId);
    for (const s of n.conns) s.destroy();
    await Promise.all([
      new Promise<void>((r) => n.udp.close(() => r())),
      new Promise<void>((r) => n.tcp.close(() => r())),
    ]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#nets.keys()].map((id) => this.close(id)));
  }

  /** The names on a network (all of them: replaces what was set before). */
  setRecords(networkId: string, records: DnsRecord[]): void {
    const n = this.#nets.get(networkId);
    if (!n) return;
    n.byName = new Map();
    n.byIp = new Map();
    for (const r of records) {
      n.byIp.set(r.ip, r);
      for (const name of r.names) {
        const key = name.toLowerCase().replace(/\.$/, "");
        if (!key) continue;
        const ips = n.byName.get(key) ?? [];
        if (!ips.includes(r.ip)) ips.push(r.ip);
        n.byName.set(key, ips);
      }
    }
  }

  #allowed(n: Network, ip: string): boolean {
    if (!n.subnet) return n.byIp.has(ip);
    const v = ipToInt(ip.replace(/^::ffff:/, ""));
    return v !== undefined && ((v & n.subnet.mask) >>> 0) === n.subnet.base;
  }

  /** The networks whose names a client sees: the one it asked, and its container's others. */
  #scope(n: Network, client: string): Network[] {
    const id = n.byIp.get(client)?.id;
    if (!id) return [n];
    const others = [...this.#nets.values()].filter((o) =>
      o !== n && [...o.byIp.values()].some((r) => r.id === id)
    );
    return [n, ...others];
  }

  #lookup(nets: Network[], name: string): string[] | undefined {
    for (const n of nets) {
      const direct = n.byName.get(name);
      if (direct) return direct;
      if (n.domain && name.endsWith(`.${n.domain}`)) {
        const short = n.byName.get(name.slice(0, -n.domain.length - 1));
        if (short) return short;
      }
    }
    return undefined;
  }

  /** Our answer to a query, or undefined when it goes upstream. */
  #answer(n: Network, client: string, q: Query): Uint8Array | undefined {
    if (q.qclass !== 1) return undefined;
    const asked = q.name.toLowerCase();
    const name = n.byIp.get(client)?.links?.[asked] ?? asked;
    const nets = this.#scope(n, client);
    if (q.type === TYPE.A || q.type === TYPE.AAAA) {
      const ips = this.#lookup(nets, name);
      if (!ips) return undefined;
      if (q.type === TYPE.AAAA) return reply(q, RCODE.NOERROR);
      return reply(
        q,
        RCODE.NOERROR,
        shuffle(ips).map((ip) => ({ type: TYPE.A, ttl: TTL, rdata: ipv4Rdata(ip) })),
      );
    }
    if (q.type === TYPE.PTR) {
      const ip = reverseV4(name);
      for (const o of ip ? nets : []) {
        const r = o.byIp.get(ip!);
        if (!r?.names.length) continue;
        const target = o.domain ? `${r.names[0]}.${o.domain}` : r.names[0];
        return reply(q, RCODE.NOERROR, [{ type: TYPE.PTR, ttl: TTL, rdata: encodeName(target) }]);
      }
    }
    return undefined;
  }

  /** The reply to one message from `client`, or undefined to send nothing. */
  async #handle(n: Network, msg: Uint8Array, client: string, tcp: boolean) {
    if (!this.#allowed(n, client)) return undefined;
    const parsed = parseQuery(msg);
    if (parsed.kind === "drop") return undefined;
    if (parsed.kind === "error") return parsed.reply;
    const q = parsed.query;
    const own = this.#answer(n, client, q);
    if (own) return own;
    const servers = n.internal ? [] : n.byIp.get(client)?.upstreams ?? this.upstreams;
    if (!servers.length || this.#inflight >= MAX_FORWARDS) return reply(q, RCODE.SERVFAIL);
    this.#inflight++;
    try {
      return await this.#forward(servers, q, msg, tcp) ?? reply(q, RCODE.SERVFAIL);
    } finally {
      this.#inflight--;
    }
  }

  async #onUdp(n: Network, msg: Uint8Array, client: string, port: number): Promise<void> {
    const resp = await this.#handle(n, msg, client, false);
    if (!resp || !this.#nets.has(n.id)) return;
    n.udp.send(udpSized(msg, resp), port, client);
  }

  /**
   * The reply to a query a container sent to its own resolver address (dns_in_container.ts),
   * answered as the network's resolver answers `client`, the container's address on it.
   */
  async replyFor(
    networkId: string,
    client: string,
    msg: Uint8Array,
    tcp: boolean,
  ): Promise<Uint8Array | undefined> {
    const n = this.#nets.get(networkId);
    if (!n) return undefined;
    const resp = await this.#handle(n, msg, client, tcp);
    return resp && !tcp ? udpSized(msg, resp) : resp;
  }

  #onTcp(n: Network, sock: net.Socket): void {
    const client = sock.remoteAddress ?? "";
    if (n.conns.size >= MAX_TCP_CONNS || !this.#allowed(n, client)) {
      sock.destroy();
      return;
    }
    n.conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on("error", () => sock.destroy());
    sock.on("close", () => n.conns.delete(sock));
    let buf = new Uint8Array(0);
    let busy = Promise.resolve();
    sock.on("data", (chunk: Uint8Array) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      while (buf.length >= 2) {
        const len = (buf[0] << 8) | buf[1];
        if (buf.length < 2 + len) break;
        const msg = buf.slice(2, 2 + len);
        buf = buf.slice(2 + len);
        // Replies go out in the order the queries came.
        busy = busy.then(async () => {
          const resp = await this.#handle(n, msg, client, true).catch(() => undefined);
          if (!resp || sock.destroyed) return;
          sock.write(frame(resp));
        });
      }
    });
  }

  async #forward(
    servers: string[],
    q: Query,
    msg: Uint8Array,
    tcp: boolean,
  ): Promise<Uint8Array | undefined> {
    const id = Math.floor(Math.random() * 0x10000);
    const out = withId(msg, id);
    for (const s of servers) {
      const addr = upstreamAddr(s);
      try {
        // A UDP answer cut short is asked again over TCP; a silent server is not.
        let resp = tcp ? undefined : await this.#udpExchange(addr, out, id, q.question);
        if (tcp || (resp && isTruncated(resp))) {
          resp = await this.#tcpExchange(addr, out, id, q.question) ?? resp;
        }
        if (resp) return withId(resp, q.id);
      } catch (err) {
        log("debug", "embedded DNS: upstream failed", { server: s, err });
      }
    }
    return undefined;
  }

  #udpExchange(
    addr: { host: string; port: number },
    msg: Uint8Array,
    id: number,
    question: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const sock = dgram.createSocket({ type: addr.host.includes(":") ? "udp6" : "udp4" });
    return new Promise((resolve) => {
      const done = (v: Uint8Array | undefined) => {
        clearTimeout(timer);
        sock.close();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on("error", () => done(undefined));
      sock.on("message", (m, rinfo) => {
        const resp = new Uint8Array(m);
        if (rinfo.port !== addr.port || rinfo.address !== addr.host) return;
        if (!answers(resp, id, question)) return;
        done(resp);
      });
      sock.send(msg, addr.port, addr.host);
    });
  }

  #tcpExchange(
    addr: { host: string; port: number },
    msg: Uint8Array,
    id: number,
    question: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: addr.host, port: addr.port });
      let buf = new Uint8Array(0);
      const done = (v: Uint8Array | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on("error", () => done(undefined));
      sock.on("close", () => done(undefined));
      sock.on("connect", () => sock.write(frame(msg)));
      sock.on("data", (chunk: Uint8Array) => {
        const next = new Uint8Array(buf.length + chunk.length);
        next.set(buf);
        next.set(chunk, buf.length);
        buf = next;
        if (buf.length < 2) return;
        const len = (buf[0] << 8) | buf[1];
        if (buf.length < 2 + len) return;
        const resp = buf.slice(2, 2 + len);
        done(answers(resp, id, question) ? resp : undefined);
      });
    });
  }
}

function frame(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + msg.length);
  out[0] = msg.length >> 8;
  out[1] = msg.length & 0xff;
  out.set(msg, 2);
  return out;
}
