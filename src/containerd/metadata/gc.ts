// Mark-and-sweep garbage collection of content. Roots: every image's target and every
// content resource of an unexpired lease. Marking walks manifests and indexes through the
// content store (children that were never fetched, e.g. other platforms, are skipped).
// Sweeping deletes every committed blob not marked, and stale ingest files.

import { errorMessage, wrap } from "../../lib/errors.ts";
import { children, isIndexType, isManifestType, Limits, parseManifest } from "../content/oci.ts";
import type { ContentStore } from "../content/store.ts";
import type { MetaDB } from "./db.ts";
import type { ContentLabels, LeaseStore } from "./leases.ts";

export interface GCOptions {
  /** Ingest files untouched for this long are removed (a killed writer's leftovers). */
  ingestMaxAgeMs?: number;
  /** Only report what would be deleted. */
  dryRun?: boolean;
}

export interface GCResult {
  marked: number;
  deleted: string[];
  expiredLeases: string[];
  ingestRemoved: number;
  /** Manifests that could not be parsed (kept, but their children were not marked). */
  warnings: string[];
}

interface Root {
  digest: string;
  mediaType?: string;
}

export async function markReachable(
  content: ContentStore,
  roots: Root[],
  warnings: string[],
): Promise<Set<string>> {
  const marked = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const { digest, mediaType } = queue.pop()!;
    if (marked.has(digest)) continue;
    marked.add(digest);
    if (!mediaType || !(isIndexType(mediaType) || isManifestType(mediaType))) continue;
    if (!(await content.has(digest))) continue;
    try {
      const bytes = await content.readAll(digest, Limits.manifest);
      for (const c of children(parseManifest(bytes, mediaType, `manifest ${digest}`))) {
        queue.push({ digest: c.digest, mediaType: c.mediaType });
      }
    } catch (err) {
      warnings.push(`gc: walk ${digest}: ${errorMessage(err)}`);
    }
  }
  return marked;
}

export async function collectGarbage(
  m: MetaDB,
  content: ContentStore,
  leases: LeaseStore,
  labels: ContentLabels,
  opts: GCOptions = {},
): Promise<GCResult> {
  const warnings: string[] = [];
  const expiredLeases = opts.dryRun ? [] : m.tx(() => leases.expire());
  const images = m.db.prepare("SELECT digest, media_type FROM images").all() as unknown as {
    digest: string;
    media_type: string;
  }[];
  const roots: Root[] = images.map((r) => ({ digest: r.digest, mediaType: r.media_type }));
  // A lease holds each blob it needs by digest (a pull adds every blob it fetches).
  for (const key of leases.heldKeys("content")) roots.push({ digest: key });
  const marked = await markReachable(content, roots, warnings);

  const deleted: string[] = [];
  for await (const blob of content.walk()) {
    if (marked.has(blob.digest) || content.inflight(blob.digest)) continue;
    deleted.push(blob.digest);
    if (opts.dryRun) continue;
    try {
      await content.delete(blob.digest);
      labels.deleteAll(blob.digest);
    } catch (err) {
      warnings.push(wrap(err, `gc: delete ${blob.digest}`).message);
    }
  }
  const ingestRemoved = opts.dryRun
    ? 0
    : await content.cleanIngest(opts.ingestMaxAgeMs ?? 24 * 3600_000);
  return { marked: marked.size, deleted, expiredLeases, ingestRemoved, warnings };
}
