// An overlayfs snapshotter, laid out like containerd's:
//   <root>/metadata.db           SQLite: key → id, parent, kind, labels, times, usage
//   <root>/snapshots/<id>/fs     the snapshot's files (an overlay upperdir, or a lowerdir once committed)
//   <root>/snapshots/<id>/work   overlay workdir (active snapshots)
// A snapshot's directory is created under a temporary name and renamed into place inside
// the metadata transaction; leftovers of a crash (temporary or unrecorded directories) are
// removed by cleanup(), which open() runs.

import { failedPrecondition, notFound, wrap } from "../../lib/errors.ts";
import { Metadata, type Row } from "./metadata.ts";
import { bindMount, checkMountPath, overlayMount } from "./mounts.ts";
import {
  checkKey,
  checkLabels,
  type Info,
  type Kind,
  type Mount,
  type SnapshotOptions,
  type Usage,
} from "./types.ts";
import { diskUsage } from "../../lib/directory_size.ts";

export class OverlaySnapshotter {
  #meta: Metadata;

  private constructor(readonly root: string, meta: Metadata) {
    this.#meta = meta;
  }

  /** Opens (creating if needed) a snapshotter rooted at the absolute path `root`. */
  static async open(root: string): Promise<OverlaySnapshotter> {
    if (!root.startsWith("/")) {
      throw failedPrecondition(`snapshotter root ${root} must be absolute`);
    }
    checkMountPath(root);
    await Deno.mkdir(`${root}/snapshots`, { recursive: true, mode: 0o700 });
    const sn = new OverlaySnapshotter(root, new Metadata(`${root}/metadata.db`));
    await sn.cleanup();
    return sn;
  }

  close(): void {
    this.#meta.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  stat(key: string): Info {
    return this.#meta.info(this.#meta.get(key));
  }

  has(key: string): boolean {
    return this.#meta.find(key) !== null;
  }

  /** A writable snapshot on top of the committed `parent` (none: an empty directory). */
  prepare(key: string, parent?: string, opts: SnapshotOptions = {}): Promise<Mount[]> {
    return Promise.resolve(this.#mounts(this.#create("active", key, parent, opts)));
  }

  /** A read-only snapshot of the committed `parent`. */
  view(key: string, parent?: string, opts: SnapshotOptions = {}): Promise<Mount[]> {
    return Promise.resolve(this.#mounts(this.#create("view", key, parent, opts)));
  }

  /** The mounts of an active snapshot or a view (a committed one is never mounted as such). */
  mounts(key: string): Mount[] {
    const row = this.#meta.get(key);
    if (row.kind === "committed") {
      throw failedPrecondition(`snapshot ${key} is committed: prepare or view a child instead`);
    }
    return this.#mounts(row);
  }

  /** The directory an applier writes a layer into: the active snapshot's upper `fs`. */
  writableDir(key: string): string {
    const row = this.#meta.get(key);
    if (row.kind !== "active") throw failedPrecondition(`snapshot ${key} is not active`);
    return this.#fs(row.id);
  }

  /** Turns the active snapshot `key` into the committed snapshot `name`. */
  async commit(name: string, key: string, opts: SnapshotOptions = {}): Promise<void> {
    checkKey(name, "snapshot name");
    const row = this.#meta.get(key);
    if (row.kind !== "active") throw failedPrecondition(`snapshot ${key} is not active`);
    const usage = await diskUsage(this.#fs(row.id));
    const labels = opts.labels ? checkLabels(opts.labels) : row.labels;
    this.#meta.tx(() => {
      const cur = this.#meta.get(key);
      if (cur.id !== row.id || cur.kind !== "active") {
        throw failedPrecondition(`snapshot ${key} changed during commit`);
      }
      this.#meta.commit(cur, name, usage, labels);
    });
  }

  /** Removes a snapshot; refused while other snapshots have it as parent. */
  async remove(key: string): Promise<void> {
    const doomed = this.#meta.tx(() => {
      const row = this.#meta.get(key);
      this.#meta.delete(row);
      const to = `${this.root}/snapshots/rm-${row.id}`;
      try {
        Deno.renameSync(this.#dir(row.id), to);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        return null;
      }
      return to;
    });
    if (doomed) await Deno.remove(doomed, { recursive: true });
  }

