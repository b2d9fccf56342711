// The resolver address a container on a user-defined network is given: 127.0.0.11:53, as
// dockerd's. The daemon opens a UDP and a TCP socket there inside the container's network
// namespace before its process starts (this thread enters the namespace for the two binds;
// a socket keeps the namespace it was made in) and answers through the network's
// EmbeddedDns as if the container had asked from its address on the network. Nothing is
// NATed and route_localnet stays off: the sockets live on the container's own loopback.
// The UDP socket needs Deno's --unstable-net (the daemon's launcher passes it); without it
// open() throws and the container is given the network's gateway address instead.
import { log } from "../log.ts";
import { inNetns } from "../../sys/netlink.ts";

export const RESOLVER_IP = "127.0.0.11";
const MAX_TCP_CONNS = 16;
const TCP_IDLE_MS = 10_000;

/** The reply to one query (undefined: none); `tcp` tells how it came. */
export type Answer = (msg: Uint8Array, tcp: boolean) => Promise<Uint8Array | undefined>;

export class ContainerResolver {
  #conns = new Set<Deno.Conn>();
  #closed = false;

  private constructor(
    private udp: Deno.DatagramConn,
    private tcp: Deno.Listener,
    private answer: Answer,
    private label: string,
  ) {}

  /** Binds 127.0.0.11:53 (UDP and TCP) in the namespace at `nsPath` and serves it. */
  static open(nsPath: string, answer: Answer, label: string): ContainerResolver {
    if (typeof Deno.listenDatagram !== "function") {
      throw new Error("UDP sockets need Deno's --unstable-net");
    }
    const [udp, tcp] = inNetns(nsPath, () => {
      const udp = Deno.listenDatagram({ transport: "udp", hostname: RESOLVER_IP, port: 53 });
      try {
        return [udp, Deno.listen({ hostname: RESOLVER_IP, port: 53 })] as const;
      } catch (e) {
        udp.close();
        throw e;
      }
    });
    const r = new ContainerResolver(udp, tcp, answer, label);
    r.#serveUdp();
    r.#serveTcp();
    return r;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#conns) c.close();
    this.udp.close();
    this.tcp.close();
  }

  async #serveUdp(): Promise<void> {
    try {
      for await (const [msg, from] of this.udp) {
        this.answer(msg, false).then((resp) => {
          if (resp && !this.#closed) return this.udp.send(resp, from);
        }).catch((err) => log("debug", `resolver of ${this.label}: udp query`, { err }));
      }
    } catch (err) {
      if (!this.#closed) log("warn", `resolver of ${this.label}: udp`, { err });
    }
  }

  async #serveTcp(): Promise<void> {
    try {
      for await (const conn of this.tcp) {
        if (this.#conns.size >= MAX_TCP_CONNS) {
          conn.close();
          continue;
        }
        this.#conns.add(conn);
        this.#serveConn(conn).finally(() => {
          this.#conns.delete(conn);
          try {
            conn.close();
          } catch { /* closed already */ }
        });
      }
    } catch (err) {
      if (!this.#closed) log("warn", `resolver of ${this.label}: tcp`, { err });
    }
  }

  /** Length-prefixed messages (RFC 1035 4.2.2), answered in order; idle ones are closed. */
  async #serveConn(conn: Deno.Conn): Promise<void> {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    for (;;) {
      const idle = setTimeout(() => conn.close(), TCP_IDLE_MS);
      const n = await conn.read(chunk).catch(() => null).finally(() => clearTimeout(idle));
      if (n === null) return;
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
      while (buf.length >= 2 && buf.length >= 2 + ((buf[0] << 8) | buf[1])) {
        const len = (buf[0] << 8) | buf[1];
        const msg = buf.slice(2, 2 + len);
        buf = buf.slice(2 + len);
        const resp = await this.answer(msg, true).catch(() => undefined);
        if (!resp) continue;
        const framed = new Uint8Array(resp.length + 2);
        framed.set([resp.length >> 8, resp.length & 0xff]);
        framed.set(resp, 2);
        for (let off = 0; off < framed.length;) off += await conn.write(framed.subarray(off));
      }
    }
  }
}
