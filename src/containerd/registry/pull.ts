// `pull`: reference → manifest (through an index for the wanted platform) → config and
// layers, downloaded 3 at a time into the content store under a lease, then one transaction
// records the image and drops the lease. A kill at any point leaves only verified blobs,
// stale ingest files and an expiring lease, all reclaimed by GC; a re-pull resumes.

import { EngineError, errorMessage, invalidArgument, wrap } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import { parseNormalized, type Reference, referenceString } from "../../lib/reference.ts";
import {
  type Descriptor,
  type ImageConfig,
  Limits,
  type Manifest,
  parseImageConfig,
  parseManifest,
  type Platform,
} from "../content/oci.ts";
import type { ContentStore } from "../content/store.ts";
import type { Metadata } from "../metadata/store.ts";
import type { Repository } from "./client.ts";
import { fetchBlob, type FetchBlobOptions, type ProgressFn, shortId } from "./fetch.ts";
import { hostPlatform, selectManifest } from "./platform.ts";
import type { Registries } from "./registries.ts";

export interface PullOptions {
  content: ContentStore;
  meta: Metadata;
  registries: Registries;
  /** Default: this host's platform (linux/amd64 here). */
  platform?: Platform;
  /** Layers downloaded at the same time (default 3, as dockerd). */
  concurrency?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Lifetime of the pull's lease if the process dies mid-pull (default 1 h). */
  leaseTtlMs?: number;
  blob?: Pick<FetchBlobOptions, "attempts" | "backoffMs" | "progressEvery">;
  /**
   * Runs once every blob is fetched, still under the pull's lease, before the image is
   * recorded (the image service unpacks here): when it throws, no image is recorded.
   */
  beforeRecord?: (img: PulledImage) => Promise<void>;
}

export interface PulledImage {
  /** The image record's name: "docker.io/library/busybox:latest" (or "…@sha256:…"). */
  name: string;
  reference: Reference;
  /** What the record points at: the index when the tag names one, else the manifest. */
  target: Descriptor;
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  layers: Descriptor[];
}

export const SOURCE_LABEL_PREFIX = "containerd.io/distribution.source.";

/** Pulls `ref` ("busybox", "127.0.0.1:5000/x:1", "x@sha256:…") and records the image. */
export async function pull(ref: string | Reference, o: PullOptions): Promise<PulledImage> {
  const reference = typeof ref === "string" ? parseNormalized(ref) : ref;
  const name = referenceString(reference);
  try {
    return await pullInner(reference, name, o);
  } catch (err) {
    throw wrap(err, `pull ${name}`);
  }
}

/**
 * The top manifest, from the first source that has it: a mirror failing in any way (down,
 * no such image, denied) falls back to the next source, as dockerd's continueOnError.
 */
async function resolveTop(reference: Reference, o: PullOptions) {
  const sources = o.registries.pullSources(reference);
  const tagOrDigest = reference.digest ?? reference.tag!;
  for (const repo of sources.slice(0, -1)) {
    try {
      return { repo, top: await repo.manifest(tagOrDigest, o.signal) };
    } catch (err) {
      if (o.signal?.aborted) throw err;
      // dockerd logs the mirror's failure and goes on with the next endpoint.
      log(
        "info",
        `pull ${referenceString(reference)}: mirror ${repo.transport.base} failed, falling back`,
        {
          error: errorMessage(err),
        },
      );
    }
  }
  const repo = sources[sources.length - 1];
  return { repo, top: await repo.manifest(tagOrDigest, o.signal) };
}