  /** Disk usage: recorded at commit for committed snapshots, measured now otherwise. */
  async usage(key: string): Promise<Usage> {
    const row = this.#meta.get(key);
    if (row.kind === "committed" && row.size !== null && row.inodes !== null) {
      return { size: row.size, inodes: row.inodes };
    }
    return await diskUsage(this.#fs(row.id));
  }

  /** Replaces a snapshot's labels. */
  setLabels(key: string, labels: Record<string, string>): Info {
    const clean = checkLabels(labels);
    return this.#meta.tx(() => {
      const row = this.#meta.get(key);
      this.#meta.setLabels(row, clean);
      return this.#meta.info(this.#meta.get(key));
    });
  }

  /** Every snapshot (optionally filtered), oldest first. */
  walk(filter?: (info: Info) => boolean): Info[] {
    const all = this.#meta.all().map((r) => this.#meta.info(r));
    return filter ? all.filter(filter) : all;
  }

  /** Removes directories under snapshots/ that no metadata row owns (crash leftovers). */
  async cleanup(): Promise<string[]> {
    const owned = new Set(this.#meta.all().map((r) => String(r.id)));
    const removed: string[] = [];
    for await (const e of Deno.readDir(`${this.root}/snapshots`)) {
      if (owned.has(e.name)) continue;
      await Deno.remove(`${this.root}/snapshots/${e.name}`, { recursive: true });
      removed.push(e.name);
    }
    return removed;
  }

  #dir(id: number): string {
    return `${this.root}/snapshots/${id}`;
  }
  #fs(id: number): string {
    return `${this.#dir(id)}/fs`;
  }
  #work(id: number): string {
    return `${this.#dir(id)}/work`;
  }

  #create(kind: Kind, key: string, parent: string | undefined, opts: SnapshotOptions): Row {
    checkKey(key);
    const labels = checkLabels(opts.labels);
    return this.#meta.tx(() => {
      let parentRow: Row | null = null;
      if (parent) {
        checkKey(parent, "parent");
        parentRow = this.#meta.find(parent);
        if (!parentRow) throw notFound(`parent snapshot ${parent} does not exist`);
        if (parentRow.kind !== "committed") {
          throw failedPrecondition(`parent snapshot ${parent} is not committed`);
        }
      }
      const row = this.#meta.insert(key, parentRow?.id ?? null, kind, labels);
      const tmp = `${this.root}/snapshots/new-${row.id}-${crypto.randomUUID()}`;
      try {
        Deno.mkdirSync(tmp, { mode: 0o700 });
        Deno.mkdirSync(`${tmp}/fs`, { mode: 0o755 });
        if (kind === "active") Deno.mkdirSync(`${tmp}/work`, { mode: 0o700 });
        if (parentRow) copyOwnership(this.#fs(parentRow.id), `${tmp}/fs`);
        // An unrecorded directory with this id is a crash leftover (ids are reused after a rollback).
        removeIfExists(this.#dir(row.id));
        Deno.renameSync(tmp, this.#dir(row.id));
      } catch (e) {
        removeIfExists(tmp);
        throw wrap(e, `create snapshot ${key}`);
      }
      return row;
    });
  }

  #mounts(row: Row): Mount[] {
    const lowers = this.#meta.parentChain(row).map((p) => this.#fs(p.id));
    if (row.kind === "active") {
      if (lowers.length === 0) return [bindMount(this.#fs(row.id), false)];
      return [overlayMount(lowers, { upperdir: this.#fs(row.id), workdir: this.#work(row.id) })];
    }
    // Views: overlay needs two lowers without an upper; one is a read-only bind.
    if (lowers.length === 0) return [bindMount(this.#fs(row.id), true)];
    if (lowers.length === 1) return [bindMount(lowers[0], true)];
    return [overlayMount(lowers)];
  }
}

/** The upper's root shows as the merged root: give it the parent root's owner and mode. */
function copyOwnership(from: string, to: string): void {
  const st = Deno.lstatSync(from);
  Deno.chownSync(to, st.uid, st.gid);
  Deno.chmodSync(to, st.mode! & 0o7777);
}

function removeIfExists(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
