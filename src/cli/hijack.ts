// The hijacked connection of attach and exec start. fetch cannot take over a connection
// after `101 Switching Protocols`, so the request is written by hand on a fresh socket
// (each hijack gets its own connection, as docker's), the 101 head is read, and the socket
// becomes a raw duplex stream: container output in, stdin out, half-close when stdin ends.

import type { Endpoint } from "./client.ts";
import { ApiError } from "./client.ts";

export interface Hijacked {
  status: number;
  headers: Headers;
  /** Raw bytes from the daemon after the 101 head (multiplexed frames unless TTY). */
  readable: ReadableStream<Uint8Array>;
  write(data: Uint8Array): Promise<void>;
  /** Half-close: the daemon sees EOF on stdin and keeps sending output. */
  closeWrite(): Promise<void>;
  close(): void;
}

const MAX_HEAD = 64 * 1024;

function findHeadEnd(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function parseHead(text: string): { status: number; reason: string; headers: Headers } {
  const [statusLine, ...lines] = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
  if (!m) throw new Error(`malformed HTTP response ${JSON.stringify(statusLine)}`);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), reason: m[2], headers };
}

export async function hijack(
  endpoint: Endpoint,
  method: string,
  target: string,
  headers: [string, string][],
  body: Uint8Array,
): Promise<Hijacked> {
  const conn = await connect(endpoint);
  try {
    const head = `${method} ${target} HTTP/1.1\r\n` +
      headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    await writeAll(conn, concat(new TextEncoder().encode(head), body));

    let buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
    let end = -1;
    const chunk = new Uint8Array(16 * 1024);
    while ((end = findHeadEnd(buf)) < 0) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error("connection closed before the daemon answered");
      buf = concat(buf, chunk.subarray(0, n));
      if (buf.length > MAX_HEAD) throw new Error("response head too large");
    }
    const { status, headers: resHeaders } = parseHead(new TextDecoder().decode(buf.slice(0, end)));
    const leftover = buf.slice(end + 4);
    if (status !== 101) {
      const text = await readRest(conn, leftover, resHeaders);
      if (status >= 400) {
        let message = text.trim();
        try {
          message = JSON.parse(message).message ?? message;
        } catch { /* plain text */ }
        throw new ApiError(status, message);
      }
      throw new Error(`unable to upgrade to tcp, received ${status}`);
    }
    return upgraded(conn, status, resHeaders, leftover);
  } catch (err) {
    try {
      conn.close();
    } catch { /* already closed */ }
    throw err;
  }
}

function connect(endpoint: Endpoint): Promise<Deno.Conn> {
  if (endpoint.transport === "unix") {
    return Deno.connect({ transport: "unix", path: endpoint.address });
  }
  const colon = endpoint.address.lastIndexOf(":");
  const hostname = endpoint.address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(endpoint.address.slice(colon + 1));
  const tls = endpoint.tls;
  if (!tls) return Deno.connect({ hostname, port });
  return Deno.connectTls({
    hostname,
    port,
    caCerts: tls.caCert ? [tls.caCert] : undefined,
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
  });
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function readRest(conn: Deno.Conn, first: Uint8Array, headers: Headers): Promise<string> {
  const length = Number(headers.get("content-length") ?? NaN);
  let buf = first;
  const chunk = new Uint8Array(16 * 1024);
  while (!(buf.length >= length) && buf.length < MAX_HEAD) {
    const n = await conn.read(chunk);
    if (n === null) break;
    buf = concat(buf, chunk.subarray(0, n));
  }
  return new TextDecoder().decode(Number.isNaN(length) ? buf : buf.slice(0, length));
}

function upgraded(
  conn: Deno.Conn,
  status: number,
  headers: Headers,
  leftover: Uint8Array,
): Hijacked {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      if (leftover.length > 0) controller.enqueue(leftover);
    },
    async pull(controller) {
      const chunk = new Uint8Array(32 * 1024);
      let n: number | null = null;
      try {
        n = closed ? null : await conn.read(chunk);
      } catch (err) {
        if (!closed) controller.error(err);
        else controller.close();
        return;
      }
      if (n === null) controller.close();
      else controller.enqueue(chunk.slice(0, n));
    },
    cancel: close,
  });
  return {
    status,
    headers,
    readable,
    write: (data) => writeAll(conn, data),
    closeWrite: async () => {
      if (!closed) await (conn as Deno.UnixConn | Deno.TcpConn | Deno.TlsConn).closeWrite();
    },
    close,
  };
}
