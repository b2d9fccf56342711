// TLS to registries. Verified HTTPS trusts the system CA store plus the registry's
// certs.d directory, read as dockerd's ReadCertsDirectory: `<dir>/<host[:port]>/*.crt` are
// CAs, `*.cert` with the `*.key` of the same name a client certificate. Unverified HTTPS
// (insecure registries) goes through node:https with rejectUnauthorized off: Deno's fetch
// has no per-client switch for it.

import https from "node:https";
import { Readable } from "node:stream";
import { invalidArgument, wrap } from "../../lib/errors.ts";
import type { Fetcher } from "./auth.ts";
import type { TlsMode } from "./hosts.ts";

/** dockerd's and ours: where per-registry certificates live. */
export const DEFAULT_CERTS_DIRS = ["/etc/docker/certs.d", "/etc/engine/certs.d"];

/**
 * The certs.d roots: ENGINE_CERTS_DIRS (":"-separated; the daemon and the containerd it
 * starts both see it, so tests never touch /etc), else the defaults.
 */
export function certsDirs(): string[] {
  const env = Deno.env.get("ENGINE_CERTS_DIRS");
  return env ? env.split(":").filter(Boolean) : DEFAULT_CERTS_DIRS;
}

const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const MAX_PEM = 1 << 20;
const MAX_REDIRECTS = 10;

export interface HostCerts {
  caCerts: string[];
  cert?: string;
  key?: string;
}

function readPem(path: string): string {
  const { size } = Deno.statSync(path);
  if (size > MAX_PEM) throw invalidArgument(`${path}: larger than ${MAX_PEM} bytes`);
  return Deno.readTextFileSync(path);
}

/** The certificates certs.d holds for `hostPort`, over every directory given. */
export function hostCerts(hostPort: string, dirs: readonly string[] = certsDirs()) {
  const out: HostCerts = { caCerts: [] };
  if (!/^[A-Za-z0-9.\-\[\]:]+$/.test(hostPort) || hostPort.includes("..")) return out;
  for (const root of dirs) {
    const dir = `${root}/${hostPort}`;
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((e) => !e.isDirectory).map((e) => e.name).sort();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) continue;
      throw wrap(err, `read certs directory ${dir}`);
    }
    try {
      for (const n of names) {
        if (n.endsWith(".crt")) out.caCerts.push(readPem(`${dir}/${n}`));
        else if (n.endsWith(".cert")) {
          const keyName = n.slice(0, -".cert".length) + ".key";
          if (!names.includes(keyName)) {
            throw invalidArgument(`missing key ${keyName} for client certificate ${n}`);
          }
          // Deno's client takes one pair: the first by name, as Go's list would try first.
          if (!out.cert) {
            out.cert = readPem(`${dir}/${n}`);
            out.key = readPem(`${dir}/${keyName}`);
          }
        } else if (n.endsWith(".key")) {
          const certName = n.slice(0, -".key".length) + ".cert";
          if (!names.includes(certName)) {
            throw invalidArgument(`missing client certificate ${certName} for key ${n}`);
          }
        }
      }
    } catch (err) {
      throw wrap(err, `certs directory ${dir}`);
    }
  }
  return out;
}

let systemBundle: string | undefined;
function systemCAs(): string[] {
  try {
    systemBundle ??= Deno.readTextFileSync(SYSTEM_CA_BUNDLE);
    return [systemBundle];
  } catch {
    return []; // Deno's bundled roots still apply
  }
}

// One client per distinct certificate set: connections are reused across pulls.
const clients = new Map<string, Deno.HttpClient>();

function verifiedClient(certs: HostCerts): Deno.HttpClient {
  const key = JSON.stringify(certs);
  let c = clients.get(key);
  if (!c) {
    const caCerts = [...systemCAs(), ...certs.caCerts];
    c = certs.cert && certs.key
      ? Deno.createHttpClient({ caCerts, cert: certs.cert, key: certs.key })
      : Deno.createHttpClient({ caCerts });
    clients.set(key, c);
  }
  return c;
}

/** The fetcher for an endpoint's TLS mode; `certs` apply to verified HTTPS. */
export function tlsFetcher(mode: TlsMode, certs: HostCerts = { caCerts: [] }): Fetcher {
  if (mode === "skip") return insecureFetch;
  return (input, init) => {
    if (!input.startsWith("https:")) return fetch(input, init);
    return fetch(input, { ...init, client: verifiedClient(certs) });
  };
}

const insecureAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

/**
 * fetch over HTTPS without certificate verification (http: URLs go to fetch). Follows
 * redirects as fetch does, dropping Authorization when the origin changes.
 */
export async function insecureFetch(input: string, init: RequestInit = {}): Promise<Response> {
  let url = new URL(input);
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body as Uint8Array | undefined;
  const headers = new Headers(init.headers);
  for (let hop = 0;; hop++) {
    if (url.protocol !== "https:") {
      return await fetch(url.href, { ...init, method, headers, body: body as BodyInit });
    }
    const resp = await httpsRequest(url, method, headers, body, init.signal ?? undefined);
    const loc = resp.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(resp.status) || !loc || hop >= MAX_REDIRECTS) {
      return resp;
    }
    await resp.body?.cancel();
    const next = new URL(loc, url);
    if (next.origin !== url.origin) headers.delete("authorization");
    if (
      resp.status === 303 || ((resp.status === 301 || resp.status === 302) && method === "POST")
    ) {
      method = "GET";
      body = undefined;
    }
    url = next;
  }
}

function httpsRequest(
  url: URL,
  method: string,
  headers: Headers,
  body: Uint8Array | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method,
      headers: Object.fromEntries(headers),
      agent: insecureAgent,
      signal,
    }, (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
      }
      const status = res.statusCode ?? 502;
      const noBody = method === "HEAD" || status === 204 || status === 304;
      if (noBody) res.resume();
      const stream = noBody ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>;
      resolve(new Response(stream, { status, statusText: res.statusMessage, headers: h }));
    });
    req.on("error", (err) => reject(new TypeError("fetch failed", { cause: err })));
    req.end(body);
  });
}
