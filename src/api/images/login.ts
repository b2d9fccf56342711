// POST /auth: dockerd's loginV2. GET <registry>/v2/; on a Basic challenge, again with the
// credentials; on a Bearer challenge, a token from the realm (Basic credentials, account=)
// then /v2/ with it. Answers {"Status":"Login Succeeded","IdentityToken":""} or a 401 with
// Docker's message. The registry's endpoints are the pull's (certs.d, insecure registries:
// HTTPS without verification then plain HTTP), tried in order while they do not answer.

import { EngineError, invalidArgument } from "../../lib/errors.ts";
import {
  type Endpoint,
  endpointFetcher,
  endpoints,
  type HostsConfig,
  networkError,
} from "../../containerd/registry/mod.ts";
import type { AuthConfig } from "./auth.ts";

const TIMEOUT_MS = 15_000;
const MAX_BODY = 1 << 20;

export class LoginError extends EngineError {
  constructor(message: string) {
    super("failed_precondition", message);
  }
}

export interface LoginOptions extends HostsConfig {
  certsDirs?: readonly string[];
}

/**
 * "127.0.0.1:5000", "http://x:5000/", "https://index.docker.io/v1/" → the endpoints to try:
 * as dockerd's ConvertToHostname, a scheme or path given does not matter.
 */
export function loginEndpoints(server: string, o: LoginOptions = {}): Endpoint[] {
  const s = server.trim();
  const host = s.replace(/^https?:\/\//, "").split("/")[0];
  if (!host || /^(index\.|registry-1\.)?docker\.io$/.test(host)) {
    return endpoints("docker.io", { ...o, mirrors: [] });
  }
  if (!/^[A-Za-z0-9.\-\[\]:]+$/.test(host)) {
    throw invalidArgument(`invalid registry address ${JSON.stringify(s.slice(0, 200))}`);
  }
  return endpoints(host, { ...o, mirrors: [] });
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } {
  const h = header ?? "";
  const scheme = (/^\s*(\w+)/.exec(h)?.[1] ?? "").toLowerCase();
  const params: Record<string, string> = {};
  for (const m of h.matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme, params };
}

type Get = (
  url: string,
  headers: Record<string, string>,
) => Promise<{ resp: Response; text: string }>;

function getter(fetcher: (u: string, i?: RequestInit) => Promise<Response>, signal: AbortSignal) {
  return async (url: string, headers: Record<string, string>) => {
    const resp = await fetcher(url, { headers, signal });
    const body = new Uint8Array(await resp.arrayBuffer()).slice(0, MAX_BODY);
    return { resp, text: new TextDecoder().decode(body) };
  };
}

const unavailable = (url: string, err: unknown) =>
  new EngineError("unavailable", `Get "${url}": ${networkError(err)}`);

/** Checks the credentials; resolves with the identity token ("" here), throws LoginError. */
export async function login(
  cfg: AuthConfig,
  o: LoginOptions,
  parent: AbortSignal,
): Promise<string> {
  const signal = AbortSignal.any([parent, AbortSignal.timeout(TIMEOUT_MS)]);
  const eps = loginEndpoints(cfg.serveraddress ?? "", o);
  for (const [i, e] of eps.entries()) {
    const get = getter(endpointFetcher(e, o), signal);
    const url = `${e.base}/v2/`;
    let first;
    try {
      first = await get(url, {});
    } catch (err) {
      if (i < eps.length - 1 && !signal.aborted) continue;
      throw unavailable(url, err);
    }
    try {
      return await loginAt(url, cfg, first, get);
    } catch (err) {
      if (err instanceof LoginError) throw err;
      throw unavailable(url, err);
    }
  }
  throw invalidArgument("login: no registry endpoint");
}

async function loginAt(
  url: string,
  cfg: AuthConfig,
  first: { resp: Response; text: string },
  get: Get,
): Promise<string> {
  const basic = "Basic " + btoa(`${cfg.username ?? ""}:${cfg.password ?? ""}`);
  if (first.resp.ok) return "";
  if (first.resp.status !== 401) {
    throw new LoginError(
      `login attempt to ${url} failed with status: ${first.resp.status} ${first.resp.statusText}`,
    );
  }
  const ch = challenge(first.resp.headers.get("www-authenticate"));
  if (ch.scheme === "bearer" && ch.params.realm) {
    const realm = new URL(ch.params.realm);
    if (ch.params.service) realm.searchParams.set("service", ch.params.service);
    if (cfg.username) realm.searchParams.set("account", cfg.username);
    realm.searchParams.set("client_id", "docker");
    const tok = await get(realm.href, { authorization: basic });
    if (!tok.resp.ok) {
      const detail = /"(?:details|message)"\s*:\s*"([^"]*)"/.exec(tok.text)?.[1];
      throw new LoginError(
        `Get "${url}": unauthorized: ${detail || "incorrect username or password"}`,
      );
    }
    let token = "";
    try {
      const j = JSON.parse(tok.text) as { token?: string; access_token?: string };
      token = j.token ?? j.access_token ?? "";
    } catch { /* checked below */ }
    if (!token) throw new LoginError(`Get "${url}": unauthorized: no token in the answer`);
    const second = await get(url, { authorization: `Bearer ${token}` });
    if (second.resp.ok) return "";
    throw new LoginError(
      `login attempt to ${url} failed with status: ${second.resp.status} ${second.resp.statusText}`,
    );
  }
  const second = await get(url, { authorization: basic });
  if (second.resp.ok) return "";
  throw new LoginError(
    `login attempt to ${url} failed with status: ${second.resp.status} ${second.resp.statusText}`,
  );
}
