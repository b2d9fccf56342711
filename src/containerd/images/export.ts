// Export: images as one tar that is both a `docker save` archive (manifest.json and
// repositories, read by Docker 20.10's loader) and an OCI image layout (oci-layout,
// index.json, blobs/sha256/…, read by Docker 25+ and OCI tools). Blobs are written once,
// as stored (layers compressed: both loaders decompress them). An index target exports
// the platform manifest only (other platforms were never pulled).

import { familiarString, parseNormalized } from "../../lib/reference.ts";
import { type TarInput, tarStream, TypeFlag } from "../archive/mod.ts";
import { type Descriptor, MediaType } from "../content/oci.ts";
import { type ResolvedImage, resolveImage } from "../metadata/resolve.ts";
import type { Services } from "../services.ts";
import { DANGLING_PREFIX } from "../api/images.ts";
import { findImage } from "./names.ts";

type Entry = [TarInput, (Uint8Array | AsyncIterable<Uint8Array>)?];

const enc = new TextEncoder();
const hex = (digest: string) => digest.slice("sha256:".length);
const blobPath = (digest: string) => `blobs/sha256/${hex(digest)}`;

/** Resolves every name first (errors before any byte is sent), then streams the tar. */
export async function exportImages(
  s: Services,
  names: string[],
): Promise<ReadableStream<Uint8Array>> {
  const images: ResolvedImage[] = [];
  for (const n of names) images.push(await resolveImage(s.content, findImage(s, n)));
  return tarStream(entries(s, images));
}

async function* entries(s: Services, images: ResolvedImage[]): AsyncGenerator<Entry> {
  const now = Math.floor(Date.now() / 1000);
  const dir = (name: string): Entry => [{ name, type: TypeFlag.dir, mode: 0o755, mtime: now }];
  const json = (name: string, v: unknown): Entry => {
    const body = enc.encode(JSON.stringify(v));
    return [{ name, type: TypeFlag.file, mode: 0o644, size: body.length, mtime: now }, body];
  };

  yield dir("blobs/");
  yield dir("blobs/sha256/");
  const seen = new Set<string>();
  for (const r of images) {
    const blobs: Descriptor[] = [r.manifestDescriptor, r.configDescriptor, ...r.layers];
    for (const d of blobs) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      yield [
        { name: blobPath(d.digest), type: TypeFlag.file, mode: 0o644, size: d.size, mtime: now },
        blob(s, d.digest),
      ];
    }
  }

  yield json("oci-layout", { imageLayoutVersion: "1.0.0" });
  yield json("index.json", {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: images.map((r) => ({
      mediaType: r.manifestDescriptor.mediaType,
      digest: r.manifestDescriptor.digest,
      size: r.manifestDescriptor.size,
      ...(named(r) ? { annotations: nameAnnotations(r.image.name) } : {}),
    })),
  });

  // manifest.json: one entry per distinct manifest, with every requested name as RepoTags.
  const byManifest = new Map<string, { r: ResolvedImage; tags: string[] }>();
  const repositories: Record<string, Record<string, string>> = {};
  for (const r of images) {
    const e = byManifest.get(r.manifestDescriptor.digest) ??
      { r, tags: [] as string[] };
    byManifest.set(r.manifestDescriptor.digest, e);
    const tag = named(r) ? tagged(r.image.name) : undefined;
    if (tag && !e.tags.includes(tag.familiar)) {
      e.tags.push(tag.familiar);
      (repositories[tag.repo] ??= {})[tag.tag] = hex(r.layers.at(-1)?.digest ?? "");
    }
  }
  yield json(
    "manifest.json",
    [...byManifest.values()].map(({ r, tags }) => ({
      Config: blobPath(r.configDescriptor.digest),
      RepoTags: tags.length ? tags : null,
      Layers: r.layers.map((l) => blobPath(l.digest)),
    })),
  );
  yield json("repositories", repositories);
}

/** A blob's bytes, opened only when the tar writer gets to them (closed if it stops). */
async function* blob(s: Services, digest: string): AsyncGenerator<Uint8Array> {
  const f = await s.content.open(digest);
  yield* f.readable;
}

const named = (r: ResolvedImage) => !r.image.name.startsWith(DANGLING_PREFIX);

function nameAnnotations(name: string): Record<string, string> {
  const ref = parseNormalized(name);
  return {
    "io.containerd.image.name": name,
    ...(ref.tag ? { "org.opencontainers.image.ref.name": ref.tag } : {}),
  };
}

/** "busybox:latest" split for manifest.json and repositories; undefined for digest refs. */
function tagged(name: string) {
  const ref = parseNormalized(name);
  if (!ref.tag || ref.digest) return undefined;
  const familiar = familiarString({ domain: ref.domain, path: ref.path, tag: ref.tag });
  return { familiar, repo: familiar.slice(0, familiar.lastIndexOf(":")), tag: ref.tag };
}
