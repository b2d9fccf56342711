// The X-Registry-Auth header the docker CLI sends on pull and push: base64url of the
// AuthConfig stored for the image's registry in config.json ("auths"), or of {} when there
// is none. Credential helpers (credsStore/credHelpers) are not run yet.

import type { Invocation } from "../command.ts";
import { DEFAULT_DOMAIN, type Reference } from "../../lib/reference.ts";
import { EMPTY_AUTH } from "./pull.ts";

const HUB_KEY = "https://index.docker.io/v1/";

export function configFile(inv: Invocation): string {
  const dir = inv.globals.config || Deno.env.get("DOCKER_CONFIG") ||
    `${Deno.env.get("HOME") ?? "/root"}/.docker`;
  return `${dir}/config.json`;
}

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The registry's AuthConfig from config.json, if any (helpers are not run). */
export function storedAuth(inv: Invocation, ref: Reference): AuthEntry | undefined {
  let config: { auths?: Record<string, AuthEntry> };
  try {
    config = JSON.parse(Deno.readTextFileSync(configFile(inv)));
  } catch {
    return undefined;
  }
  const key = ref.domain === DEFAULT_DOMAIN ? HUB_KEY : ref.domain;
  const auths = config.auths ?? {};
  const entry = auths[key] ?? auths[`https://${key}`] ?? auths[`http://${key}`];
  return entry?.auth || entry?.identitytoken || entry?.username ? entry : undefined;
}

/** The header value: the stored credentials for `ref`'s registry, else `e30=`. */
export function registryAuthHeader(inv: Invocation, ref: Reference): string {
  const entry = storedAuth(inv, ref);
  if (!entry) return EMPTY_AUTH;
  let { username, password } = entry;
  if (!username && entry.auth) {
    const plain = atob(entry.auth);
    const i = plain.indexOf(":");
    if (i > 0) [username, password] = [plain.slice(0, i), plain.slice(i + 1)];
  }
  const cfg: Record<string, string> = {};
  if (username) cfg.username = username;
  if (password) cfg.password = password;
  if (entry.identitytoken) cfg.identitytoken = entry.identitytoken;
  cfg.serveraddress = ref.domain === DEFAULT_DOMAIN ? HUB_KEY : ref.domain;
  return base64url(JSON.stringify(cfg));
}
