// Leases keep content alive while work is in progress (a pull, a push, an unpack): GC
// never deletes a resource held by an unexpired lease. Expired leases are removed by GC.
// Content labels record facts about blobs, e.g. which repository they came from.

import { randomUUID } from "node:crypto";
import { invalidArgument, notFound } from "../../lib/errors.ts";
import { type Labels, labelsSchema } from "./images.ts";
import { MetaDB, nowIso } from "./db.ts";

export interface Lease {
  id: string;
  labels: Labels;
  createdAt: string;
  expiresAt?: string;
}

export interface LeaseResource {
  kind: "content" | string;
  key: string;
}

interface Row {
  id: string;
  labels: string;
  created_at: string;
  expires_at: string | null;
}

const fromRow = (r: Row): Lease => ({
  id: r.id,
  labels: labelsSchema.parse(JSON.parse(r.labels)),
  createdAt: r.created_at,
  ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
});

const LEASE_ID = /^[\w.+-]{1,128}$/;

export class LeaseStore {
  constructor(private readonly m: MetaDB) {}

  /** Creates a lease; `ttlMs` sets an expiry after which GC may drop it. */
  create(opts: { id?: string; ttlMs?: number; labels?: Labels } = {}): Lease {
    const id = opts.id ?? randomUUID();
    if (!LEASE_ID.test(id)) throw invalidArgument(`invalid lease id "${id}"`);
    const labels = labelsSchema.parse(opts.labels ?? {});
    const now = Date.now();
    const expires = opts.ttlMs !== undefined ? new Date(now + opts.ttlMs).toISOString() : null;
    this.m.db.prepare(
      "INSERT INTO leases (id, labels, created_at, expires_at) VALUES (?, ?, ?, ?)",
    ).run(id, JSON.stringify(labels), new Date(now).toISOString(), expires);
    return this.get(id);
  }

  get(id: string): Lease {
    const r = this.m.db.prepare("SELECT * FROM leases WHERE id = ?").get(id) as Row | undefined;
    if (!r) throw notFound(`lease ${id}: not found`);
    return fromRow(r);
  }

  list(): Lease[] {
    return (this.m.db.prepare("SELECT * FROM leases ORDER BY created_at").all() as unknown as Row[])
      .map(fromRow);
  }

  delete(id: string): void {
    const r = this.m.db.prepare("DELETE FROM leases WHERE id = ?").run(id);
    if (r.changes === 0) throw notFound(`lease ${id}: not found`);
  }

  addResource(id: string, res: LeaseResource): void {
    const r = this.m.db.prepare(
      "INSERT OR IGNORE INTO lease_resources (lease_id, kind, key) SELECT id, ?, ? FROM leases WHERE id = ?",
    ).run(res.kind, res.key, id);
    if (r.changes === 0) this.get(id); // throws not_found for a missing lease
  }

  removeResource(id: string, res: LeaseResource): void {
    this.m.db.prepare("DELETE FROM lease_resources WHERE lease_id = ? AND kind = ? AND key = ?")
      .run(id, res.kind, res.key);
  }

  resources(id: string): LeaseResource[] {
    const rows = this.m.db.prepare("SELECT kind, key FROM lease_resources WHERE lease_id = ?")
      .all(id) as unknown as LeaseResource[];
    return rows.map((r) => ({ kind: r.kind, key: r.key }));
  }

  /** Deletes leases whose expiry has passed; returns their ids. */
  expire(now = new Date()): string[] {
    const rows = this.m.db.prepare(
      "DELETE FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING id",
    ).all(now.toISOString()) as unknown as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Keys of every `kind` resource held by any lease. */
  heldKeys(kind: string): Set<string> {
    const rows = this.m.db.prepare("SELECT DISTINCT key FROM lease_resources WHERE kind = ?")
      .all(kind) as unknown as { key: string }[];
    return new Set(rows.map((r) => r.key));
  }
}

export class ContentLabels {
  constructor(private readonly m: MetaDB) {}

  set(digest: string, key: string, value: string): void {
    if (key.length > 1024 || value.length > 4096) {
      throw invalidArgument(`content ${digest}: label too long`);
    }
    this.m.db.prepare(
      "INSERT INTO content_labels (digest, key, value) VALUES (?, ?, ?) " +
        "ON CONFLICT(digest, key) DO UPDATE SET value = excluded.value",
    ).run(digest, key, value);
  }

  get(digest: string): Labels {
    const rows = this.m.db.prepare("SELECT key, value FROM content_labels WHERE digest = ?")
      .all(digest) as unknown as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Drops labels of blobs no longer present. */
  deleteAll(digest: string): void {
    this.m.db.prepare("DELETE FROM content_labels WHERE digest = ?").run(digest);
  }
}

export { nowIso };
