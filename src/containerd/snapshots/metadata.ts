// Snapshot metadata in SQLite (node:sqlite, WAL): key → id, parent, kind, labels, times,
// and the usage of committed snapshots. Every change is one transaction, so a crash leaves
// either the old or the new state, never half of one.

import { DatabaseSync } from "node:sqlite";
import { alreadyExists, failedPrecondition, notFound } from "../../lib/errors.ts";
import type { Info, Kind, Usage } from "./types.ts";

export interface Row {
  id: number;
  key: string;
  parentId: number | null;
  kind: Kind;
  labels: Record<string, string>;
  created: string;
  updated: string;
  size: number | null;
  inodes: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  parent_id INTEGER REFERENCES snapshots(id),
  kind TEXT NOT NULL CHECK (kind IN ('committed', 'active', 'view')),
  labels TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  size INTEGER,
  inodes INTEGER
);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id);
`;

type Raw = Record<string, string | number | null>;

function toRow(r: Raw): Row {
  return {
    id: r.id as number,
    key: r.key as string,
    parentId: r.parent_id as number | null,
    kind: r.kind as Kind,
    labels: JSON.parse(r.labels as string),
    created: r.created as string,
    updated: r.updated as string,
    size: r.size as number | null,
    inodes: r.inodes as number | null,
  };
}

export class Metadata {
  #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
    );
    this.#db.exec(SCHEMA);
  }

  close(): void {
    this.#db.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction (other writers wait), rolled back if it throws. */
  tx<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  find(key: string): Row | null {
    const r = this.#db.prepare("SELECT * FROM snapshots WHERE key = ?").get(key) as Raw | undefined;
    return r ? toRow(r) : null;
  }

  get(key: string): Row {
    const r = this.find(key);
    if (!r) throw notFound(`snapshot ${key} does not exist`);
    return r;
  }

  byId(id: number): Row {
    const r = this.#db.prepare("SELECT * FROM snapshots WHERE id = ?").get(id) as Raw | undefined;
    if (!r) throw notFound(`snapshot id ${id} does not exist`);
    return toRow(r);
  }

  /** Rows from the row's parent up to the base layer (nearest first). */
  parentChain(row: Row): Row[] {
    const out: Row[] = [];
    for (let id = row.parentId; id !== null;) {
      const p = this.byId(id);
      out.push(p);
      id = p.parentId;
    }
    return out;
  }

  insert(key: string, parentId: number | null, kind: Kind, labels: Record<string, string>): Row {
    if (this.find(key)) throw alreadyExists(`snapshot ${key} already exists`);
    const now = new Date().toISOString();
    const r = this.#db.prepare(
      "INSERT INTO snapshots (key, parent_id, kind, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(key, parentId, kind, JSON.stringify(labels), now, now);
    return this.byId(Number(r.lastInsertRowid));
  }

  /** Turns an active snapshot into the committed snapshot `name`. */
  commit(row: Row, name: string, usage: Usage, labels: Record<string, string>): void {
    if (this.find(name)) throw alreadyExists(`snapshot ${name} already exists`);
    this.#db.prepare(
      "UPDATE snapshots SET key = ?, kind = 'committed', labels = ?, updated = ?, size = ?, inodes = ? WHERE id = ? AND kind = 'active'",
    ).run(name, JSON.stringify(labels), new Date().toISOString(), usage.size, usage.inodes, row.id);
  }

  setLabels(row: Row, labels: Record<string, string>): void {
    this.#db.prepare("UPDATE snapshots SET labels = ?, updated = ? WHERE id = ?")
      .run(JSON.stringify(labels), new Date().toISOString(), row.id);
  }

  delete(row: Row): void {
    const child = this.#db.prepare("SELECT key FROM snapshots WHERE parent_id = ? LIMIT 1")
      .get(row.id) as Raw | undefined;
    if (child) {
      throw failedPrecondition(
        `snapshot ${row.key} has children (${child.key}): remove them first`,
      );
    }
    this.#db.prepare("DELETE FROM snapshots WHERE id = ?").run(row.id);
  }

  all(): Row[] {
    return (this.#db.prepare("SELECT * FROM snapshots ORDER BY id").all() as Raw[]).map(toRow);
  }

  info(row: Row): Info {
    const parent = row.parentId === null ? undefined : this.byId(row.parentId).key;
    return {
      name: row.key,
      ...(parent !== undefined ? { parent } : {}),
      kind: row.kind,
      labels: row.labels,
      created: row.created,
      updated: row.updated,
    };
  }
}
