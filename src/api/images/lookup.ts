// Docker's image lookup over containerd's records: one image per config digest (its ID),
// carrying tag records (RepoTags), digest records (RepoDigests) and maybe a dangling record.
// A user's string is a full ID, a reference (":latest" implied), or a unique ID prefix.

import { notFound } from "../../lib/errors.ts";
import {
  familiarString,
  parseNormalized,
  parseNormalizedNamed,
  type Reference,
  referenceString,
} from "../../lib/reference.ts";
import { DANGLING_PREFIX, type ImageSummary } from "../../containerd/api/images.ts";
import type { ContainerdClient } from "../../containerd/client/mod.ts";

export interface ImageEntry {
  /** "sha256:…" (the config digest). */
  id: string;
  /** Every containerd record of this image. */
  records: ImageSummary[];
  /** Tag records, parsed (in record order). */
  tags: Reference[];
  /** Digest records ("repo@sha256:…"), parsed. */
  digests: Reference[];
}

export const isDangling = (name: string) => name.startsWith(DANGLING_PREFIX);

/** Parses a record name; null for a dangling record or a name containerd alone uses. */
export function recordRef(name: string): Reference | null {
  if (isDangling(name)) return null;
  try {
    return parseNormalized(name);
  } catch {
    return null;
  }
}

export function groupImages(records: ImageSummary[]): Map<string, ImageEntry> {
  const byId = new Map<string, ImageEntry>();
  for (const r of records) {
    let e = byId.get(r.id);
    if (!e) byId.set(r.id, e = { id: r.id, records: [], tags: [], digests: [] });
    e.records.push(r);
    const ref = recordRef(r.name);
    if (!ref) continue;
    if (ref.digest) e.digests.push(ref);
    else if (ref.tag) e.tags.push(ref);
  }
  return byId;
}

export async function allImages(c: ContainerdClient): Promise<Map<string, ImageEntry>> {
  return groupImages(await c.images.list());
}

/** The record name to hand containerd for an entry (a tag first). */
export function primaryName(e: ImageEntry): string {
  return e.records.find((r) => !isDangling(r.name) && !r.name.includes("@"))?.name ??
    e.records[0].name;
}

const FULL_ID = /^sha256:[0-9a-f]{64}$/;
const ID_PREFIX = /^(?:sha256:)?[0-9a-f]{1,64}$/;

/** "busybox" → "busybox:latest" (the form Docker's "No such image" names). */
export function withDefaultTag(raw: string): string {
  try {
    const ref = parseNormalizedNamed(raw);
    return familiarString(ref.tag || ref.digest ? ref : { ...ref, tag: "latest" });
  } catch {
    return raw;
  }
}

export interface Found {
  entry: ImageEntry;
  /** The record the user named, when a reference (not an ID) was given. */
  ref?: Reference;
}

/** Docker's GetImage: full ID, then reference, then unique ID prefix. */
export function findIn(images: Map<string, ImageEntry>, raw: string): Found | undefined {
  if (FULL_ID.test(raw)) {
    const entry = images.get(raw);
    return entry && { entry };
  }
  let ref: Reference | undefined;
  try {
    ref = parseNormalizedNamed(raw);
  } catch { /* not a reference: maybe an ID prefix */ }
  if (ref) {
    const want = ref.tag || ref.digest ? ref : { ...ref, tag: "latest" };
    const name = referenceString(want);
    for (const entry of images.values()) {
      if (entry.records.some((r) => r.name === name)) return { entry, ref: want };
    }
    if (want.digest) {
      // A digest the image was pulled by, though recorded under a tag.
      for (const entry of images.values()) {
        const hit = entry.records.some((r) =>
          (r.target.digest === want.digest || r.manifestDigest === want.digest) &&
          recordRef(r.name)?.path === want.path && recordRef(r.name)?.domain === want.domain
        );
        if (hit) return { entry, ref: want };
      }
    }
  }
  if (ID_PREFIX.test(raw)) {
    const hex = raw.replace(/^sha256:/, "");
    const hits = [...images.values()].filter((e) => e.id.slice(7).startsWith(hex));
    if (hits.length === 1) return { entry: hits[0] };
  }
  return undefined;
}

/** Like findIn, failing with Docker's "No such image: busybox:latest". */
export async function findImage(c: ContainerdClient, raw: string): Promise<Found> {
  const found = findIn(await allImages(c), raw);
  if (!found) throw notFound(`No such image: ${withDefaultTag(raw)}`);
  return found;
}

/** RepoTags as Docker prints them ("busybox:latest", "127.0.0.1:5000/bb:1"). */
export const repoTags = (e: ImageEntry) => e.tags.map(familiarString);
export const repoDigests = (e: ImageEntry) => e.digests.map(familiarString);

/** Unix seconds of an RFC 3339 time (0 when absent). */
export function unixSeconds(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

/** The image's size as Docker reports it: its unpacked layers (else its content). */
export function imageSize(r: ImageSummary): number {
  return r.unpackedSize ?? r.size;
}
