// The Engine API client: what the docker CLI sends, byte for byte where it matters.
//
//   HEAD /_ping once per invocation (GET /_ping when HEAD answers 404/405), then every call
//   under /v<negotiated>/ where negotiated = min(1.47, daemon's Api-Version), 1.24 when the
//   daemon sends none. Query strings sorted by key (Go's url.Values.Encode), booleans as 1.
//   Unix socket (default /run/engine/engine.sock, DOCKER_HOST, -H) or tcp://host:port.

import { ENGINE_VERSION } from "../lib/version.ts";
import { hijack, type Hijacked } from "./hijack.ts";
import { jsonLines } from "./json_stream.ts";

export const CLIENT_API_VERSION = "1.47";
export const FALLBACK_API_VERSION = "1.24";
export const DEFAULT_HOST = "unix:///run/engine/engine.sock";
export const USER_AGENT = `Engine-Client/${ENGINE_VERSION} (linux)`;

/** An error answer from the daemon; printed as "Error response from daemon: <message>". */
export class ApiError extends Error {
  constructor(readonly status: number, readonly daemonMessage: string) {
    super(`Error response from daemon: ${daemonMessage}`);
  }
}

/** The daemon could not be reached at all. */
export class ConnectError extends Error {
  constructor(readonly host: string, options?: ErrorOptions) {
    super(
      `Cannot connect to the Engine daemon at ${host}. Is the engine daemon running?`,
      options,
    );
  }
}

export type QueryValue = string | number | boolean | string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** A raw body (tar archives for load/import/cp). */
  body?: ReadableStream<Uint8Array<ArrayBuffer>> | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** Do not throw ApiError on a status >= 400 (the caller inspects the response). */
  allowError?: boolean;
}

export interface Endpoint {
  transport: "unix" | "tcp";
  /** Socket path (unix) or host:port (tcp). */
  address: string;
  /** What to put in the Host header. */
  hostHeader: string;
  /** TLS on tcp (PEM text): the CA to verify the daemon with, and a client certificate. */
  tls?: TlsMaterial;
}

export interface TlsMaterial {
  caCert?: string;
  cert?: string;
  key?: string;
}

/** The TLS flags of docker's CLI (--tls, --tlsverify, --tlscacert, --tlscert, --tlskey). */
export interface TlsFlags {
  tls: boolean;
  tlsverify: boolean;
  tlscacert: string;
  tlscert: string;
  tlskey: string;
}

/**
 * Docker's CLI rules: DOCKER_TLS_VERIFY (non-empty) implies --tlsverify, which implies --tls;
 * files default to $DOCKER_CERT_PATH (or ~/.docker)/{ca,cert,key}.pem and default ones that
 * do not exist are skipped. Deno's fetch cannot skip server verification per client, so
 * --tls without --tlsverify still verifies the daemon (with the CA when one is found).
 */
export function tlsFromFlags(flags: TlsFlags | undefined): TlsMaterial | undefined {
  const verify = (flags?.tlsverify ?? false) || !!Deno.env.get("DOCKER_TLS_VERIFY");
  if (!verify && !flags?.tls && !Deno.env.get("DOCKER_TLS")) return undefined;
  const dir = Deno.env.get("DOCKER_CERT_PATH") ||
    `${Deno.env.get("HOME") ?? "/root"}/.docker`;
  const read = (given: string | undefined, fallback: string): string | undefined => {
    if (given) {
      try {
        return Deno.readTextFileSync(given);
      } catch (e) {
        throw new Error(`could not read ${given}: ${(e as Error).message}`);
      }
    }
    try {
      return Deno.readTextFileSync(`${dir}/${fallback}`);
    } catch {
      return undefined;
    }
  };
  const material = {
    caCert: read(flags?.tlscacert, "ca.pem"),
    cert: read(flags?.tlscert, "cert.pem"),
    key: read(flags?.tlskey, "key.pem"),
  };
  if (!material.cert !== !material.key) {
    throw new Error("TLS: a client certificate needs its key and a key its certificate");
  }
  return material;
}

/** Parse `-H`/DOCKER_HOST values: unix:///path, tcp://host:port, /path. */
export function parseHost(host: string, tls?: TlsMaterial): Endpoint {
  if (host.startsWith("unix://")) {
    return { transport: "unix", address: host.slice(7), hostHeader: "api.moby.localhost" };
  }
  if (host.startsWith("/")) {
    return { transport: "unix", address: host, hostHeader: "api.moby.localhost" };
  }
  const m = /^(?:tcp|http|https):\/\/([^/]*)\/?$/.exec(host);
  if (m) {
    const address = /:\d+$/.test(m[1]) ? m[1] : `${m[1]}:${tls ? 2376 : 2375}`;
    return { transport: "tcp", address, hostHeader: address, tls };
  }
  throw new Error(`unable to parse docker host \`${host}\``);
}

/** Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX. */
export function queryEscape(s: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Go's url.Values.Encode: keys sorted; true → 1, false → 0; undefined omitted. */
export function encodeQuery(query: Query = {}): string {
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [typeof v === "boolean" ? (v ? "1" : "0") : String(v)];
    for (const value of values) parts.push(`${queryEscape(key)}=${queryEscape(value)}`);
  }
  return parts.join("&");
}

