// An uploaded archive (docker save, OCI layout tar), read once as a stream into private
// temp files, each hashed on the way. Entries are checked as they come: names that escape
// (absolute, ".."), device nodes and fifos, duplicates, symlinks that leave the archive are
// refused with the entry's name; sizes and entry counts are capped (SECURITY.md class e).
// Nothing here touches the content store: the loader reads what it needs from the spool.

import { createHash, randomUUID } from "node:crypto";
import { invalidArgument, notFound, wrap } from "../../lib/errors.ts";
import { decompress, entryComponents, readTar, TypeFlag } from "../archive/mod.ts";

export interface SpoolLimits {
  /** Uncompressed archive bytes (default 64 GiB). */
  maxBytes: number;
  /** Entries in the archive (default 100 000). */
  maxEntries: number;
}

export const DEFAULT_SPOOL_LIMITS: SpoolLimits = { maxBytes: 64 * 2 ** 30, maxEntries: 100_000 };

export interface SpooledFile {
  /** Its name in the archive, cleaned ("blobs/sha256/…"). */
  path: string;
  /** The temp file holding its bytes. */
  file: string;
  digest: string;
  size: number;
}

const MAX_LINK_HOPS = 16;

export class Spool implements AsyncDisposable {
  readonly files = new Map<string, SpooledFile>();
  /** Symlinks and hardlinks: archive path → the archive path they point at. */
  readonly links = new Map<string, string>();

  private constructor(readonly dir: string) {}

  /** Reads `source` (a tar, maybe gzip/zstd-compressed) into a new dir under `tmpRoot`. */
  static async read(
    source: AsyncIterable<Uint8Array>,
    tmpRoot: string,
    limits: SpoolLimits = DEFAULT_SPOOL_LIMITS,
  ): Promise<Spool> {
    await Deno.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    const spool = new Spool(await Deno.makeTempDir({ dir: tmpRoot, prefix: "import-" }));
    try {
      await spool.#fill(source, limits);
      return spool;
    } catch (err) {
      await spool[Symbol.asyncDispose]();
      throw err;
    }
  }

  async #fill(source: AsyncIterable<Uint8Array>, limits: SpoolLimits) {
    let entries = 0;
    const tar = readTar(decompress(readAhead(source), { maxBytes: limits.maxBytes }));
    for await (const entry of tar) {
      const h = entry.header;
      const what = `archive entry ${JSON.stringify(h.name.slice(0, 300))}`;
      if (++entries > limits.maxEntries) {
        throw invalidArgument(`archive: more than ${limits.maxEntries} entries`);
      }
      let path: string;
      try {
        path = entryComponents(h.name).join("/");
      } catch (err) {
        throw wrap(err, what);
      }
      if (h.type === TypeFlag.dir) continue;
      if (path === "") throw invalidArgument(`${what}: not a directory`);
      if (this.files.has(path) || this.links.has(path)) {
        throw invalidArgument(`${what}: duplicate entry`);
      }
      switch (h.type) {
        case TypeFlag.file:
          this.files.set(path, await this.#write(path, entry.body(), what));
          break;
        case TypeFlag.symlink:
          this.links.set(path, symlinkTarget(path, h.linkname, what));
          break;
        case TypeFlag.link:
          try {
            this.links.set(path, entryComponents(h.linkname).join("/"));
          } catch (err) {
            throw wrap(err, `${what}: hardlink target`);
          }
          break;
        default:
          throw invalidArgument(`${what}: entry type ${JSON.stringify(h.type)} not allowed`);
      }
    }
  }

