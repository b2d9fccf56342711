// The metadata store of `engine containerd`: images, leases, content labels and GC over
// one SQLite database and one content store.
//
// GC safety inside the process: lease and image changes go through guard(), which waits
// while a GC runs, so nothing becomes a root between GC's mark and its sweep. Only the
// process that owns the store (engine containerd) runs GC.

import type { ContentStore } from "../content/store.ts";
import { MetaDB } from "./db.ts";
import { collectGarbage, type GCOptions, type GCResult } from "./gc.ts";
import { ImageStore } from "./images.ts";
import { ContentLabels, LeaseStore } from "./leases.ts";

export class Metadata implements Disposable {
  readonly images: ImageStore;
  readonly leases: LeaseStore;
  readonly labels: ContentLabels;
  #gc: Promise<GCResult> | undefined;

  private constructor(readonly db: MetaDB, readonly content: ContentStore) {
    this.images = new ImageStore(db);
    this.leases = new LeaseStore(db);
    this.labels = new ContentLabels(db);
  }

  /** Opens `dbPath` (e.g. <root>/meta.db) over an initialised content store. */
  static open(dbPath: string, content: ContentStore): Metadata {
    return new Metadata(MetaDB.open(dbPath), content);
  }

  /** Runs `fn` (synchronous) in a transaction once no GC is running in this process. */
  async guard<T>(fn: () => T): Promise<T> {
    while (this.#gc) await this.#gc.catch(() => {});
    return this.db.tx(fn);
  }

  /** Mark-and-sweep; concurrent calls run one after the other. */
  async gc(opts: GCOptions = {}): Promise<GCResult> {
    while (this.#gc) await this.#gc.catch(() => {});
    this.#gc = collectGarbage(this.db, this.content, this.leases, this.labels, opts);
    try {
      return await this.#gc;
    } finally {
      this.#gc = undefined;
    }
  }

  close(): void {
    this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export { MetaDB, SCHEMA_VERSION } from "./db.ts";
export type { GCOptions, GCResult } from "./gc.ts";
export type { Image, Labels, Target } from "./images.ts";
export type { Lease, LeaseResource } from "./leases.ts";
