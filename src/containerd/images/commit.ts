// The last step of every import: blobs written into the content store under a lease
// (bytes in memory hashed again; spooled files, hashed as they were spooled, moved in),
// every image unpacked into snapshots, then all records written in one transaction. A
// failure anywhere leaves nothing: the lease goes, GC removes the blobs nothing else
// references, and the new snapshots are collected.

import { wrap } from "../../lib/errors.ts";
import { DANGLING_PREFIX, type ImportedImage, type ProgressLine } from "../api/images.ts";
import type { Descriptor } from "../content/oci.ts";
import type { Services } from "../services.ts";
import { chainIDs } from "../snapshots/mod.ts";
import { collectSnapshots } from "./remove.ts";
import { shortId } from "../registry/mod.ts";
import { type BusyChains, type LayerProgress, unpackImage } from "./unpack.ts";

export interface BlobSource {
  digest: string;
  size: number;
  /**
   * In memory (manifests, configs) or a private temp file hashed as it was written to
   * `digest` (the spool), which the content store takes over by renaming it.
   */
  data: Uint8Array | { file: string };
}

export interface PreparedImage {
  /** Normalized names; none: recorded under DANGLING_PREFIX + manifest digest. */
  names: string[];
  /** The record's target. */
  target: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIDs: string[];
  blobs: BlobSource[];
}

export async function commitImages(
  s: Services,
  busy: BusyChains,
  images: PreparedImage[],
  topic: string,
  emit?: (e: ProgressLine) => void,
): Promise<ImportedImage[]> {
  const lease = await s.meta.guard(() =>
    s.meta.leases.create({ ttlMs: 3600_000, labels: { "engine.import": topic } })
  );
  let wrote = false;
  let done = false;
  // Held until the records exist, so a concurrent snapshot GC leaves these chains alone.
  using _held = busy.hold(images.flatMap((i) => chainIDs(i.diffIDs)));
  try {
    for (const img of images) {
      for (const b of img.blobs) {
        await s.meta.guard(() =>
          s.meta.leases.addResource(lease.id, { kind: "content", key: b.digest })
        );
        if (await s.content.has(b.digest)) continue;
        wrote = true;
        const want = { digest: b.digest, size: b.size };
        if (b.data instanceof Uint8Array) await s.content.write(want, b.data);
        else await s.content.adopt(b.data.file, want);
      }
    }
    for (const img of images) {
      // Docker names a loading layer by its diff id (the unpacker, by its blob digest).
      const ids = new Map(img.layers.map((l, i) => [shortId(l.digest), shortId(img.diffIDs[i])]));
      const onProgress = emit &&
        ((e: LayerProgress) => {
          if (e.status !== "Extracting") return;
          const id = ids.get(e.id) ?? e.id;
          emit({ id, status: "Loading layer", current: e.current, total: e.total });
        });
      await unpackImage(s.content, s.snapshots, busy, img.layers, img.diffIDs, { onProgress })
        .catch((err) => {
          throw wrap(err, `image ${img.names[0] ?? img.target.digest}`);
        });
    }
    const out = await s.meta.guard(() => {
      const loaded: ImportedImage[] = [];
      for (const img of images) {
        const base = { id: img.config.digest, digest: img.target.digest };
        for (const name of img.names) {
          s.meta.images.put(name, img.target);
          loaded.push({ name, named: true, ...base });
        }
        if (img.names.length) continue;
        const existing = s.meta.images.byDigest(img.target.digest)[0];
        const name = existing?.name ?? DANGLING_PREFIX + img.target.digest;
        if (!existing) s.meta.images.put(name, img.target);
        loaded.push({ name, named: !name.startsWith(DANGLING_PREFIX), ...base });
      }
      s.meta.leases.delete(lease.id);
      return loaded;
    });
    done = true;
    for (const l of out) s.events.publish(topic, l.name, { digest: l.digest, id: l.id });
    return out;
  } finally {
    if (!done) {
      await s.meta.guard(() => s.meta.leases.delete(lease.id)).catch(() => {});
      if (wrote) await s.meta.gc().catch(() => {});
      await collectSnapshots(s, busy).catch(() => {});
    }
  }
}
