// Image record names: what the API accepts ("busybox", "127.0.0.1:5000/x:1", or a
// record's exact name) → the record's normalized name, and per-request registry access.

import { invalidArgument, wrap } from "../../lib/errors.ts";
import { parseNormalized, referenceString } from "../../lib/reference.ts";
import { type Auth, DANGLING_PREFIX, type RegistryConfig } from "../api/images.ts";
import type { Image } from "../metadata/store.ts";
import { Registries, validateInsecureEntry } from "../registry/mod.ts";
import type { Services } from "../services.ts";

/** "busybox" → "docker.io/library/busybox:latest". */
export function normalizeName(raw: string): string {
  try {
    return referenceString(parseNormalized(raw));
  } catch (err) {
    throw wrap(err, `image name ${JSON.stringify(raw.slice(0, 300))}`);
  }
}

/**
 * The name a tag gives `image`: a reference, normalized, or the image's dangling record
 * (DANGLING_PREFIX + its target digest: it can name no other image), which keeps an image
 * whose last name goes while child images or a running container still need it.
 */
export function tagName(image: Image, raw: string): string {
  if (!raw.startsWith(DANGLING_PREFIX)) return normalizeName(raw);
  const own = DANGLING_PREFIX + image.target.digest;
  if (raw !== own) {
    throw invalidArgument(`tag ${image.name}: a dangling record names its own target (${own})`);
  }
  return own;
}

/** The record named `raw` exactly (dangling names), else by its normalized name. */
export function findImage(s: Services, raw: string): Image {
  return s.meta.images.find(raw) ?? s.meta.images.get(normalizeName(raw));
}

/**
 * The shared registries, or ones for this request: its credentials, and the daemon's
 * mirrors and insecure registries (added to containerd's own).
 */
export function registriesFor(
  s: Services,
  auth: Auth | undefined,
  registry?: RegistryConfig,
): Registries {
  if (!auth && !registry) return s.registries;
  if (auth && "identitytoken" in auth) {
    throw invalidArgument(
      "registry auth: identity tokens (OAuth refresh tokens) are not supported",
    );
  }
  const opts = { ...s.registries.opts };
  if (auth) {
    const creds = { username: auth.username, password: auth.password };
    opts.credentials = () => creds;
  }
  if (registry?.insecure) {
    opts.insecure = [...(opts.insecure ?? []), ...registry.insecure.map(validateInsecureEntry)];
  }
  if (registry?.mirrors) opts.mirrors = [...(opts.mirrors ?? []), ...registry.mirrors];
  return new Registries(opts);
}