async function pullInner(reference: Reference, name: string, o: PullOptions) {
  const { repo, top } = await resolveTop(reference, o);
  const lease = await o.meta.guard(() =>
    o.meta.leases.create({ ttlMs: o.leaseTtlMs ?? 3600_000, labels: { "engine.pull": name } })
  );
  const hold = (digest: string) =>
    o.meta.guard(() => o.meta.leases.addResource(lease.id, { kind: "content", key: digest }));
  let recorded = false;
  try {
    await hold(top.descriptor.digest);
    await o.content.write(top.descriptor, top.bytes);
    const blobs = [top.descriptor.digest];

    let manifestDescriptor = top.descriptor;
    let parsed = parseManifest(top.bytes, top.descriptor.mediaType, `manifest ${name}`);
    const target = { ...top.descriptor, mediaType: parsed.mediaType };
    if (parsed.kind === "index") {
      const child = selectManifest(parsed.index.manifests, o.platform ?? hostPlatform());
      await hold(child.digest);
      const bytes = await childManifest(repo, o.content, child, o.signal);
      manifestDescriptor = child;
      parsed = parseManifest(bytes, child.mediaType, `manifest ${child.digest} of ${name}`);
      blobs.push(child.digest);
    }
    if (parsed.kind !== "manifest") {
      throw invalidArgument(`manifest ${manifestDescriptor.digest}: an index inside an index`);
    }
    const manifest = parsed.manifest;

    const blobOpts = { ...o.blob, signal: o.signal };
    await hold(manifest.config.digest);
    await fetchBlob(repo, o.content, manifest.config, blobOpts);
    blobs.push(manifest.config.digest);
    const config = parseImageConfig(
      await o.content.readAll(manifest.config.digest, Limits.config),
      `image config ${manifest.config.digest}`,
    );
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw invalidArgument(
        `image config ${manifest.config.digest}: ${config.rootfs.diff_ids.length} diff_ids for ${manifest.layers.length} layers`,
      );
    }

    for (const l of manifest.layers) {
      await hold(l.digest);
      if (!(await o.content.has(l.digest))) {
        o.onProgress?.({ id: shortId(l.digest), digest: l.digest, status: "Pulling fs layer" });
      }
    }
    await mapLimit(manifest.layers, o.concurrency ?? 3, async (l) => {
      await fetchBlob(repo, o.content, l, { ...blobOpts, onProgress: o.onProgress });
    });
    blobs.push(...manifest.layers.map((l) => l.digest));

    const pulled: PulledImage = {
      name,
      reference,
      target,
      manifestDescriptor,
      manifest,
      configDescriptor: manifest.config,
      config,
      layers: manifest.layers,
    };
    await o.beforeRecord?.(pulled);
    const sourceKey = SOURCE_LABEL_PREFIX + reference.domain;
    await o.meta.guard(() => {
      o.meta.images.put(name, target);
      for (const d of blobs) {
        const have = (o.meta.labels.get(d)[sourceKey] ?? "").split(",").filter(Boolean);
        if (!have.includes(reference.path)) {
          o.meta.labels.set(d, sourceKey, [...have, reference.path].join(","));
        }
      }
      o.meta.leases.delete(lease.id);
    });
    recorded = true;
    return pulled;
  } finally {
    // On failure the lease goes too: fetched blobs stay until GC, and a re-pull reuses them.
    if (!recorded) await o.meta.guard(() => o.meta.leases.delete(lease.id)).catch(() => {});
  }
}

async function childManifest(
  repo: Repository,
  content: ContentStore,
  desc: Descriptor,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (await content.has(desc.digest)) return await content.readAll(desc.digest, Limits.manifest);
  const got = await repo.manifest(desc.digest, signal);
  if (got.descriptor.size !== desc.size) {
    throw new EngineError(
      "failed_precondition",
      `manifest ${desc.digest}: size ${got.descriptor.size} differs from the index's ${desc.size}`,
    );
  }
  await content.write({ digest: desc.digest, size: desc.size }, got.bytes);
  return got.bytes;
}

/** Runs `fn` over `items` with at most `n` at once; the first error wins after all settle. */
export async function mapLimit<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
        next = items.length; // stop starting new work
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (errors.length) throw errors[0];
}