/** Docker's path encoding: names go into the path as typed; only URL delimiters are escaped. */
export function escapePath(segment: string): string {
  return segment.replace(/[%?# ]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Versions compared as dotted numbers ("1.9" < "1.24"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The negotiation of docker's client: min(ours, daemon's); 1.24 if the daemon sends none. */
export function negotiateVersion(daemonVersion: string | null, ours = CLIENT_API_VERSION): string {
  if (!daemonVersion) return FALLBACK_API_VERSION;
  return compareVersions(daemonVersion, ours) < 0 ? daemonVersion : ours;
}

export interface PingInfo {
  apiVersion: string | null;
  osType: string | null;
  experimental: boolean;
}

export class EngineClient {
  readonly endpoint: Endpoint;
  #http: Deno.HttpClient | undefined;
  #negotiation: Promise<string> | undefined;
  #ping: PingInfo | undefined;

  constructor(
    readonly host: string = DEFAULT_HOST,
    readonly fixedVersion?: string,
    tls?: TlsMaterial,
  ) {
    this.endpoint = parseHost(host, tls);
  }

  /** The client for this invocation: -H, then DOCKER_HOST, then the default socket. */
  static fromEnvironment(hosts: string[] = [], tlsFlags?: TlsFlags): EngineClient {
    const host = hosts[0] ?? Deno.env.get("DOCKER_HOST") ?? DEFAULT_HOST;
    const tls = host.startsWith("unix://") || host.startsWith("/")
      ? undefined
      : tlsFromFlags(tlsFlags);
    return new EngineClient(host, Deno.env.get("DOCKER_API_VERSION") || undefined, tls);
  }

  close(): void {
    this.#http?.close();
    this.#http = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get pingInfo(): PingInfo | undefined {
    return this.#ping;
  }

  /** The negotiated API version (pings the daemon the first time). */
  apiVersion(): Promise<string> {
    this.#negotiation ??= this.#negotiate();
    return this.#negotiation;
  }

  async #negotiate(): Promise<string> {
    let res = await this.#send("HEAD", "/_ping", {});
    if (res.status === 404 || res.status === 405) {
      await res.body?.cancel();
      res = await this.#send("GET", "/_ping", {});
    }
    await res.body?.cancel();
    this.#ping = {
      apiVersion: res.headers.get("api-version"),
      osType: res.headers.get("ostype"),
      experimental: res.headers.get("docker-experimental") === "true",
    };
    return this.fixedVersion ?? negotiateVersion(this.#ping.apiVersion);
  }

  /** A versioned request; throws ApiError on status >= 400 unless allowError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const version = await this.apiVersion();
    const res = await this.#send(method, `/v${version}${path}`, options);
    if (res.status >= 400 && !options.allowError) throw await apiError(res);
    return res;
  }

  /** A request whose answer is one JSON value (or nothing, for 204/304). */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = await res.text();
    return (text.trim() === "" ? undefined : JSON.parse(text)) as T;
  }

  /** A request answered by newline-delimited JSON messages (progress, events). */
  async *stream<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): AsyncGenerator<T> {
    const res = await this.request(method, path, options);
    if (!res.body) return;
    yield* jsonLines<T>(res.body);
  }

  /** attach / exec start: the connection upgraded to a raw duplex stream (101). */
  async hijack(method: string, path: string, options: RequestOptions = {}): Promise<Hijacked> {
    const version = await this.apiVersion();
    const query = encodeQuery(options.query);
    const target = `/v${version}${path}${query ? "?" + query : ""}`;
    const body = options.json === undefined
      ? new Uint8Array()
      : new TextEncoder().encode(JSON.stringify(options.json));
    const headers: [string, string][] = [
      ["Host", this.endpoint.hostHeader],
      ["User-Agent", USER_AGENT],
      ["Content-Length", String(body.length)],
      ["Connection", "Upgrade"],
      ["Content-Type", options.json === undefined ? "text/plain" : "application/json"],
      ["Upgrade", "tcp"],
    ];
    try {
      return await hijack(this.endpoint, method, target, headers, body);
    } catch (err) {
      throw connectFailure(err, this.host);
    }
  }

  #httpClient(): Deno.HttpClient | undefined {
    const { transport, address, tls } = this.endpoint;
    if (transport === "unix") {
      this.#http ??= Deno.createHttpClient({ proxy: { transport: "unix", path: address } });
    } else if (tls) {
      this.#http ??= Deno.createHttpClient({
        caCerts: tls.caCert ? [tls.caCert] : undefined,
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      });
    }
    return this.#http;
  }

  async #send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const query = encodeQuery(options.query);
    const scheme = this.endpoint.tls ? "https" : "http";
    // Over a unix socket the URL names 127.0.0.1: Deno resolves a URL's host name even
    // through a unix proxy (and ignores a Host header), and a burst of lookups of
    // api.moby.localhost stalls 5 s on some of them (30 concurrent `run -d`: 7.2 s → 2.6 s).
    const authority = this.endpoint.transport === "unix" ? "127.0.0.1" : this.endpoint.hostHeader;
    const url = `${scheme}://${authority}${path}${query ? "?" + query : ""}`;
    const headers = new Headers({ "User-Agent": USER_AGENT, ...options.headers });
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      body = options.body;
    }
    try {
      return await fetch(url, { method, headers, body, client: this.#httpClient() });
    } catch (err) {
      throw connectFailure(err, this.host);
    }
  }
}

function connectFailure(err: unknown, host: string): Error {
  if (err instanceof ApiError) return err;
  if (
    err instanceof Deno.errors.NotFound || err instanceof Deno.errors.ConnectionRefused ||
    err instanceof TypeError // fetch reports every transport failure as a TypeError
  ) {
    return new ConnectError(host, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The daemon's `{"message": …}` (or plain text) as an ApiError. */
export async function apiError(res: Response): Promise<ApiError> {
  const text = (await res.text()).trim();
  let message = text;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.message === "string") message = parsed.message;
  } catch { /* plain text body */ }
  if (message === "") {
    message = `request returned ${res.statusText || res.status} for API route and version ` +
      `${res.url}, check if the server supports the requested API version`;
  }
  return new ApiError(res.status, message);
}
