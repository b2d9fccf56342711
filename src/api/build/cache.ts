// The classic builder's cache: a step reuses an image whose parent is the current image
// and whose container_config (the step's config with Cmd set to the RUN command, or to
// "#(nop) <instruction>" for the other steps; COPY/ADD name their sources' checksum there)
// is the same. Docker keeps the parent link in its image store; ours is this index:
// <data-root>/build/parents.json, a list of {id, parent, key, record} (key: sha256 of the
// container_config's canonical JSON; record: the containerd record that last named the
// image, checked by the caller), rewritten atomically. The caller forgets entries of
// images that are gone.

import { createHash } from "node:crypto";
import { z } from "zod";
import { writeAtomic } from "../containers/atomic.ts";
import type { Daemon } from "../daemon.ts";
import { log } from "../log.ts";

const entrySchema = z.object({
  id: z.string(),
  parent: z.string(),
  key: z.string(),
  record: z.string(),
  created: z.string(),
});
type Entry = z.infer<typeof entrySchema>;

/** JSON with object keys sorted, so equal configs give equal keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
        .join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

export function cacheKey(containerConfig: unknown): string {
  return createHash("sha256").update(canonical(containerConfig)).digest("hex");
}

export class BuildCache {
  #entries: Entry[] | undefined;
  #file: string;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(dataRoot: string) {
    this.#file = `${dataRoot}/build/parents.json`;
  }

  async #load(): Promise<Entry[]> {
    if (this.#entries) return this.#entries;
    try {
      this.#entries = z.array(entrySchema).parse(JSON.parse(await Deno.readTextFile(this.#file)));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        log("warn", `build cache index ${this.#file}: ${(e as Error).message}; starting empty`);
      }
      this.#entries = [];
    }
    return this.#entries;
  }

  /** Serializes index updates (concurrent builds). */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  async #save(entries: Entry[]): Promise<void> {
    await Deno.mkdir(this.#file.slice(0, this.#file.lastIndexOf("/")), {
      recursive: true,
      mode: 0o700,
    });
    await writeAtomic(this.#file, JSON.stringify(entries));
  }

  /** Image id → its parent's, for the images builds made (Docker's ParentId). */
  async parents(): Promise<Map<string, string>> {
    await this.#chain;
    return new Map((await this.#load()).map((e) => [e.id, e.parent]));
  }

  /** The newest image made from `parent` with this container_config: its id and record. */
  async lookup(parent: string, containerConfig: unknown): Promise<Entry | undefined> {
    const key = cacheKey(containerConfig);
    await this.#chain;
    const hits = (await this.#load()).filter((e) => e.parent === parent && e.key === key);
    hits.sort((a, b) => a.created.localeCompare(b.created));
    return hits.at(-1);
  }

  /** Drops the entries of image `id` (it is gone). */
  forget(id: string): Promise<void> {
    return this.#locked(async () => {
      this.#entries = (await this.#load()).filter((e) => e.id !== id);
      await this.#save(this.#entries);
    });
  }

  /** The record now naming image `id` (its old one went away). */
  rename(id: string, record: string): Promise<void> {
    return this.#locked(async () => {
      const entries = await this.#load();
      for (const e of entries) if (e.id === id) e.record = record;
      await this.#save(entries);
    });
  }

  record(id: string, record: string, parent: string, containerConfig: unknown): Promise<void> {
    const key = cacheKey(containerConfig);
    return this.#locked(async () => {
      const entries = await this.#load();
      const rest = entries.filter((e) => !(e.id === id && e.parent === parent));
      rest.push({ id, parent, key, record, created: new Date().toISOString() });
      this.#entries = rest;
      await this.#save(rest);
    });
  }
}

const caches = new WeakMap<Daemon, BuildCache>();

/** The daemon's build cache index (one per daemon). */
export function buildCacheOf(d: Daemon): BuildCache {
  let c = caches.get(d);
  if (!c) caches.set(d, c = new BuildCache(d.opts.dataRoot));
  return c;
}
