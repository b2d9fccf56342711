// Registry authentication: anonymous, Basic, and Bearer tokens (the distribution token
// spec). A 401's WWW-Authenticate challenge tells which; tokens are fetched from the realm
// (with Basic credentials when we have them) and cached per realm/service/scope set.

import { z } from "zod";
import { EngineError, invalidArgument } from "../../lib/errors.ts";
import type { Credentials } from "./credentials.ts";
import { readCapped } from "./body.ts";

export const TOKEN_RESPONSE_LIMIT = 1 << 20;

export interface Challenge {
  scheme: string; // lowercased: "bearer", "basic"
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header into its challenges (RFC 7235, as registries send it). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*,?/gy;
  let cur: Challenge | undefined;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) {
    if (m[0].length === 0) break;
    const [, token, quoted, bare] = m;
    if (quoted === undefined && bare === undefined) {
      // A token alone starts a new challenge (its scheme) or is a token68 we ignore.
      cur = { scheme: token.toLowerCase(), params: {} };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    cur.params[token.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare;
  }
  return out;
}

/** "repository:library/busybox:pull" */
export function repositoryScope(path: string, actions: string[]): string {
  return `repository:${path}:${actions.join(",")}`;
}

const tokenResponseSchema = z.object({
  token: z.string().max(64 << 10).optional(),
  access_token: z.string().max(64 << 10).optional(),
  expires_in: z.number().int().positive().optional(),
  issued_at: z.string().optional(),
});

export class UnauthorizedError extends EngineError {
  constructor(message: string) {
    super("failed_precondition", message);
  }
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

/** Per-registry auth state: the last challenge seen and the tokens fetched for it. */
export class Authorizer {
  #challenge: Challenge | undefined;
  #tokens = new Map<string, CachedToken>();
  #pending = new Map<string, Promise<string>>();

  constructor(
    private readonly registry: string,
    private readonly credentials: Credentials | undefined,
    private readonly fetcher: Fetcher,
  ) {}

  /** The Authorization header for a request needing `scopes`, once a challenge is known. */
  async header(scopes: string[]): Promise<string | undefined> {
    const c = this.#challenge;
    if (!c) return undefined;
    if (c.scheme === "basic") return this.credentials ? basicHeader(this.credentials) : undefined;
    if (c.scheme === "bearer") return `Bearer ${await this.token(c, scopes)}`;
    return undefined;
  }

  /**
   * Handles a 401: records the challenge. Returns true when a retry with new credentials
   * can help (false: nothing more to try, the caller reports the 401).
   */
  onUnauthorized(wwwAuthenticate: string | null, scopes: string[], hadAuth: boolean): boolean {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? "");
    const c = challenges.find((x) => x.scheme === "bearer") ??
      challenges.find((x) => x.scheme === "basic");
    if (!c) return false;
    this.#challenge = c;
    if (c.scheme === "basic") return !!this.credentials && !hadAuth;
    // A rejected token may have expired early: drop it so the retry fetches a new one.
    this.#tokens.delete(tokenKey(c, mergeScopes(scopes)));
    return true;
  }

  private token(c: Challenge, scopes: string[]): Promise<string> {
    const all = mergeScopes(scopes);
    const key = tokenKey(c, all);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.token);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const p = this.fetchToken(c, all).then((t) => {
      this.#tokens.set(key, t);
      return t.token;
    }).finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }

  private async fetchToken(c: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = c.params.realm;
    if (!realm) throw invalidArgument(`registry ${this.registry}: bearer challenge has no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw invalidArgument(`registry ${this.registry}: invalid token realm "${realm}"`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw invalidArgument(`registry ${this.registry}: token realm ${realm} is not http(s)`);
    }
    if (c.params.service) url.searchParams.set("service", c.params.service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    if (this.credentials) {
      url.searchParams.set("account", this.credentials.username);
      headers.authorization = basicHeader(this.credentials);
    }
    const what = `token from ${url.origin}${url.pathname} for ${this.registry}`;
    let resp: Response;
    try {
      resp = await this.fetcher(url.href, { headers });
    } catch (err) {
      const cause = err instanceof Error && err.cause ? `: ${String(err.cause)}` : "";
      throw new EngineError("unavailable", `fetch ${what}: ${(err as Error).message}${cause}`);
    }
    const body = await readCapped(resp, TOKEN_RESPONSE_LIMIT, what);
    if (resp.status === 401 || resp.status === 403) {
      throw new UnauthorizedError(`fetch ${what}: ${resp.status}: unauthorized`);
    }
    if (!resp.ok) throw new EngineError("unavailable", `fetch ${what}: HTTP ${resp.status}`);
    let parsed: z.infer<typeof tokenResponseSchema>;
    try {
      parsed = tokenResponseSchema.parse(JSON.parse(new TextDecoder().decode(body)));
    } catch (err) {
      throw invalidArgument(`fetch ${what}: invalid token response: ${(err as Error).message}`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw invalidArgument(`fetch ${what}: response has no token`);
    const lifetime = Math.max(parsed.expires_in ?? 60, 60) * 1000;
    return { token, expiresAt: Date.now() + lifetime - 10_000 };
  }
}

function basicHeader(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function mergeScopes(scopes: string[]): string[] {
  return [...new Set(scopes)].sort();
}

function tokenKey(c: Challenge, scopes: string[]): string {
  return `${c.params.realm}\n${c.params.service ?? ""}\n${scopes.join(" ")}`;
}
