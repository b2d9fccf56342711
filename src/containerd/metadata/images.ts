// Image records: name → target descriptor, labels, timestamps (containerd's images store).

import { z } from "zod";
import { invalidArgument, notFound } from "../../lib/errors.ts";
import { descriptorSchema } from "../content/oci.ts";
import { MetaDB, nowIso } from "./db.ts";

export const targetSchema = descriptorSchema.pick({ mediaType: true, digest: true, size: true });
export type Target = z.infer<typeof targetSchema>;

export const labelsSchema = z.record(z.string().max(4096), z.string().max(4096));
export type Labels = z.infer<typeof labelsSchema>;

export const imageSchema = z.object({
  name: z.string().min(1).max(1024),
  target: targetSchema,
  labels: labelsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Image = z.infer<typeof imageSchema>;

interface Row {
  name: string;
  media_type: string;
  digest: string;
  size: number;
  labels: string;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): Image {
  return imageSchema.parse({
    name: r.name,
    target: { mediaType: r.media_type, digest: r.digest, size: r.size },
    labels: JSON.parse(r.labels),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}

export class ImageStore {
  constructor(private readonly m: MetaDB) {}

  get(name: string): Image {
    const r = this.m.db.prepare("SELECT * FROM images WHERE name = ?").get(name) as
      | Row
      | undefined;
    if (!r) throw notFound(`image ${name}: not found`);
    return fromRow(r);
  }

  find(name: string): Image | undefined {
    const r = this.m.db.prepare("SELECT * FROM images WHERE name = ?").get(name) as
      | Row
      | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(): Image[] {
    const rows = this.m.db.prepare("SELECT * FROM images ORDER BY name").all() as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Images whose target is `digest` (`docker images` groups by it). */
  byDigest(digest: string): Image[] {
    const rows = this.m.db.prepare("SELECT * FROM images WHERE digest = ? ORDER BY name")
      .all(digest) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Creates or updates (keeping created_at) an image record. Use inside m.tx() to combine. */
  put(name: string, target: Target, labels: Labels = {}): Image {
    const t = targetSchema.safeParse(target);
    if (!t.success) throw invalidArgument(`image ${name}: invalid target: ${t.error.message}`);
    const l = labelsSchema.safeParse(labels);
    if (!l.success) throw invalidArgument(`image ${name}: invalid labels: ${l.error.message}`);
    if (!name || name.length > 1024) throw invalidArgument(`invalid image name "${name}"`);
    const now = nowIso();
    this.m.db.prepare(
      `INSERT INTO images (name, media_type, digest, size, labels, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET media_type = excluded.media_type,
         digest = excluded.digest, size = excluded.size, labels = excluded.labels,
         updated_at = excluded.updated_at`,
    ).run(name, t.data.mediaType, t.data.digest, t.data.size, JSON.stringify(l.data), now, now);
    return this.get(name);
  }

  delete(name: string): void {
    const r = this.m.db.prepare("DELETE FROM images WHERE name = ?").run(name);
    if (r.changes === 0) throw notFound(`image ${name}: not found`);
  }
}
