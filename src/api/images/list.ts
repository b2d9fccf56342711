// GET /images/json (filters dangling, label, reference, before, since, until) and the image
// half of GET /system/df (Containers and SharedSize filled in).

import { invalidArgument } from "../../lib/errors.ts";
import { familiarName, familiarString, type Reference } from "../../lib/reference.ts";
import type { ImageDetail } from "../../containerd/api/images.ts";
import type { Daemon } from "../daemon.ts";
import { buildCacheOf } from "../build/cache.ts";
import { boolQuery } from "../http/validate.ts";
import { type Filters, matchLabels, parseFilters } from "../http/filters.ts";
import { versionBelow } from "../http/api_version.ts";
import {
  allImages,
  findIn,
  type ImageEntry,
  imageSize,
  primaryName,
  repoDigests,
  unixSeconds,
} from "./lookup.ts";

export const IMAGE_FILTERS = ["dangling", "label", "reference", "before", "since", "until"];

export interface ImageListItem {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[] | null;
  RepoTags: string[] | null;
  SharedSize: number;
  Size: number;
  VirtualSize?: number;
}

interface Listed {
  entry: ImageEntry;
  detail: ImageDetail;
}

/** Every image with its details (config labels, layers), bounded parallelism. */
export async function listDetailed(d: Daemon): Promise<Listed[]> {
  const entries = [...(await allImages(d.containerd)).values()];
  const out: Listed[] = [];
  for (let i = 0; i < entries.length; i += 8) {
    const batch = await Promise.all(
      entries.slice(i, i + 8).map(async (entry) => {
        try {
          return { entry, detail: await d.containerd.images.get(primaryName(entry)) };
        } catch {
          return null; // removed meanwhile
        }
      }),
    );
    for (const b of batch) if (b) out.push(b);
  }
  return out;
}

/** path.Match of Go: `*` and `?` do not cross "/", `[…]` classes. */
export function globMatch(pattern: string, s: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) return false;
      re += "[" + pattern.slice(i + 1, end).replace(/^\^/, "^").replace(/\\/g, "\\\\") + "]";
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) re += "\\" + pattern[++i];
    else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  try {
    return new RegExp(re + "$").test(s);
  } catch {
    return false;
  }
}

/** reference.FamiliarMatch: the pattern against the familiar name or the familiar string. */
function referenceMatch(pattern: string, ref: Reference): boolean {
  return globMatch(pattern, familiarName(ref)) || globMatch(pattern, familiarString(ref));
}

function createdOf(l: Listed): number {
  return unixSeconds(l.detail.config.created ?? l.detail.created);
}

function imageTime(d: Map<string, ImageEntry>, all: Listed[], raw: string, key: string): number {
  const hit = findIn(d, raw);
  if (!hit) throw invalidArgument(`No such image: ${raw}`);
  const l = all.find((x) => x.entry.id === hit.entry.id);
  if (!l) throw invalidArgument(`${key}: No such image: ${raw}`);
  return createdOf(l);
}

function untilTime(raw: string): number {
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const m = /^(\d+)(s|m|h)$/.exec(raw);
  if (m) return Date.now() / 1000 - Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s"];
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) throw invalidArgument(`invalid until filter: ${raw}`);
  return t / 1000;
}

