// `push`: an image in the content store (a manifest, or an index and its manifests) to a
// repository. Blobs the registry has are skipped (HEAD); blobs known to come from another
// repository of the same registry are mounted; the rest are uploaded in one PUT, or in
// PATCH chunks when larger than `chunkSize`. Manifests go last, children before the index.

import { EngineError, invalidArgument, wrap } from "../../lib/errors.ts";
import { parseNormalized, type Reference, referenceString } from "../../lib/reference.ts";
import { children, type Descriptor, Limits, parseManifest } from "../content/oci.ts";
import type { ContentStore } from "../content/store.ts";
import type { Metadata } from "../metadata/store.ts";
import type { Repository } from "./client.ts";
import { type ProgressFn, shortId } from "./fetch.ts";
import { mapLimit, SOURCE_LABEL_PREFIX } from "./pull.ts";
import type { Registries } from "./registries.ts";

export interface PushOptions {
  content: ContentStore;
  registries: Registries;
  /** The manifest or index to push (in the content store). */
  target: Descriptor;
  /** When given, distribution-source labels offer mounts, and are updated after the push. */
  meta?: Metadata;
  /** Repositories (same registry) to try mounting blobs from, besides the labels. */
  mountFrom?: string[];
  /** Blobs larger than this are uploaded in chunks of this size (default 16 MiB). */
  chunkSize?: number;
  concurrency?: number;
  onProgress?: (e: Omit<Parameters<ProgressFn>[0], "status"> & { status: PushStatus }) => void;
}

export type PushStatus =
  | "Preparing"
  | "Layer already exists"
  | "Mounted from"
  | "Pushing"
  | "Pushed";

export interface PushResult {
  name: string;
  digest: string;
  size: number;
  mounted: string[];
  uploaded: string[];
  skipped: string[];
}

export async function push(ref: string | Reference, o: PushOptions): Promise<PushResult> {
  const reference = typeof ref === "string" ? parseNormalized(ref) : ref;
  const name = referenceString(reference);
  try {
    return await pushInner(reference, name, o);
  } catch (err) {
    throw wrap(err, `push ${name}`);
  }
}

async function pushInner(reference: Reference, name: string, o: PushOptions) {
  const sourceKey = SOURCE_LABEL_PREFIX + reference.domain;
  const sources = (digest: string): string[] => {
    const fromLabels = (o.meta?.labels.get(digest)[sourceKey] ?? "").split(",");
    return [...new Set([...fromLabels, ...(o.mountFrom ?? [])])]
      .filter((p) => p && p !== reference.path);
  };

  // Collect manifests (children first) and blobs.
  const manifests: { desc: Descriptor; bytes: Uint8Array<ArrayBuffer> }[] = [];
  const blobs = new Map<string, Descriptor>();
  const visit = async (desc: Descriptor, depth: number) => {
    if (depth > 2) throw invalidArgument(`manifest ${desc.digest}: nested too deep`);
    const bytes = await o.content.readAll(desc.digest, Limits.manifest) as Uint8Array<ArrayBuffer>;
    const parsed = parseManifest(bytes, desc.mediaType, `manifest ${desc.digest}`);
    if (parsed.kind === "index") {
      for (const c of parsed.index.manifests) await visit(c, depth + 1);
    } else {
      for (const c of children(parsed)) blobs.set(c.digest, c);
    }
    manifests.push({ desc: { ...desc, mediaType: parsed.mediaType }, bytes });
  };
  await visit(o.target, 0);

  const mountRepos = [...new Set([...blobs.keys()].flatMap(sources))];
  const repo = o.registries.repository(reference, ["pull", "push"], mountRepos);
  const result: PushResult = {
    name,
    digest: o.target.digest,
    size: o.target.size,
    mounted: [],
    uploaded: [],
    skipped: [],
  };
  const emit = (d: Descriptor, status: PushStatus, extra: { current?: number } = {}) =>
    o.onProgress?.({ id: shortId(d.digest), digest: d.digest, status, total: d.size, ...extra });

  await mapLimit([...blobs.values()], o.concurrency ?? 3, async (desc) => {
    emit(desc, "Preparing");
    if ((await repo.blobSize(desc.digest)) !== undefined) {
      result.skipped.push(desc.digest);
      return emit(desc, "Layer already exists");
    }
    for (const from of sources(desc.digest)) {
      const r = await repo.startUpload({ digest: desc.digest, from });
      if (r.mounted) {
        result.mounted.push(desc.digest);
        return emit(desc, "Mounted from");
      }
      // Not mountable: the registry started an upload instead; use it.
      await upload(repo, o.content, desc, r.location, o.chunkSize, emit);
      result.uploaded.push(desc.digest);
      return;
    }
    const r = await repo.startUpload();
    if (r.mounted) throw new EngineError("internal", `upload ${desc.digest}: unexpected 201`);
    await upload(repo, o.content, desc, r.location, o.chunkSize, emit);
    result.uploaded.push(desc.digest);
  });

  for (const m of manifests) {
    const isTop = m.desc.digest === o.target.digest;
    const tagOrDigest = isTop ? reference.tag ?? m.desc.digest : m.desc.digest;
    await repo.putManifest(tagOrDigest, m.desc.mediaType, m.bytes);
  }

  if (o.meta) {
    const meta = o.meta;
    await meta.guard(() => {
      for (const d of [...blobs.keys(), ...manifests.map((m) => m.desc.digest)]) {
        const have = (meta.labels.get(d)[sourceKey] ?? "").split(",").filter(Boolean);
        if (!have.includes(reference.path)) {
          meta.labels.set(d, sourceKey, [...have, reference.path].join(","));
        }
      }
    });
  }
  return result;
}

async function upload(
  repo: Repository,
  content: ContentStore,
  desc: Descriptor,
  location: string,
  chunkSize = 16 << 20,
  emit: (d: Descriptor, s: PushStatus, e?: { current?: number }) => void,
): Promise<void> {
  using f = await content.open(desc.digest);
  const { size } = await f.stat();
  if (size !== desc.size) {
    throw invalidArgument(`blob ${desc.digest}: stored size ${size} differs from ${desc.size}`);
  }
  const readChunk = async (n: number) => {
    const buf = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const r = await f.read(buf.subarray(off));
      if (r === null) throw new EngineError("internal", `blob ${desc.digest}: short read`);
      off += r;
    }
    return buf;
  };
  if (size <= chunkSize) {
    emit(desc, "Pushing", { current: 0 });
    await repo.completeUpload(location, desc.digest, await readChunk(size));
  } else {
    let offset = 0;
    while (offset < size) {
      const n = Math.min(chunkSize, size - offset);
      emit(desc, "Pushing", { current: offset });
      location = await repo.uploadChunk(location, await readChunk(n), offset);
      offset += n;
    }
    await repo.completeUpload(location, desc.digest);
  }
  emit(desc, "Pushed");
}
