// `images` rows: docker's imageContext over GET /images/json entries (one row per tag).

import { familiarName, parseNormalizedNamed } from "../../lib/reference.ts";
import { humanDuration, humanSize } from "../units.ts";
import { goTimeString, RowContext, truncateId } from "./formatter.ts";

export const DEFAULT_IMAGES_TABLE =
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
export const DEFAULT_IMAGES_DIGESTS_TABLE =
  "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
export const IMAGES_QUIET = "{{.ID}}";

export interface ApiImage {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

const HEADERS: Record<string, string> = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  Containers: "CONTAINERS",
  VirtualSize: "SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
};

export class ImageContext extends RowContext {
  readonly typeName = "*formatter.imageContext";
  constructor(
    readonly i: ApiImage,
    readonly repo: string,
    readonly tag: string,
    readonly digest: string,
    readonly trunc = true,
    readonly now = Date.now(),
  ) {
    super();
  }
  headers(): Record<string, string> {
    return HEADERS;
  }
  get ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }
  get Repository(): string {
    return this.repo;
  }
  get Tag(): string {
    return this.tag;
  }
  get Digest(): string {
    return this.digest;
  }
  get CreatedSince(): string {
    return `${humanDuration(this.now - (this.i.Created ?? 0) * 1000)} ago`;
  }
  get CreatedAt(): string {
    return goTimeString(this.i.Created ?? 0);
  }
  get Size(): string {
    return humanSize(this.i.Size ?? 0, 3);
  }
  get Containers(): string {
    return this.i.Containers === undefined || this.i.Containers === -1
      ? "N/A"
      : String(this.i.Containers);
  }
  get VirtualSize(): string {
    return humanSize(this.i.VirtualSize ?? this.i.Size ?? 0);
  }
  get SharedSize(): string {
    const s = this.i.SharedSize ?? -1;
    return s === -1 ? "N/A" : humanSize(s);
  }
  get UniqueSize(): string {
    const size = this.i.Size ?? -1;
    const shared = this.i.SharedSize ?? -1;
    return size === -1 || shared === -1 ? "N/A" : humanSize(size - shared);
  }
  override toJSON(): Record<string, unknown> {
    const keys = Object.keys(HEADERS).sort();
    return Object.fromEntries(
      keys.map((k) => [k, (this as unknown as Record<string, unknown>)[k]]),
    );
  }
}

function familiar(ref: string): { name: string; tag?: string; digest?: string } | undefined {
  try {
    const r = parseNormalizedNamed(ref);
    return { name: familiarName(r), tag: r.tag, digest: r.digest };
  } catch {
    return undefined;
  }
}

/** docker's imageFormat: one row per repository tag (per digest with --digests). */
export function imageRows(
  images: ApiImage[],
  opts: { digests?: boolean; trunc?: boolean; now?: number } = {},
): ImageContext[] {
  const rows: ImageContext[] = [];
  const trunc = opts.trunc ?? true;
  const row = (img: ApiImage, repo: string, tag: string, digest: string) =>
    rows.push(new ImageContext(img, repo, tag, digest, trunc, opts.now));
  for (const img of images) {
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of img.RepoTags ?? []) {
      const f = familiar(t);
      if (f?.tag) repoTags.set(f.name, [...(repoTags.get(f.name) ?? []), f.tag]);
    }
    for (const d of img.RepoDigests ?? []) {
      const f = familiar(d);
      if (f?.digest) repoDigests.set(f.name, [...(repoDigests.get(f.name) ?? []), f.digest]);
    }
    for (const [repo, tags] of repoTags) {
      const digests = opts.digests ? repoDigests.get(repo) ?? [] : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) row(img, repo, tag, "<none>");
        for (const d of digests) row(img, repo, tag, d);
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) { for (const d of digests) row(img, repo, "<none>", d); }
      else row(img, repo, "<none>", "");
    }
    if (repoTags.size === 0 && repoDigests.size === 0) row(img, "<none>", "<none>", "<none>");
  }
  return rows;
}
