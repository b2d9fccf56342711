// Registry credentials from Docker's config.json (`auths` entries with a base64 "auth" or
// username/password). The path is a parameter; configPath() honours DOCKER_CONFIG.
// Credential helpers (credsStore/credHelpers) are run by the CLI, which sends what they give.

import { z } from "zod";
import { invalidArgument, wrap } from "../../lib/errors.ts";
import { DEFAULT_DOMAIN } from "../../lib/reference.ts";
import { DOCKER_HUB_AUTH_KEY } from "./hosts.ts";

export interface Credentials {
  username: string;
  password: string;
}

const MAX_CONFIG_BYTES = 1 << 20;

const configSchema = z.looseObject({
  auths: z.record(
    z.string(),
    z.looseObject({
      auth: z.string().max(8192).optional(),
      username: z.string().max(4096).optional(),
      password: z.string().max(4096).optional(),
      identitytoken: z.string().max(8192).optional(),
    }),
  ).optional(),
});

/** `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. */
export function configPath(env: (k: string) => string | undefined = (k) => Deno.env.get(k)) {
  const dir = env("DOCKER_CONFIG") ?? `${env("HOME") ?? "/root"}/.docker`;
  return `${dir}/config.json`;
}

/** The host part of an auths key: "https://host:port/v1/" → "host:port". */
function keyHost(key: string): string {
  let k = key.trim();
  const scheme = k.indexOf("://");
  if (scheme !== -1) k = k.slice(scheme + 3);
  const slash = k.indexOf("/");
  return (slash === -1 ? k : k.slice(0, slash)).toLowerCase();
}

function decodeAuth(auth: string, key: string): Credentials {
  let text: string;
  try {
    text = new TextDecoder().decode(Uint8Array.from(atob(auth.trim()), (c) => c.charCodeAt(0)));
  } catch {
    throw invalidArgument(`docker config: auths["${key}"].auth is not valid base64`);
  }
  const i = text.indexOf(":");
  if (i <= 0) throw invalidArgument(`docker config: auths["${key}"].auth is not "user:password"`);
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

export type CredentialLookup = (domain: string) => Credentials | undefined;

/** Parses a config.json's text into a lookup by registry domain. */
export function parseDockerConfig(text: string, path = "config.json"): CredentialLookup {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw wrap(invalidArgument((err as Error).message), `docker config ${path}`);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) throw invalidArgument(`docker config ${path}: ${r.error.issues[0].message}`);
  const byHost = new Map<string, Credentials>();
  for (const [key, entry] of Object.entries(r.data.auths ?? {})) {
    let cred: Credentials | undefined;
    if (entry.auth) cred = decodeAuth(entry.auth, key);
    else if (entry.username && entry.password !== undefined) {
      cred = { username: entry.username, password: entry.password };
    }
    if (!cred) continue;
    const host = key === DOCKER_HUB_AUTH_KEY ? DEFAULT_DOMAIN : keyHost(key);
    // The exact Docker Hub key wins over lookalikes ("index.docker.io").
    if (key === DOCKER_HUB_AUTH_KEY || !byHost.has(host)) byHost.set(host, cred);
  }
  for (const alias of ["index.docker.io", "registry-1.docker.io"]) {
    if (!byHost.has(DEFAULT_DOMAIN) && byHost.has(alias)) {
      byHost.set(DEFAULT_DOMAIN, byHost.get(alias)!);
    }
  }
  return (domain) => byHost.get(domain.toLowerCase());
}

/** Loads credentials from a config.json path; a missing file means no credentials. */
export async function loadDockerConfig(path: string): Promise<CredentialLookup> {
  let text: string;
  try {
    const { size } = await Deno.stat(path);
    if (size > MAX_CONFIG_BYTES) {
      throw invalidArgument(`docker config ${path}: larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return () => undefined;
    throw wrap(err, `read docker config ${path}`);
  }
  return parseDockerConfig(text, path);
}
