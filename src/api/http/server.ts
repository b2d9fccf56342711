// The Engine API over node:http (its 'upgrade' event gives attach and exec start their
// hijacked connection). Versioned (/v1.NN/…) and unversioned paths; Docker's headers on
// every answer; errors as {"message": …}; bodies capped; streams end with their client.
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { EngineError, errorMessage, invalidArgument } from "../../lib/errors.ts";
import { ENGINE_VERSION } from "../../lib/version.ts";
import { NotModified, statusOf } from "./errors.ts";
import { replyJson } from "./json.ts";
import type { Ctx, Hijacked, Reply, Router } from "./router.ts";
import { log } from "../log.ts";

export const API_VERSION = "1.47";
export const MIN_API_VERSION = "1.24";
/** JSON request bodies (create, update, exec): far above any real one. */
export const MAX_JSON_BODY = 8 << 20;

const RAW_STREAM = "application/vnd.docker.raw-stream";

export function commonHeaders(experimental = true): Record<string, string> {
  const h: Record<string, string> = {
    "Api-Version": API_VERSION,
    "Ostype": "linux",
    "Server": `Engine/${ENGINE_VERSION} (linux)`,
  };
  if (experimental) h["Docker-Experimental"] = "false";
  return h;
}

function versionNumber(v: string): number {
  const [a, b] = v.split(".").map(Number);
  return a * 1000 + b;
}

