// Registry credentials at the Engine API: the X-Registry-Auth header (base64url JSON of
// Docker's AuthConfig) and POST /auth, which checks them against the registry's /v2/
// (Basic, or a token from the realm of a Bearer challenge) as dockerd's loginV2 does.

import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import type { Auth } from "../../containerd/api/images.ts";
import { parseWith } from "../http/validate.ts";

export const authConfigSchema = z.looseObject({
  username: z.string().max(4096).optional(),
  password: z.string().max(4096).optional(),
  auth: z.string().max(16384).optional(),
  email: z.string().max(4096).optional(),
  serveraddress: z.string().max(4096).optional(),
  identitytoken: z.string().max(8192).optional(),
  registrytoken: z.string().max(8192).optional(),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;

const MAX_HEADER = 64 << 10;

function base64Decode(s: string): string {
  const std = s.replace(/-/g, "+").replace(/_/g, "/").replace(/\s/g, "");
  const padded = std + "=".repeat((4 - (std.length % 4)) % 4);
  const bin = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The credentials an X-Registry-Auth header carries (none for "", "e30=", "{}"). */
export function registryAuth(header: string | string[] | undefined): Auth | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return undefined;
  if (raw.length > MAX_HEADER) throw invalidArgument("X-Registry-Auth header too large");
  let cfg: AuthConfig;
  try {
    cfg = parseWith(authConfigSchema, JSON.parse(base64Decode(raw)), "X-Registry-Auth");
  } catch {
    // dockerd ignores an undecodable header and pulls anonymously.
    return undefined;
  }
  return toAuth(cfg);
}

export function toAuth(cfg: AuthConfig): Auth | undefined {
  if (cfg.identitytoken) return { identitytoken: cfg.identitytoken };
  let { username, password } = cfg;
  if (!username && cfg.auth) {
    const plain = base64Decode(cfg.auth);
    const i = plain.indexOf(":");
    if (i > 0) [username, password] = [plain.slice(0, i), plain.slice(i + 1)];
  }
  if (!username) return undefined;
  return { username, password: password ?? "" };
}
