// POST /auth: dockerd's loginV2. GET <registry>/v2/; on a Basic challenge, again with the
// credentials; on a Bearer challenge, a token from the realm (Basic credentials, account=)
// then /v2/ with it. Answers {"Status":"Login Succeeded","IdentityToken":""} or a 401 with
// Docker's message. Loopback and insecure registries are reached over plain HTTP.

import { EngineError, errorMessage, invalidArgument } from "../../lib/errors.ts";
import type { AuthConfig } from "./auth.ts";

const HUB = "https://index.docker.io/v1/";
const HUB_API = "https://registry-1.docker.io";
const TIMEOUT_MS = 15_000;
const MAX_BODY = 1 << 20;

export class LoginError extends EngineError {
  constructor(message: string) {
    super("failed_precondition", message);
  }
}

function isLoopback(host: string): boolean {
  const h = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** "127.0.0.1:5000", "http://x:5000/", "https://index.docker.io/v1/" → the API base URL. */
export function registryBase(server: string, insecure: readonly string[] = []): string {
  const s = server.trim();
  if (!s || s === HUB || /^(https?:\/\/)?(index\.)?docker\.io\/?/.test(s)) return HUB_API;
  const m = /^(https?):\/\/([^/]+)/.exec(s);
  if (m) return `${m[1]}://${m[2]}`;
  const host = s.split("/")[0];
  if (!/^[A-Za-z0-9.\-\[\]:]+$/.test(host)) {
    throw invalidArgument(`invalid registry address ${JSON.stringify(s.slice(0, 200))}`);
  }
  const plain = isLoopback(host) || insecure.includes(host) ||
    insecure.includes(host.replace(/:\d+$/, ""));
  return `${plain ? "http" : "https"}://${host}`;
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } {
  const h = header ?? "";
  const scheme = (/^\s*(\w+)/.exec(h)?.[1] ?? "").toLowerCase();
  const params: Record<string, string> = {};
  for (const m of h.matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme, params };
}

async function get(url: string, headers: Record<string, string>, signal: AbortSignal) {
  try {
    const resp = await fetch(url, { headers, signal });
    const body = new Uint8Array(await resp.arrayBuffer()).slice(0, MAX_BODY);
    return { resp, text: new TextDecoder().decode(body) };
  } catch (err) {
    const cause = err instanceof Error && err.cause ? `: ${errorMessage(err.cause)}` : "";
    throw new EngineError("unavailable", `Get "${url}": ${errorMessage(err)}${cause}`);
  }
}

/** Checks the credentials; resolves with the identity token ("" here), throws LoginError. */
export async function login(
  cfg: AuthConfig,
  insecure: readonly string[],
  parent: AbortSignal,
): Promise<string> {
  const base = registryBase(cfg.serveraddress ?? "", insecure);
  const url = `${base}/v2/`;
  const signal = AbortSignal.any([parent, AbortSignal.timeout(TIMEOUT_MS)]);
  const basic = "Basic " + btoa(`${cfg.username ?? ""}:${cfg.password ?? ""}`);
  const first = await get(url, {}, signal);
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
    const tok = await get(realm.href, { authorization: basic }, signal);
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
    const second = await get(url, { authorization: `Bearer ${token}` }, signal);
    if (second.resp.ok) return "";
    throw new LoginError(
      `login attempt to ${url} failed with status: ${second.resp.status} ${second.resp.statusText}`,
    );
  }
  const second = await get(url, { authorization: basic }, signal);
  if (second.resp.ok) return "";
  throw new LoginError(
    `login attempt to ${url} failed with status: ${second.resp.status} ${second.resp.statusText}`,
  );
}
