// HTTP to one registry: base URL selection, auth retries on 401, bounded retries with
// backoff on network errors, 429 and 5xx for replayable requests. Redirects are followed
// by fetch (which drops Authorization on cross-origin hops).

import { EngineError, errorMessage, invalidArgument } from "../../lib/errors.ts";
import { Authorizer, type Fetcher, UnauthorizedError } from "./auth.ts";
import { drain, errorText } from "./body.ts";
import type { Credentials } from "./credentials.ts";
import { type Endpoint, endpoints, type HostsConfig } from "./hosts.ts";
import { hostCerts, tlsFetcher } from "./tls.ts";

export interface TransportOptions extends HostsConfig {
  credentials?: Credentials;
  /** The endpoints to try in order (default: endpoints(domain, this config)). */
  endpoints?: Endpoint[];
  /** certs.d roots (default certsDirs(): ENGINE_CERTS_DIRS or /etc/{docker,engine}/certs.d). */
  certsDirs?: readonly string[];
  /** Extra PEM CA certificates for verified HTTPS (system CAs are always trusted). */
  caCerts?: string[];
  /** Attempts for replayable requests on network errors, 429 and 5xx (default 4). */
  attempts?: number;
  /** First backoff delay (default 200 ms), doubled per retry. */
  backoffMs?: number;
  userAgent?: string;
  /** Replaces fetch (tests). */
  fetch?: Fetcher;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Only replayable bodies: a request may be sent again after a 401 or a 5xx. */
  body?: Uint8Array<ArrayBuffer>;
  scopes: string[];
  /** Statuses returned as-is instead of thrown (besides 2xx). */
  accept?: number[];
  signal?: AbortSignal;
}

export class RegistryHttpError extends EngineError {
  constructor(readonly status: number, message: string) {
    super(
      status === 404
        ? "not_found"
        : status === 401 || status === 403
        ? "failed_precondition"
        : status >= 500 || status === 429
        ? "unavailable"
        : "invalid_argument",
      message,
    );
  }
}

/** Go's words for the certificate failures rustls names, as dockerd reports them. */
const X509: [RegExp, string][] = [
  [/UnknownIssuer/, "x509: certificate signed by unknown authority"],
  [/NotValidForName/, "x509: certificate is not valid for this host"],
  [/Expired|NotValidYet/, "x509: certificate has expired or is not yet valid"],
  [/CertificateRequired/, "remote error: tls: certificate required"],
];

/**
 * fetch's TypeError says "fetch failed"; the reason (TLS, refused, DNS) is in its cause.
 * A certificate failure also gets dockerd's x509 wording.
 */
export function networkError(err: unknown): string {
  const msg = errorMessage(err);
  const cause = err instanceof Error && err.cause ? errorMessage(err.cause) : "";
  const text = cause && !msg.includes(cause) ? `${msg}: ${cause}` : msg;
  const x509 = X509.find(([re]) => re.test(text))?.[1];
  return x509 && !text.includes(x509) ? `${text} (${x509})` : text;
}

/**
 * One line for a registry that could not be reached: the registry, the reason (the innermost
 * cause of fetch's error, or dockerd's x509 wording), and what works without a registry.
 */
export function unreachable(domain: string, what: string, err: unknown): string {
  const text = networkError(err);
  const reason = /\((x509: [^)]*)\)$/.exec(text)?.[1] ??
    /client error \(\w+\): (.*)$/.exec(text)?.[1] ?? text;
  return `registry ${domain} is unreachable (${what}: ${reason}); ` +
    "without a registry, an image can be added with 'engine load' or 'engine import'";
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fetcher for one endpoint, with its certs.d certificates (read now). */
export function endpointFetcher(
  e: Endpoint,
  o: Pick<TransportOptions, "certsDirs" | "caCerts"> = {},
): Fetcher {
  if (e.tls !== "verify") return tlsFetcher(e.tls);
  const certs = hostCerts(e.host, o.certsDirs);
  return tlsFetcher("verify", { ...certs, caCerts: [...(o.caCerts ?? []), ...certs.caCerts] });
}

export class Transport {
  readonly auth: Authorizer;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly endpoints: Endpoint[];
  #fetchers: Fetcher[];
  #current = 0;
  /** Set once an endpoint answered: no more falling back to the next one. */
  #confirmed = false;

