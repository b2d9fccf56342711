// engine login / logout: POST /auth, then the credentials stored as docker stores them:
// through the credential helper config.json names (credsStore/credHelpers), else in
// config.json itself ("auths": {"<server>": {"auth": base64(user:password)}}, mode 0600).

import type { Invocation } from "../command.ts";
import { clientFor, readAllStdin, write } from "./common.ts";
import { eraseAuth, HUB_KEY, storeAuth } from "./registry_auth.ts";

function promptLine(label: string): string {
  const answer = prompt(label);
  return (answer ?? "").trim();
}

export async function loginCommand(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const server = inv.args[0] ?? HUB_KEY;
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
  await storeAuth(inv, server, {
    username,
    password,
    identitytoken: res?.IdentityToken || undefined,
  });
  write(`${res?.Status ?? "Login Succeeded"}\n`);
  return 0;
}

export async function logoutCommand(inv: Invocation): Promise<number> {
  const server = inv.args[0] ?? HUB_KEY;
  // Erased first, then announced, as the config says whether we were logged in.
  if (!(await eraseAuth(inv, server))) {
    write(`Not logged in to ${server}\n`);
    return 0;
  }
  write(`Removing login credentials for ${server}\n`);
  return 0;
}