  async #write(path: string, body: AsyncIterable<Uint8Array>, what: string) {
    const file = `${this.dir}/${randomUUID()}`;
    const hash = createHash("sha256");
    let size = 0;
    try {
      using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
      for await (const chunk of body) {
        hash.update(chunk);
        size += chunk.length;
        // writeSync: an async write op per chunk of the upload cost more CPU than the write
        // (49 MB minbase archive: spool 0.21 → 0.15 s), and a page-cache write is short.
        for (let off = 0; off < chunk.length;) off += f.writeSync(chunk.subarray(off));
      }
    } catch (err) {
      throw wrap(err, what);
    }
    return { path, file, digest: `sha256:${hash.digest("hex")}`, size };
  }

  has(path: string): boolean {
    return this.files.has(path) || this.links.has(path);
  }

  /** The file at `path`, following links inside the archive. */
  get(path: string, what: string): SpooledFile {
    let p = path;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const f = this.files.get(p);
      if (f) return f;
      const next = this.links.get(p);
      if (next === undefined) {
        throw notFound(`${what}: ${JSON.stringify(path)} is not in the archive`);
      }
      p = next;
    }
    throw invalidArgument(`${what}: ${JSON.stringify(path)}: too many links`);
  }

  /** A regular file (never a link: manifest.json, index.json…), parsed as JSON, capped. */
  async json(path: string, maxBytes: number): Promise<unknown> {
    if (this.links.has(path)) throw invalidArgument(`archive: ${path} is a link (refused)`);
    const f = this.files.get(path);
    if (!f) throw notFound(`archive: no ${path}`);
    if (f.size > maxBytes) {
      throw invalidArgument(`archive: ${path}: ${f.size} bytes exceeds the limit of ${maxBytes}`);
    }
    try {
      return JSON.parse(await Deno.readTextFile(f.file));
    } catch (err) {
      throw invalidArgument(`archive: ${path}: invalid JSON: ${(err as Error).message}`);
    }
  }

  /** The bytes of a (link-resolved) file, capped. */
  async bytes(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
    const f = this.get(path, what);
    if (f.size > maxBytes) {
      throw invalidArgument(`${what}: ${f.size} bytes exceeds the limit of ${maxBytes}`);
    }
    return await Deno.readFile(f.file);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * `source` read up to `max` bytes ahead of its consumer. A Deno.serve request body asked
 * for its next chunk only after each spool write costs its server several times the CPU
 * (copies on Deno's side): a 49 MB upload took 0.6-0.9 s of CPU, read ahead 0.25 s.
 */
export async function* readAhead(
  source: AsyncIterable<Uint8Array>,
  max = 4 << 20,
): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  const st = { held: 0, ended: false, stopped: false, failed: null as { err: unknown } | null };
  const noop = () => {};
  let wakeReader = noop;
  let wakePump = noop;
  const pump = (async () => {
    try {
      while (!st.stopped) {
        const r = await it.next();
        if (r.done) break;
        queue.push(r.value);
        st.held += r.value.length;
        wakeReader();
        while (st.held >= max && !st.stopped) await new Promise<void>((w) => wakePump = w);
      }
    } catch (err) {
      st.failed = { err };
    }
    st.ended = true;
    wakeReader();
    if (st.stopped) await it.return?.();
  })();
  try {
    for (;;) {
      while (!queue.length && !st.ended) await new Promise<void>((w) => wakeReader = w);
      const chunk = queue.shift();
      if (!chunk) break;
      st.held -= chunk.length;
      wakePump();
      yield chunk;
    }
    if (st.failed) throw st.failed.err;
  } finally {
    st.stopped = true;
    wakePump();
    // Stopped early: the pump lets go of the source once its pending read returns.
    pump.catch(() => {});
  }
}

/** A symlink's target as an archive path; targets outside the archive are refused. */
function symlinkTarget(path: string, target: string, what: string): string {
  if (target.startsWith("/")) throw invalidArgument(`${what}: absolute symlink refused`);
  const parts = path.split("/").slice(0, -1);
  for (const c of target.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") {
      if (!parts.length) throw invalidArgument(`${what}: symlink leaves the archive`);
      parts.pop();
    } else parts.push(c);
  }
  return parts.join("/");
}
