// engine login / logout: POST /auth, credentials in ~/.docker/config.json (0600) as docker
// stores them ("auths": {"<server>": {"auth": base64(user:password)}}).

import type { Invocation } from "../command.ts";
import { clientFor, readAllStdin, write } from "./common.ts";

const DEFAULT_SERVER = "https://index.docker.io/v1/";

function configPath(inv: Invocation): string {
  const dir = inv.globals.config || Deno.env.get("DOCKER_CONFIG") ||
    `${Deno.env.get("HOME") ?? "/root"}/.docker`;
  return `${dir}/config.json`;
}

function readConfig(path: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return {};
  }
}

function writeConfig(path: string, config: Record<string, unknown>): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, JSON.stringify(config, null, "\t") + "\n", { mode: 0o600 });
  Deno.renameSync(tmp, path);
}

function promptLine(label: string): string {
  const answer = prompt(label);
  return (answer ?? "").trim();
}

export async function loginCommand(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const server = inv.args[0] ?? DEFAULT_SERVER;
  let username = f.string("username");
  let password = f.string("password");
  if (f.bool("password-stdin")) {
    if (password) throw new Error("--password and --password-stdin are mutually exclusive");
    if (!username) throw new Error("Must provide --username with --password-stdin");
    password = new TextDecoder().decode(await readAllStdin()).replace(/\r?\n$/, "");
  }
  if (!username) username = promptLine("Username:");
  if (!password) password = promptLine("Password:");
  if (!username || !password) {
    throw new Error("Error: Cannot perform an interactive login from a non TTY device");
  }
  using client = clientFor(inv);
  const res = await client.json<{ Status?: string; IdentityToken?: string }>("POST", "/auth", {
    json: { username, password, serveraddress: server },
  });
  const path = configPath(inv);
  const config = readConfig(path);
  const auths = (config.auths ?? {}) as Record<string, unknown>;
  auths[server] = res?.IdentityToken
    ? { auth: btoa(`${username}:`), identitytoken: res.IdentityToken }
    : { auth: btoa(`${username}:${password}`) };
  config.auths = auths;
  writeConfig(path, config);
  write(`${res?.Status ?? "Login Succeeded"}\n`);
  return 0;
}

export function logoutCommand(inv: Invocation): Promise<number> {
  const server = inv.args[0] ?? DEFAULT_SERVER;
  const path = configPath(inv);
  const config = readConfig(path);
  const auths = (config.auths ?? {}) as Record<string, unknown>;
  if (!(server in auths)) {
    write(`Not logged in to ${server}\n`);
    return Promise.resolve(0);
  }
  write(`Removing login credentials for ${server}\n`);
  delete auths[server];
  writeConfig(path, config);
  return Promise.resolve(0);
}
