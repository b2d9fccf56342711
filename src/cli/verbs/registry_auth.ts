// Credentials as the docker CLI keeps them in config.json: a credential helper per registry
// (`credHelpers`), else the default one (`credsStore`), else `auths` in the file itself.
// Keys are the server as given to login; Docker Hub's is https://index.docker.io/v1/.
// The X-Registry-Auth header sent on pull and push is base64url of the AuthConfig, or of
// {} when nothing is stored.

import type { Invocation } from "../command.ts";
import { DEFAULT_DOMAIN, type Reference } from "../../lib/reference.ts";
import { CredentialHelper } from "./cred_helper.ts";
import { EMPTY_AUTH } from "./pull.ts";

export const HUB_KEY = "https://index.docker.io/v1/";
/** A helper's Username when its Secret is an identity token (docker's convention). */
const TOKEN_USERNAME = "<token>";

export function configFile(inv: Invocation): string {
  const dir = inv.globals.config || Deno.env.get("DOCKER_CONFIG") ||
    `${Deno.env.get("HOME") ?? "/root"}/.docker`;
  return `${dir}/config.json`;
}

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export function readConfig(path: string): DockerConfig {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw new Error(`read ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

export function writeConfig(path: string, config: DockerConfig): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, JSON.stringify(config, null, "\t") + "\n", { mode: 0o600 });
  Deno.renameSync(tmp, path);
}

/** The helper that holds `server`'s credentials, if config.json names one. */
export function helperFor(config: DockerConfig, server: string): CredentialHelper | undefined {
  const name = config.credHelpers?.[server] || config.credsStore;
  return name ? new CredentialHelper(name) : undefined;
}

/** The config key of a reference's registry: its domain, Docker Hub's URL for docker.io. */
export function serverKey(ref: Pick<Reference, "domain">): string {
  return ref.domain === DEFAULT_DOMAIN ? HUB_KEY : ref.domain;
}

/** The stored AuthConfig of a registry (through its helper when one is configured). */
export async function storedAuth(inv: Invocation, ref: Reference): Promise<AuthEntry | undefined> {
  const config = readConfig(configFile(inv));
  const key = serverKey(ref);
  const helper = helperFor(config, key);
  if (helper) {
    const c = await helper.get(key);
    if (!c) return undefined;
    return c.Username === TOKEN_USERNAME
      ? { identitytoken: c.Secret }
      : { username: c.Username, password: c.Secret };
  }
  const auths = config.auths ?? {};
  const entry = auths[key] ?? auths[`https://${key}`] ?? auths[`http://${key}`];
  return entry?.auth || entry?.identitytoken || entry?.username ? entry : undefined;
}

/** Stores credentials for `server` as docker login does. */
export async function storeAuth(
  inv: Invocation,
  server: string,
  creds: { username: string; password: string; identitytoken?: string },
): Promise<void> {
  const path = configFile(inv);
  const config = readConfig(path);
  const helper = helperFor(config, server);
  const auths = config.auths ?? {};
  if (helper) {
    await helper.store({
      ServerURL: server,
      Username: creds.identitytoken ? TOKEN_USERNAME : creds.username,
      Secret: creds.identitytoken ?? creds.password,
    });
    // The file keeps an empty entry: logout and `docker info` see the login.
    auths[server] = {};
  } else {
    auths[server] = creds.identitytoken
      ? { auth: btoa(`${creds.username}:`), identitytoken: creds.identitytoken }
      : { auth: btoa(`${creds.username}:${creds.password}`) };
  }
  config.auths = auths;
  writeConfig(path, config);
}

/** Removes `server`'s credentials (file and helper); false when it was not logged in. */
export async function eraseAuth(inv: Invocation, server: string): Promise<boolean> {
  const path = configFile(inv);
  const config = readConfig(path);
  const auths = config.auths ?? {};
  if (!(server in auths)) return false;
  const helper = helperFor(config, server);
  if (helper) {
    await helper.erase(server).catch((err) =>
      console.error(`WARNING: could not erase credentials: ${server}: ${err.message}`)
    );
  }
  delete auths[server];
  writeConfig(path, config);
  return true;
}

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** The header value: the stored credentials for `ref`'s registry, else `e30=`. */
export async function registryAuthHeader(inv: Invocation, ref: Reference): Promise<string> {
  const entry = await storedAuth(inv, ref);
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
  cfg.serveraddress = serverKey(ref);
  return base64url(JSON.stringify(cfg));
}
