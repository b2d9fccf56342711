// OCI / Docker schema2 descriptors, manifests and indexes, validated with zod. Image
// metadata is untrusted input (SECURITY.md class c): sizes bounded, digests checked,
// a manifest whose media type is ambiguous is refused.

import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";

export const MediaType = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
} as const;

/** Accept header for manifest requests: every manifest kind we understand. */
export const MANIFEST_ACCEPT = [
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
].join(", ");

/** Caps on what we read into memory. */
export const Limits = {
  manifest: 4 << 20,
  config: 8 << 20,
} as const;

export const digestSchema = z.string().regex(/^sha256:[a-f0-9]{64}$/, "invalid sha256 digest");

export const platformSchema = z.object({
  architecture: z.string().max(64),
  os: z.string().max(64),
  variant: z.string().max(64).optional(),
  "os.version": z.string().max(256).optional(),
  "os.features": z.array(z.string().max(256)).max(64).optional(),
});
export type Platform = z.infer<typeof platformSchema>;

export const descriptorSchema = z.object({
  mediaType: z.string().min(1).max(256),
  digest: digestSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string().max(2048)).max(16).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: platformSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).max(1000),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema).max(1000),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Index = z.infer<typeof indexSchema>;

/** The part of an image config the engine reads; the rest is kept as-is. */
export const imageConfigSchema = z.looseObject({
  architecture: z.string().max(64).optional(),
  os: z.string().max(64).optional(),
  variant: z.string().max(64).optional(),
  rootfs: z.object({
    type: z.literal("layers"),
    diff_ids: z.array(digestSchema).max(1000),
  }),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;

export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

function decodeJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidArgument(`${what}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw invalidArgument(`${what}: not a JSON object`);
  }
  return v as Record<string, unknown>;
}

function check<T>(schema: z.ZodType<T>, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalidArgument(`${what}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return r.data;
}

export type Parsed =
  | { kind: "manifest"; mediaType: string; manifest: Manifest }
  | { kind: "index"; mediaType: string; index: Index };

/**
 * Parses a manifest or index. `mediaType` is what the registry or descriptor said; the
 * body's own mediaType must agree, and a body with both `layers` and `manifests` is refused.
 */
export function parseManifest(bytes: Uint8Array, mediaType: string, what: string): Parsed {
  const v = decodeJson(bytes, what);
  if ("layers" in v && "manifests" in v) {
    throw invalidArgument(`${what}: ambiguous manifest: has both "layers" and "manifests"`);
  }
  const own = typeof v.mediaType === "string" ? v.mediaType : undefined;
  let mt = mediaType;
  if (!isIndexType(mt) && !isManifestType(mt)) {
    // Registries answering a generic type: trust the body's own type, else its shape.
    mt = own ?? ("manifests" in v ? MediaType.ociIndex : MediaType.ociManifest);
  }
  if (own !== undefined && own !== mt) {
    throw invalidArgument(`${what}: media type ${mt} does not match the body's ${own}`);
  }
  if (isIndexType(mt)) {
    if ("layers" in v || "config" in v) {
      throw invalidArgument(`${what}: index ${mt} has "layers" or "config"`);
    }
    return { kind: "index", mediaType: mt, index: check(indexSchema, v, what) };
  }
  if (isManifestType(mt)) {
    if ("manifests" in v) throw invalidArgument(`${what}: manifest ${mt} has "manifests"`);
    return { kind: "manifest", mediaType: mt, manifest: check(manifestSchema, v, what) };
  }
  throw invalidArgument(`${what}: unsupported manifest media type ${mt}`);
}

export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  return check(imageConfigSchema, decodeJson(bytes, what), what);
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  return check(descriptorSchema, v, what);
}

/** The descriptors a manifest or index points to (config first, then layers). */
export function children(p: Parsed): Descriptor[] {
  return p.kind === "index" ? p.index.manifests : [p.manifest.config, ...p.manifest.layers];
}
