// The metadata database: SQLite through node:sqlite, WAL mode, schema versioned with
// PRAGMA user_version. Every multi-statement change runs in one transaction, so a
// kill -9 at any moment leaves either the old or the new state.

import { DatabaseSync } from "node:sqlite";
import { failedPrecondition, wrap } from "../../lib/errors.ts";

/** Each entry migrates from version i to i+1; append only, never edit a shipped one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE images (
    name        TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    labels      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;
  CREATE INDEX images_digest ON images(digest);
  CREATE TABLE leases (
    id          TEXT PRIMARY KEY,
    labels      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    expires_at  TEXT
  ) STRICT;
  CREATE TABLE lease_resources (
    lease_id    TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    PRIMARY KEY (lease_id, kind, key)
  ) STRICT;
  CREATE TABLE content_labels (
    digest      TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (digest, key)
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class MetaDB implements Disposable {
  readonly db: DatabaseSync;

  private constructor(readonly path: string) {
    this.db = new DatabaseSync(path);
  }

  /** Opens (creating and migrating as needed) the database at `path`. */
  static open(path: string): MetaDB {
    let m: MetaDB;
    try {
      m = new MetaDB(path);
    } catch (err) {
      throw wrap(err, `open metadata ${path}`);
    }
    try {
      m.db.exec("PRAGMA busy_timeout = 5000");
      m.db.exec("PRAGMA journal_mode = WAL");
      m.db.exec("PRAGMA synchronous = FULL");
      m.db.exec("PRAGMA foreign_keys = ON");
      m.migrate();
    } catch (err) {
      m.close();
      throw wrap(err, `open metadata ${path}`);
    }
    return m;
  }

  get version(): number {
    const row = this.db.prepare("PRAGMA user_version").get() as { user_version: number };
    return row.user_version;
  }

  private migrate(): void {
    this.tx(() => {
      const v = this.version;
      if (v > SCHEMA_VERSION) {
        throw failedPrecondition(
          `metadata ${this.path}: schema version ${v} is newer than this engine's ${SCHEMA_VERSION}`,
        );
      }
      for (let i = v; i < SCHEMA_VERSION; i++) {
        this.db.exec(MIGRATIONS[i]);
        this.db.exec(`PRAGMA user_version = ${i + 1}`);
      }
    });
  }

  /** Runs `fn` in one IMMEDIATE transaction; rolls back if it throws. Not reentrant. */
  tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const r = fn();
      this.db.exec("COMMIT");
      return r;
    } catch (err) {
      try {
        this.db.exec("ROLLBACK");
      } catch { /* the transaction may already be gone */ }
      throw err;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
