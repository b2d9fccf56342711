// Host port sockets: the reservation that holds a published port (dockerd's dummy proxy), and
// the userland proxy (--userland-proxy=true, dockerd's docker-proxy) inside the daemon, whose
// socket relays TCP connections and UDP flows to the container.
// Only loopback destinations come here (DNAT still serves the host's other addresses); it
// costs no process per port, but its connections end with the daemon (no live-restore).
import dgram from "node:dgram";
import { log } from "../log.ts";
import { invalidArgument } from "../../lib/errors.ts";
import type { Proto } from "../../lib/ports.ts";
import { PortUnavailable } from "./ports.ts";

/** dockerd's UDP conntrack timeout: a flow idle this long is forgotten. */
const UDP_IDLE_MS = 90_000;
const MAX_UDP_FLOWS = 1024;
const BUF = 64 * 1024;

/** A published host port's socket (held, or relaying); close() frees the port. */
export interface Reservation {
  close(): void;
}

export interface Target {
  ip: string;
  port: number;
}

/** A send on a socket closing meanwhile must not become an uncaught exception in the daemon. */
function guarded(send: () => void): void {
  try {
    send();
  } catch (err) {
    log("debug", "userland proxy: udp send", { err });
  }
}

/** Copies `from` to `to` until EOF, then half-closes `to` (the other direction goes on). */
async function copy(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(BUF);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
    }
    await to.closeWrite();
  } catch { /* either side reset: the caller closes both */ }
}

async function relay(client: Deno.TcpConn, target: Target): Promise<void> {
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect({ hostname: target.ip, port: target.port });
  } catch (err) {
    log("debug", "userland proxy: connect", { target: `${target.ip}:${target.port}`, err });
    client.close();
    return;
  }
  await Promise.all([copy(client, upstream), copy(upstream, client)]);
  for (const c of [client, upstream]) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

function busy(hostIp: string, proto: Proto, port: number, err: unknown): unknown {
  const code = (err as { code?: string })?.code;
  if (err instanceof Deno.errors.AddrInUse || code === "EADDRINUSE") {
    return new PortUnavailable(
      hostIp,
      port,
      false,
      `Error starting userland proxy: listen ${proto}4 ${hostIp}:${port}: bind: address already in use`,
    );
  }
  return err;
}

function tcpProxy(hostIp: string, port: number, target: Target): Reservation {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: hostIp, port, transport: "tcp" });
  } catch (err) {
    throw busy(hostIp, "tcp", port, err);
  }
  const conns = new Set<Deno.TcpConn>();
  (async () => {
    for await (const c of listener) {
      conns.add(c);
      relay(c, target).finally(() => conns.delete(c));
    }
  })().catch(() => {/* listener closed */});
  return {
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

async function udpProxy(hostIp: string, port: number, target: Target): Promise<Reservation> {
  const front = dgram.createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    front.once("error", (err) => {
      front.close();
      reject(busy(hostIp, "udp", port, err));
    });
    front.bind({ address: hostIp, port, exclusive: true }, () => resolve());
  });
  type Timer = ReturnType<typeof setTimeout>;
  const flows = new Map<string, { sock: dgram.Socket; timer?: Timer }>();
  const forget = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.sock.close();
    flows.delete(key);
  };
  front.on("error", (err) => log("debug", "userland proxy: udp", { err }));
  front.on("message", (msg, client) => {
    const key = `${client.address}:${client.port}`;
    let f = flows.get(key);
    if (!f) {
      if (flows.size >= MAX_UDP_FLOWS) return;
      const sock = dgram.createSocket({ type: "udp4" });
      sock.on("error", () => forget(key));
      sock.on("message", (reply) => {
        const g = flows.get(key);
        if (!g) return;
        g.timer = renew(key, g.timer);
        guarded(() => front.send(reply, client.port, client.address));
      });
      f = { sock };
      flows.set(key, f);
    }
    f.timer = renew(key, f.timer);
    guarded(() => f.sock.send(msg, target.port, target.ip));
  });
  const renew = (key: string, timer?: Timer) => {
    clearTimeout(timer);
    return setTimeout(() => forget(key), UDP_IDLE_MS);
  };
  return {
    close() {
      for (const key of [...flows.keys()]) forget(key);
      front.close();
    },
  };
}

/** Listens on hostIp:port for proto and relays to the container's target. */
export async function startProxy(
  hostIp: string,
  proto: Proto,
  port: number,
  target: Target,
): Promise<Reservation> {
  if (proto === "tcp") return tcpProxy(hostIp, port, target);
  if (proto === "udp") return await udpProxy(hostIp, port, target);
  throw invalidArgument(`publishing ${proto} ports is not supported`);
}

/**
 * Binds hostIp:port for proto and keeps it bound: the bind test that refuses a port a host
 * process uses, and the hold that keeps one from taking it later. Published traffic never
 * reaches the socket (DNAT rewrites it first).
 */
export async function reserve(hostIp: string, proto: Proto, port: number): Promise<Reservation> {
  const busy = (detail: string) =>
    new PortUnavailable(
      hostIp,
      port,
      false,
      `Error starting userland proxy: listen ${proto}4 ${hostIp}:${port}: bind: ${detail}`,
    );
  if (proto === "tcp") {
    try {
      const l = Deno.listen({ hostname: hostIp, port, transport: "tcp" });
      return { close: () => l.close() };
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) throw busy("address already in use");
      if (err instanceof Deno.errors.AddrNotAvailable) {
        throw busy("cannot assign requested address");
      }
      throw err;
    }
  }
  if (proto === "udp") {
    const sock = dgram.createSocket({ type: "udp4" });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", (err: NodeJS.ErrnoException) => {
        sock.close();
        reject(
          err.code === "EADDRINUSE"
            ? busy("address already in use")
            : err.code === "EADDRNOTAVAIL"
            ? busy("cannot assign requested address")
            : err,
        );
      });
      sock.bind({ address: hostIp, port, exclusive: true }, () => resolve());
    });
    sock.unref();
    return { close: () => sock.close() };
  }
  throw invalidArgument(`publishing ${proto} ports is not supported`);
}
