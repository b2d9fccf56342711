// The image service's API types (`engine containerd` ↔ its clients), validated with zod on
// both sides: requests by the routes, responses (lightly) by the client.
//
//   POST   /v1/images/pull                  PullRequest → NDJSON ProgressLine…, then a final line
//   POST   /v1/images/push                  PushRequest → NDJSON ProgressLine…, then a final line
//   GET    /v1/images                       → ImageSummary[]
//   GET    /v1/images/{name}                → ImageDetail   (name URL-encoded: it holds "/")
//   POST   /v1/images/{name}/tag            TagRequest → ImageSummary
//   DELETE /v1/images/{name}                → DeleteResult
//   GET    /v1/images/export?name=a&name=b  → tar (docker save format + OCI layout)
//   POST   /v1/images/import                tar body → ImportResult
//   POST   /v1/images/import?progress=1     tar body → NDJSON ProgressLine…, then a final line
//   POST   /v1/images/import-rootfs?ref=r&message=m   rootfs tar body → ImportResult
//   POST   /v1/images/commit                CommitRequest → ImportResult (a container's changes)

import { z } from "zod";
import { descriptorSchema, digestSchema } from "../content/oci.ts";

/** Name prefix of image records that have no name of their own (unnamed imports). */
export const DANGLING_PREFIX = "engine-dangling@";

const REF_MAX = 1024;

export const authSchema = z.union([
  z.object({ username: z.string().max(4096), password: z.string().max(4096) }).strict(),
  z.object({ identitytoken: z.string().min(1).max(8192) }).strict(),
]);
export type Auth = z.infer<typeof authSchema>;

/** The daemon's registry configuration at the time of a request (it may be reloaded). */
export const registryConfigSchema = z.object({
  /** Mirrors of docker.io, tried in order. */
  mirrors: z.array(z.string().min(1).max(2048)).max(64).optional(),
  /** Insecure registries: host, host:port or CIDR. */
  insecure: z.array(z.string().min(1).max(1024)).max(256).optional(),
});
export type RegistryConfig = z.infer<typeof registryConfigSchema>;