/** Splits /v1.NN/path; a too new or too old version is answered as dockerd does. */
function splitVersion(path: string): { version: string; path: string } | { reply: Reply } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(path);
  if (!m) return { version: API_VERSION, path };
  const version = m[1];
  if (versionNumber(version) > versionNumber(API_VERSION)) {
    return {
      reply: {
        status: 400,
        json: {
          message:
            `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
        },
        headers: commonHeaders(false),
      },
    };
  }
  if (versionNumber(version) < versionNumber(MIN_API_VERSION)) {
    return {
      reply: {
        status: 400,
        text: `client version ${version} is too old. Minimum supported API version is ` +
          `${MIN_API_VERSION}, please upgrade your client to a newer version\n`,
        headers: { ...commonHeaders(false), "Content-Type": "text/plain; charset=utf-8" },
      },
    };
  }
  return { version, path: m[2] ?? "/" };
}

class BodyTooLarge extends EngineError {
  constructor(max: number) {
    super("invalid_argument", `request body larger than ${max} bytes`);
  }
}

function bodyText(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let n = 0;
    let failed = false;
    req.on("data", (c: Uint8Array) => {
      if (failed) return;
      n += c.length;
      if (n > max) {
        failed = true;
        reject(new BodyTooLarge(max));
        return;
      }
      parts.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(new TextDecoder().decode(Buffer.concat(parts)));
    });
    req.on("error", (e) => {
      if (!failed) reject(e);
    });
  });
}

function bodyStream(req: http.IncomingMessage, max: number): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      req.on("data", (c: Uint8Array) => {
        n += c.length;
        if (n > max) {
          ctl.error(new BodyTooLarge(max));
          req.pause();
          return;
        }
        ctl.enqueue(new Uint8Array(c));
        if ((ctl.desiredSize ?? 1) <= 0) req.pause();
      });
      req.on("end", () => {
        try {
          ctl.close();
        } catch { /* errored */ }
      });
      req.on("error", (e) => {
        try {
          ctl.error(e);
        } catch { /* closed */ }
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      req.resume();
    },
  }, { highWaterMark: 4 });
}

/**
 * Reads `length` body bytes of an upgrade request. They may come with `head`, then on the
 * socket, or through `req` (Deno's node:http delivers them either way): take from all.
 */
function upgradeBody(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  length: number,
): Promise<{ body: Uint8Array; rest: Uint8Array }> {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_JSON_BODY) {
    return Promise.reject(invalidArgument(`bad Content-Length ${length} on an upgrade request`));
  }
  let buf = new Uint8Array(head);
  const split = () => ({ body: buf.slice(0, length), rest: buf.slice(length) });
  if (buf.length >= length) return Promise.resolve(split());
  return new Promise((resolve, reject) => {
    const onData = (d: Uint8Array) => {
      const next = new Uint8Array(buf.length + d.length);
      next.set(buf);
      next.set(d, buf.length);
      buf = next;
      if (buf.length < length) return;
      done();
      resolve(split());
    };
    const onEnd = () => {
      done();
      reject(new Error("connection closed before the request body"));
    };
    const done = () => {
      clearTimeout(timer);
      for (const s of [socket, req]) {
        s.off("data", onData);
        s.off("error", onEnd);
      }
      socket.off("end", onEnd);
    };
    const timer = setTimeout(onEnd, 30_000);
    for (const s of [socket, req]) {
      s.on("data", onData);
      s.on("error", onEnd);
    }
    socket.on("end", onEnd);
  });
}

function makeCtx(
  req: http.IncomingMessage,
  path: string,
  version: string,
  query: URLSearchParams,
  signal: AbortSignal,
  /** An upgrade request's body, read off the socket already (it never reaches `req`). */
  body?: Uint8Array,
): Ctx {
  let used = false;
  const once = () => {
    if (used) throw invalidArgument("request body read twice");
    used = true;
  };
  return {
    method: req.method ?? "GET",
    path,
    version,
    params: {},
    query,
    headers: req.headers,
    signal,
    text: () => {
      once();
      return body ? Promise.resolve(new TextDecoder().decode(body)) : bodyText(req, MAX_JSON_BODY);
    },
    stream: (max) => {
      once();
      if (!body) return bodyStream(req, max);
      return new ReadableStream({ start: (ctl) => (ctl.enqueue(body), ctl.close()) });
    },
  };
}

function errorReply(err: unknown): Reply {
  if (err instanceof NotModified) return { status: 304 };
  const status = statusOf(err);
  if (status >= 500) log("error", `request failed: ${errorMessage(err)}`);
  return { status, json: { message: errorMessage(err) } };
}

async function dispatch(
  router: Router,
  req: http.IncomingMessage,
  signal: AbortSignal,
  body?: Uint8Array,
) {
  const url = new URL(req.url ?? "/", "http://engine");
  let path = url.pathname;
  const split = splitVersion(path);
  if ("reply" in split) return { reply: split.reply, ctx: undefined };
  path = split.path;
  const ctx = makeCtx(req, path, split.version, url.searchParams, signal, body);
  try {
    const hit = router.match(req.method ?? "GET", path);
    if (!hit) return { reply: { status: 404, json: { message: "page not found" } }, ctx };
    ctx.params = hit.params;
    return { reply: await hit.route.handler(ctx), ctx };
  } catch (err) {
    return { reply: errorReply(err), ctx };
  }
}

/** Writes a plain or streamed reply on a ServerResponse. */
async function writeReply(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  reply: Reply,
  signal: AbortSignal,
) {
  if ("hijack" in reply) {
    // A hijack route without Upgrade: answer 200 and carry the raw stream in the body.
    res.writeHead(200, { ...commonHeaders(), "Content-Type": RAW_STREAM });
    res.flushHeaders();
    const ac = new AbortController();
    signal.addEventListener("abort", () => ac.abort(), { once: true });
    const conn: Hijacked = {
      write: (data) => writeChunk(res, data),
      input: new ReadableStream({ start: (c) => c.close() }),
      closed: ac.signal,
      end: () => res.end(),
    };
    await reply.hijack(conn).catch((e) => log("debug", `stream: ${errorMessage(e)}`));
    if (!res.writableEnded) res.end();
    return;
  }
  if ("stream" in reply) {
    const headers: Record<string, string> = { ...commonHeaders(), ...reply.headers };
    if (reply.contentType !== null) {
      headers["Content-Type"] = reply.contentType ?? "application/json";
    }
    res.writeHead(reply.status ?? 200, headers);
    res.flushHeaders();
    const reader = reply.stream.getReader();
    const stop = () => reader.cancel().catch(() => {});
    signal.addEventListener("abort", stop, { once: true });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.length) await writeChunk(res, value);
      }
    } catch (e) {
      log("debug", `stream ${req.url}: ${errorMessage(e)}`);
      // The client went away mid-write: the producer's cancel releases what it holds (cp's
      // rootfs and the container's lock).
      await stop();
    } finally {
      signal.removeEventListener("abort", stop);
      if (!res.writableEnded) res.end();
    }
    return;
  }
  const headers: Record<string, string> = reply.headers ?? commonHeaders();
  let body = "";
  if (reply.json !== undefined) {
    body = replyJson(reply.json);
    headers["Content-Type"] ??= "application/json";
  } else if (reply.text !== undefined) {
    body = reply.text;
    headers["Content-Type"] ??= "text/plain; charset=utf-8";
  }
  const bytes = new TextEncoder().encode(body);
  if (reply.status !== 204 && reply.status !== 304) {
    headers["Content-Length"] = String(bytes.length);
  }
  res.writeHead(reply.status, headers);
  res.end(req.method === "HEAD" ? undefined : bytes);
}

function writeChunk(res: http.ServerResponse, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed || res.writableEnded) return reject(new Error("client gone"));
    const ok = res.write(data, (err) => (err ? reject(err) : ok && resolve()));
    if (!ok) res.once("drain", resolve);
  });
}

/** Serializes a non-hijack reply onto a raw socket (an Upgrade request to a plain route). */
function rawReply(socket: Duplex, reply: Reply) {
  if ("hijack" in reply || "stream" in reply) {
    reply = { status: 400, json: { message: "this endpoint cannot be upgraded" } };
  }
  const headers: Record<string, string> = reply.headers ?? commonHeaders();
  let body = "";
  if (reply.json !== undefined) {
    body = replyJson(reply.json);
    headers["Content-Type"] ??= "application/json";
  } else if (reply.text !== undefined) body = reply.text;
  const bytes = new TextEncoder().encode(body);
  headers["Content-Length"] = String(bytes.length);
  headers["Connection"] = "close";
  const head = `HTTP/1.1 ${reply.status} ${http.STATUS_CODES[reply.status] ?? ""}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  socket.write(head);
  socket.end(bytes);
}

function hijackSocket(
  socket: Duplex,
  head: Uint8Array,
  reply: Extract<Reply, { hijack: unknown }>,
) {
  const ac = new AbortController();
  const extra = reply.commonHeaders
    ? Object.entries(commonHeaders()).map(([k, v]) => `${k}: ${v}\r\n`).join("")
    : "";
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${RAW_STREAM}\r\nConnection: Upgrade\r\n` +
      `Upgrade: tcp\r\n${extra}\r\n`,
  );
  const input = new ReadableStream<Uint8Array>({
    start(ctl) {
      if (head.length) ctl.enqueue(new Uint8Array(head));
      socket.on("data", (d: Uint8Array) => {
        try {
          ctl.enqueue(new Uint8Array(d));
        } catch { /* cancelled */ }
        if ((ctl.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.on("end", () => {
        try {
          ctl.close();
        } catch { /* cancelled */ }
      });
    },
    pull() {
      socket.resume();
    },
    cancel() {
      socket.resume();
    },
  }, { highWaterMark: 8 });
  socket.on("close", () => ac.abort());
  socket.on("error", () => ac.abort());
  const conn: Hijacked = {
    write: (data) =>
      new Promise((resolve, reject) => {
        if (socket.destroyed || ac.signal.aborted) return reject(new Error("client gone"));
        socket.write(data, (err?: Error | null) => (err ? reject(err) : resolve()));
      }),
    input,
    closed: ac.signal,
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1000);
    },
  };
  return reply.hijack(conn).catch((e) => log("debug", `hijacked stream: ${errorMessage(e)}`))
    .finally(() => conn.end());
}

/** The API server: plain HTTP, or HTTPS with `tls` (tcp listeners with --tls/--tlsverify). */
export function createApiServer(router: Router, tls?: https.ServerOptions): http.Server {
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const ac = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) ac.abort();
    });
    req.on("error", () => ac.abort());
    try {
      const { reply } = await dispatch(router, req, ac.signal);
      await writeReply(req, res, reply, ac.signal);
    } catch (e) {
      log("error", `${req.method} ${req.url}: ${errorMessage(e)}`);
      if (!res.headersSent) {
        const r = errorReply(e) as { status: number; json: unknown };
        res.writeHead(r.status, { ...commonHeaders(), "Content-Type": "application/json" });
      }
      if (!res.writableEnded) res.end();
    }
    if (ac.signal.aborted || req.destroyed) return;
  };
  // https.Server emits the same request/upgrade/clientError events as http.Server. Half-open:
  // a hijacked client's close_notify ends stdin only, the output still flows back.
  const server = tls
    ? https.createServer({ allowHalfOpen: true, ...tls }, handler) as unknown as http.Server
    : http.createServer(handler);
  server.on("upgrade", async (req: http.IncomingMessage, socket: Duplex, head: Uint8Array) => {
    const ac = new AbortController();
    socket.on("close", () => ac.abort());
    socket.on("error", () => ac.abort());
    try {
      // Read an upgrade request's body (exec start's JSON) before dispatching: exactly
      // Content-Length bytes, wherever they arrive (see upgradeBody).
      const { body, rest } = await upgradeBody(
        req,
        socket,
        head,
        Number(req.headers["content-length"] ?? 0),
      );
      const { reply } = await dispatch(router, req, ac.signal, body);
      if ("hijack" in reply) await hijackSocket(socket, rest, reply);
      else rawReply(socket, reply);
    } catch (e) {
      log("error", `${req.method} ${req.url}: ${errorMessage(e)}`);
      socket.destroy();
    }
  });
  server.on("clientError", (_err: Error, socket: Duplex) => {
    try {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    } catch { /* gone */ }
  });
  return server;
}
