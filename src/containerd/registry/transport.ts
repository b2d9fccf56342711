// HTTP to one registry: base URL selection, auth retries on 401, bounded retries with
// backoff on network errors, 429 and 5xx for replayable requests. Redirects are followed
// by fetch (which drops Authorization on cross-origin hops).

import { EngineError, errorMessage } from "../../lib/errors.ts";
import { Authorizer, type Fetcher, UnauthorizedError } from "./auth.ts";
import { drain, errorText } from "./body.ts";
import type { Credentials } from "./credentials.ts";
import { baseUrl } from "./hosts.ts";

export interface TransportOptions {
  credentials?: Credentials;
  /** Domains reachable over plain HTTP besides loopback (dockerd --insecure-registry). */
  insecure?: readonly string[];
  /** Loopback domains to reach over HTTPS anyway (loopback defaults to plain HTTP). */
  secure?: readonly string[];
  /** Extra PEM CA certificates for HTTPS (system CAs are always trusted). */
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

const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
let tlsClient: Deno.HttpClient | undefined;

function httpsFetcher(caCerts: string[] | undefined): Fetcher {
  return (input, init) => {
    if (!input.startsWith("https:")) return fetch(input, init);
    if (caCerts?.length) {
      const client = Deno.createHttpClient({ caCerts: [...systemCAs(), ...caCerts] });
      return fetch(input, { ...init, client }).finally(() => client.close());
    }
    tlsClient ??= Deno.createHttpClient({ caCerts: systemCAs() });
    return fetch(input, { ...init, client: tlsClient });
  };
}

function systemCAs(): string[] {
  try {
    return [Deno.readTextFileSync(SYSTEM_CA_BUNDLE)];
  } catch {
    return []; // Deno's bundled roots still apply
  }
}

/** fetch's TypeError says "fetch failed"; the reason (TLS, refused, DNS) is in its cause. */
export function networkError(err: unknown): string {
  const msg = errorMessage(err);
  const cause = err instanceof Error && err.cause ? errorMessage(err.cause) : "";
  return cause && !msg.includes(cause) ? `${msg}: ${cause}` : msg;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Transport {
  readonly base: string;
  readonly auth: Authorizer;
  readonly fetcher: Fetcher;
  readonly attempts: number;
  readonly backoffMs: number;

  constructor(readonly domain: string, readonly opts: TransportOptions = {}) {
    this.base = baseUrl(domain, opts.insecure, opts.secure);
    this.fetcher = opts.fetch ?? httpsFetcher(opts.caCerts);
    this.auth = new Authorizer(domain, opts.credentials, this.fetcher);
    this.attempts = Math.max(1, opts.attempts ?? 4);
    this.backoffMs = opts.backoffMs ?? 200;
  }

  /** An absolute URL for a path ("/v2/…") or a Location header value. */
  url(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.base).href;
  }

  /**
   * Sends a request. Returns 2xx responses and those in `accept`; throws RegistryHttpError
   * for the rest (with the registry's error text), after retrying what may be retried.
   */
  async request(pathOrUrl: string, o: RequestOptions): Promise<Response> {
    const url = this.url(pathOrUrl);
    const method = o.method ?? "GET";
    const what = `${method} ${url}`;
    let authRetried = false;
    for (let attempt = 1;; attempt++) {
      const headers: Record<string, string> = { ...o.headers };
      if (this.opts.userAgent) headers["user-agent"] = this.opts.userAgent;
      const authorization = await this.auth.header(o.scopes);
      if (authorization) headers.authorization = authorization;
      let resp: Response;
      try {
        resp = await this.fetcher(url, { method, headers, body: o.body, signal: o.signal });
      } catch (err) {
        if (o.signal?.aborted || attempt >= this.attempts) {
          throw new EngineError("unavailable", `${what}: ${networkError(err)}`, { cause: err });
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