export const pullRequestSchema = z.object({
  ref: z.string().min(1).max(REF_MAX),
  /** "linux/amd64", "linux/arm64/v8"; default: this host's. */
  platform: z.string().max(256).optional(),
  auth: authSchema.optional(),
  registry: registryConfigSchema.optional(),
  /** Layers transferred at once (dockerd's max-concurrent-downloads / -uploads). */
  concurrency: z.number().int().min(1).max(1024).optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const pushRequestSchema = z.object({
  /** A local image name, also the destination ("127.0.0.1:5000/x:1"). */
  ref: z.string().min(1).max(REF_MAX),
  auth: authSchema.optional(),
  registry: registryConfigSchema.optional(),
  /** Layers transferred at once (dockerd's max-concurrent-downloads / -uploads). */
  concurrency: z.number().int().min(1).max(1024).optional(),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

export const commitRequestSchema = z.object({
  /** containerd's container id. */
  container: z.string().min(1).max(256),
  ref: z.string().min(1).max(REF_MAX).optional(),
  /** The new image's container config (Docker's Config keys). */
  config: z.record(z.string(), z.unknown()).optional(),
  comment: z.string().max(4096).optional(),
  author: z.string().max(4096).optional(),
  /** The history entry's created_by (Docker: the committing container's Cmd joined). */
  createdBy: z.string().max(1 << 20).optional(),
  /** Kept as the image config's container_config (the classic builder's cache compares it). */
  containerConfig: z.record(z.string(), z.unknown()).optional(),
});
export type CommitRequest = z.infer<typeof commitRequestSchema>;

export const tagRequestSchema = z.object({
  /** The new name ("x:2", normalized by the service). */
  target: z.string().min(1).max(REF_MAX),
});
export type TagRequest = z.infer<typeof tagRequestSchema>;

/** One per-layer progress line, with Docker's statuses. */
export const progressLineSchema = z.object({
  /** Docker's short id: the first 12 hex digits of the blob digest. */
  id: z.string().max(128),
  status: z.string().max(256),
  current: z.number().optional(),
  total: z.number().optional(),
});
export type ProgressLine = z.infer<typeof progressLineSchema>;

export const pullDoneSchema = z.object({
  status: z.literal("done"),
  /** The record's name: "docker.io/library/busybox:latest". */
  name: z.string(),
  /** The record's target: the manifest (or index) digest. */
  digest: digestSchema,
  /** The image id: its config digest. */
  id: digestSchema,
  /** False when the image was already up to date. */
  updated: z.boolean(),
});
export type PullDone = z.infer<typeof pullDoneSchema>;

export const pushDoneSchema = z.object({
  status: z.literal("done"),
  name: z.string(),
  /** The pushed manifest's digest and size (Docker prints "tag: digest: … size: …"). */
  digest: digestSchema,
  size: z.number(),
});
export type PushDone = z.infer<typeof pushDoneSchema>;

/** The last line of a failed stream. */
export const streamErrorSchema = z.object({
  error: z.string(),
  kind: z.string().optional(),
});

const platformOut = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

export const imageSummarySchema = z.object({
  name: z.string(),
  target: descriptorSchema.pick({ mediaType: true, digest: true, size: true }),
  /** The image id (config digest). */
  id: digestSchema,
  /** The platform manifest (the target itself unless it is an index). */
  manifestDigest: digestSchema,
  /** Bytes of content (manifest, config, compressed layers). */
  size: z.number(),
  /** Bytes on disk of the unpacked layers, when every layer is unpacked. */
  unpackedSize: z.number().optional(),
  /** The image config's creation time. */
  created: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  /** When the record was created/updated here. */
  createdAt: z.string(),
  updatedAt: z.string(),
  platform: platformOut,
});
export type ImageSummary = z.infer<typeof imageSummarySchema>;

/** The image config as the daemon uses it (the rest of the config is kept as-is). */
export const containerConfigSchema = z.looseObject({
  User: z.string().optional(),
  Env: z.array(z.string()).nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  WorkingDir: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
  StopSignal: z.string().optional(),
  Healthcheck: z.looseObject({}).nullish(),
});

export const imageConfigOutSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  created: z.string().optional(),
  config: containerConfigSchema.optional(),
  history: z.array(z.looseObject({})).optional(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(digestSchema) }),
});

export const imageDetailSchema = imageSummarySchema.extend({
  manifest: descriptorSchema,
  configDescriptor: descriptorSchema,
  /** The whole image config (Env, Entrypoint, Cmd, … under `config`; history; rootfs). */
  config: imageConfigOutSchema,
  layers: z.array(descriptorSchema),
  diffIDs: z.array(digestSchema),
  /** Chain id of every layer prefix; the last one names the top snapshot. */
  chainIDs: z.array(digestSchema),
  /** Bytes on disk of each layer's snapshot (by chain id order), when all are unpacked. */
  layerSizes: z.array(z.number()).optional(),
  /** The committed snapshot holding the whole rootfs ("" for an image without layers). */
  chainID: z.string(),
  /** True when every layer's snapshot exists. */
  unpacked: z.boolean(),
});
export type ImageDetail = z.infer<typeof imageDetailSchema>;

export const deleteResultSchema = z.object({
  /** The record removed. */
  untagged: z.string(),
  /** Blobs removed by the GC that followed (empty while other names use them). */
  deletedContent: z.array(z.string()),
  /** Snapshots (chain ids) removed because no image needs them any more. */
  deletedSnapshots: z.array(z.string()),
});
export type DeleteResult = z.infer<typeof deleteResultSchema>;

export const importedImageSchema = z.object({
  /** The record's name (DANGLING_PREFIX… when the archive named none). */
  name: z.string(),
  /** True when the archive gave the image a name. */
  named: z.boolean(),
  id: digestSchema,
  digest: digestSchema,
});
export type ImportedImage = z.infer<typeof importedImageSchema>;

export const importResultSchema = z.object({ images: z.array(importedImageSchema) });
export type ImportResult = z.infer<typeof importResultSchema>;

/** The last line of an import streamed with ?progress=1 (before it: "Loading layer" lines). */
export const importDoneSchema = importResultSchema.extend({ status: z.literal("done") });
