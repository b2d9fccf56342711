// HTTP to `engine containerd` over its unix socket: one Deno.HttpClient per socket, JSON
// helpers, error bodies ({message, kind}) turned back into EngineErrors of that kind, and
// NDJSON streams read line by line with a cap on the line length.

import type { z } from "zod";
import { EngineError, type ErrorKind, unavailable } from "../../lib/errors.ts";

const KINDS = new Set<ErrorKind>([
  "not_found",
  "already_exists",
  "invalid_argument",
  "conflict",
  "failed_precondition",
  "unavailable",
  "internal",
]);

/** Caps on what the client holds in memory. */
const MAX_JSON_RESPONSE = 64 << 20;
const MAX_LINE = 1 << 20;

export interface RequestOptions {
  query?: Record<string, string | string[] | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body (tar streams). */
  body?: BodyInit;
  signal?: AbortSignal;
}

export class ContainerdHttp implements Disposable {
  readonly #client: Deno.HttpClient;

  constructor(readonly socket: string) {
    this.#client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  }

  /** Sends a request; a non-2xx answer throws the EngineError its body describes. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    // An IP literal: over a unix-socket proxy Deno still resolves the URL's host name, and
    // a name ("containerd", "shim") stalls 5 s whenever this host's DNS does not answer.
    const url = new URL(`http://127.0.0.1${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
        url.searchParams.append(k, x);
      }
    }
    const headers: Record<string, string> = {};
    let body = o.body;
    if (o.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(o.json);
    }
    let resp: Response;
    try {
      resp = await fetch(url, { method, headers, body, signal: o.signal, client: this.#client });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      throw new EngineError(
        "unavailable",
        `containerd at ${this.socket}: ${method} ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!resp.ok) throw await responseError(resp, `${method} ${path}`);
    return resp;
  }

  /** A request whose answer is JSON, checked against `schema`. */
  async json<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    o: RequestOptions = {},
  ): Promise<z.infer<T>> {
    const resp = await this.request(method, path, o);
    const text = await boundedText(resp, MAX_JSON_RESPONSE, `${method} ${path}`);
    return checkShape(schema, JSON.parse(text), `${method} ${path}`);
  }

  close(): void {
    this.#client.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Validates an answer (a mismatch is a bug on one side: internal). */
export function checkShape<T extends z.ZodType>(schema: T, v: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new EngineError(
      "internal",
      `containerd ${what}: unexpected answer: ${
        issue.path.join(".") || "(body)"
      }: ${issue.message}`,
    );
  }
  return r.data;
}

/** The EngineError an error response carries ({message, kind}), or one from its status. */
export async function responseError(resp: Response, what: string): Promise<EngineError> {
  const text = await boundedText(resp, 1 << 20, what).catch(() => "");
  let message = text.trim() || `HTTP ${resp.status}`;
  let kind: ErrorKind = resp.status === 404
    ? "not_found"
    : resp.status === 400
    ? "invalid_argument"
    : resp.status === 409
    ? "conflict"
    : resp.status === 503
    ? "unavailable"
    : "internal";
  try {
    const body = JSON.parse(text);
    if (typeof body?.message === "string") message = body.message;
    if (KINDS.has(body?.kind)) kind = body.kind;
  } catch { /* not JSON: keep the text */ }
  return new EngineError(kind, message);
}

/** An error line of a stream ({error, kind}) as an EngineError. */
export function streamError(line: { error: string; kind?: string }): EngineError {
  const kind = KINDS.has(line.kind as ErrorKind) ? line.kind as ErrorKind : "internal";
  return new EngineError(kind, line.error);
}

async function boundedText(resp: Response, max: number, what: string): Promise<string> {
  if (!resp.body) return "";
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of resp.body) {
    n += chunk.length;
    if (n > max) throw new EngineError("internal", `containerd ${what}: answer over ${max} bytes`);
    parts.push(chunk);
  }
  const all = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return new TextDecoder().decode(all);
}

/** The JSON values of an NDJSON body, one per line. */
export async function* ndjsonLines(resp: Response, what: string): AsyncGenerator<unknown> {
  if (!resp.body) return;
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of resp.body) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parseLine(line, what);
    }
    if (buf.length > MAX_LINE) throw new EngineError("internal", `${what}: line over ${MAX_LINE}`);
  }
  buf += dec.decode();
  if (buf.trim()) yield parseLine(buf.trim(), what);
}

function parseLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw unavailable(`${what}: malformed stream line ${JSON.stringify(line.slice(0, 200))}`);
  }
}