export async function listImages(
  d: Daemon,
  q: URLSearchParams,
  version: string,
): Promise<ImageListItem[]> {
  const filters: Filters = parseFilters(q.get("filters"), IMAGE_FILTERS);
  const all = await listDetailed(d);
  const index = new Map(all.map((l) => [l.entry.id, l.entry]));
  const dangling = filters.get("dangling");
  if (dangling?.some((v) => !["true", "false", "1", "0"].includes(v))) {
    throw invalidArgument(`Invalid filter 'dangling=${dangling[0]}'`);
  }
  const wantDangling = dangling?.length ? ["true", "1"].includes(dangling[0]) : undefined;
  const before = filters.get("before")?.map((r) => imageTime(index, all, r, "before"));
  const since = filters.get("since")?.map((r) => imageTime(index, all, r, "since"));
  const until = filters.get("until")?.map(untilTime);
  const refs = filters.get("reference");
  const legacy = versionBelow(version, "1.43");
  // Docker hides untagged images that are parents (a build's intermediate images) unless
  // all=1; dangling=true lists only images without children.
  const parents = await buildCacheOf(d).parents();
  const hasChildren = parentIds(parents, index);
  const showAll = boolQuery(q, "all");

  const out: ImageListItem[] = [];
  for (const l of all) {
    const { entry, detail } = l;
    const isDangling = entry.tags.length === 0 && entry.digests.length === 0;
    if (wantDangling !== undefined && wantDangling !== (entry.tags.length === 0)) continue;
    if (isDangling && hasChildren.has(entry.id) && (!showAll || wantDangling)) continue;
    const labels = detail.config.config?.Labels ?? null;
    if (!matchLabels(filters.get("label"), labels ?? {})) continue;
    const created = createdOf(l);
    if (before?.some((t) => created >= t)) continue;
    if (since?.some((t) => created <= t)) continue;
    if (until?.some((t) => created > t)) continue;
    let tags = entry.tags;
    let digests = entry.digests;
    if (refs?.length) {
      tags = tags.filter((t) => refs.some((p) => referenceMatch(p, t)));
      digests = digests.filter((t) => refs.some((p) => referenceMatch(p, t)));
      if (!tags.length && !digests.length) continue;
    }
    const size = imageSize(detail);
    const item: ImageListItem = {
      Containers: -1,
      Created: created,
      Id: entry.id,
      Labels: labels,
      ParentId: parents.get(entry.id) ?? "",
      RepoDigests: digests.length ? repoDigests({ ...entry, digests }) : legacy ? null : [],
      RepoTags: tags.length ? tags.map(familiarString) : legacy ? null : [],
      SharedSize: -1,
      Size: size,
    };
    if (isDangling && legacy) {
      item.RepoTags = ["<none>:<none>"];
      item.RepoDigests = ["<none>@<none>"];
    }
    if (versionBelow(version, "1.44")) item.VirtualSize = size;
    out.push(item);
  }
  return out.sort((a, b) => b.Created - a.Created);
}

/** The images that are the parent of an existing image (a build's). */
function parentIds(parents: Map<string, string>, images: Map<string, unknown>): Set<string> {
  return new Set([...parents].filter(([c]) => images.has(c)).map(([, p]) => p));
}

/** The Images part of /system/df: real container counts, SharedSize, and LayersSize. */
export async function imageDiskUsage(
  d: Daemon,
  version = "1.47",
): Promise<{ LayersSize: number; Images: ImageListItem[] }> {
  const all = await listDetailed(d);
  const users = new Map<string, number>();
  for (const c of d.store.all()) users.set(c.rec.Image, (users.get(c.rec.Image) ?? 0) + 1);
  // As `docker images` without -a: not the untagged parents (a build's intermediates).
  const withChildren = parentIds(
    await buildCacheOf(d).parents(),
    new Map(all.map((l) => [l.entry.id, l])),
  );
  const shown = all.filter((l) =>
    l.entry.tags.length || l.entry.digests.length || !withChildren.has(l.entry.id)
  );
  // A layer (chain id) counted by how many shown images hold it; its size is split nowhere:
  // SharedSize is the bytes of this image's layers that another image also holds.
  const holders = new Map<string, number>();
  for (const l of shown) {
    for (const c of l.detail.chainIDs) holders.set(c, (holders.get(c) ?? 0) + 1);
  }
  const layerSizes = new Map<string, number>();
  let layersSize = 0;
  const images: ImageListItem[] = [];
  for (const l of shown) {
    const size = imageSize(l.detail);
    const per = layerSizesOf(l.detail);
    let shared = 0;
    l.detail.chainIDs.forEach((c, i) => {
      if ((holders.get(c) ?? 0) > 1) shared += per[i];
      if (!layerSizes.has(c)) {
        layerSizes.set(c, per[i]);
        layersSize += per[i];
      }
    });
    const tags = l.entry.tags.map(familiarString);
    const item: ImageListItem = {
      Containers: users.get(l.entry.id) ?? 0,
      Created: createdOf(l),
      Id: l.entry.id,
      Labels: l.detail.config.config?.Labels ?? null,
      ParentId: "",
      RepoDigests: l.entry.digests.length ? repoDigests(l.entry) : [],
      RepoTags: tags.length ? tags : [],
      SharedSize: shared,
      Size: size,
    };
    if (versionBelow(version, "1.44")) item.VirtualSize = size;
    images.push(item);
  }
  return { LayersSize: layersSize, Images: images };
}

/**
 * Each layer's size (history, df): its snapshot's usage (the bytes of its files, dockerd's
 * diff size), or when the snapshots are not all there (no usage to measure), its part of the
 * image size in proportion to the compressed sizes.
 */
export function layerSizesOf(detail: ImageDetail): number[] {
  return detail.layerSizes ?? layerShare(detail, imageSize(detail));
}

function layerShare(detail: ImageDetail, size: number): number[] {
  const total = detail.layers.reduce((n, l) => n + l.size, 0);
  if (!total) return detail.layers.map(() => 0);
  let left = size;
  return detail.layers.map((l, i) => {
    const part = i === detail.layers.length - 1 ? left : Math.round((size * l.size) / total);
    left -= part;
    return part;
  });
}