  constructor(readonly domain: string, readonly opts: TransportOptions = {}) {
    this.endpoints = opts.endpoints ?? endpoints(domain, opts);
    if (!this.endpoints.length) throw invalidArgument(`registry ${domain}: no endpoint`);
    this.#fetchers = this.endpoints.map((e) => opts.fetch ?? endpointFetcher(e, opts));
    this.auth = new Authorizer(domain, opts.credentials, (u, i) => this.fetcher(u, i));
    this.attempts = Math.max(1, opts.attempts ?? 4);
    this.backoffMs = opts.backoffMs ?? 200;
  }

  /** The endpoint in use: the first that answered (or the one being tried). */
  get endpoint(): Endpoint {
    return this.endpoints[this.#current];
  }

  get base(): string {
    return this.endpoint.base;
  }

  /** fetch through the current endpoint's TLS settings. */
  fetcher(input: string, init?: RequestInit): Promise<Response> {
    return this.#fetchers[this.#current](input, init);
  }

  /** An absolute URL for a path ("/v2/…") or a Location header value. */
  url(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.base).href;
  }

  /**
   * fetch of a path on the registry; while no endpoint has answered yet, a network error
   * (refused, TLS handshake) moves on to the next endpoint, as dockerd falls back from
   * HTTPS to HTTP for insecure registries and from an unreachable mirror.
   */
  async send(pathOrUrl: string, init: RequestInit): Promise<Response> {
    const errors: string[] = [];
    for (;;) {
      const i = this.#current;
      const base = this.endpoints[i].base;
      const url = new URL(pathOrUrl, base).href;
      try {
        const resp = await this.#fetchers[i](url, init);
        this.#confirmed = true;
        return resp;
      } catch (err) {
        const last = i >= this.endpoints.length - 1;
        if (this.#confirmed || last || init.signal?.aborted) {
          if (errors.length) {
            throw new TypeError(`${errors.join("; ")}; ${networkError(err)}`, { cause: err });
          }
          throw err;
        }
        errors.push(`${init.method ?? "GET"} ${url}: ${networkError(err)}`);
        // Concurrent first requests: the first to fail moves everyone on, once.
        if (this.#current === i) this.#current = i + 1;
        // A URL on the failed endpoint moves to the next one with its path.
        if (pathOrUrl.startsWith(base)) pathOrUrl = pathOrUrl.slice(base.length);
      }
    }
  }

  /**
   * Sends a request. Returns 2xx responses and those in `accept`; throws RegistryHttpError
   * for the rest (with the registry's error text), after retrying what may be retried.
   */
  async request(pathOrUrl: string, o: RequestOptions): Promise<Response> {
    const method = o.method ?? "GET";
    let what = `${method} ${this.url(pathOrUrl)}`;
    let authRetried = false;
    for (let attempt = 1;; attempt++) {
      const headers: Record<string, string> = { ...o.headers };
      if (this.opts.userAgent) headers["user-agent"] = this.opts.userAgent;
      const authorization = await this.auth.header(o.scopes);
      if (authorization) headers.authorization = authorization;
      let resp: Response;
      try {
        resp = await this.send(pathOrUrl, { method, headers, body: o.body, signal: o.signal });
        what = `${method} ${this.url(pathOrUrl)}`;
      } catch (err) {
        if (o.signal?.aborted || attempt >= this.attempts) {
          throw new EngineError("unavailable", unreachable(this.domain, what, err), { cause: err });
        }
        await sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      if (resp.status === 401 && !authRetried) {
        const retry = this.auth.onUnauthorized(
          resp.headers.get("www-authenticate"),
          o.scopes,
          !!authorization,
        );
        await drain(resp);
        if (retry) {
          authRetried = true;
          attempt--;
          continue;
        }
        throw new UnauthorizedError(`${what}: 401 unauthorized`);
      }
      if (resp.ok || o.accept?.includes(resp.status)) return resp;
      const retryable = resp.status >= 500 || resp.status === 429;
      const text = await errorText(resp);
      if (retryable && attempt < this.attempts && !o.signal?.aborted) {
        await sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw new RegistryHttpError(
        resp.status,
        `${what}: HTTP ${resp.status}${text ? ` (${text})` : ""}`,
      );
    }
  }
}
