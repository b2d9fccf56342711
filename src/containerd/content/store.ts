// A content-addressed blob store: `<root>/blobs/sha256/<hex>`. Writers stream into a
// private file under `<root>/ingest/`, and only after the digest and size check is the
// file fsynced and renamed into place, so nothing half-written ever has a final name.
// Two writers of the same blob both succeed: the renames replace identical bytes.

import { createHash, randomUUID } from "node:crypto";
import { EngineError, invalidArgument, notFound, wrap } from "../../lib/errors.ts";
import { isSha256Digest } from "../../lib/reference.ts";

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface WriterOptions {
  /** The digest the bytes must hash to. */
  digest: string;
  /** The size they must have, when known (a descriptor's size). */
  size?: number;
}

export class DigestMismatchError extends EngineError {
  constructor(readonly expected: string, readonly actual: string, readonly context: string) {
    super(
      "failed_precondition",
      `${context}: digest mismatch: expected ${expected}, got ${actual}`,
    );
  }
}

export class SizeMismatchError extends EngineError {
  constructor(readonly expected: number, readonly actual: number, readonly context: string) {
    super("failed_precondition", `${context}: size mismatch: expected ${expected}, got ${actual}`);
  }
}

function hexOf(digest: string): string {
  if (!isSha256Digest(digest)) throw invalidArgument(`invalid content digest "${digest}"`);
  return digest.slice("sha256:".length);
}

/** One ingest in progress. Call commit() or abort(); `await using` aborts if neither ran. */
export class Writer implements AsyncDisposable {
  #hash = createHash("sha256");
  #written = 0;
  #done = false;

  constructor(
    private readonly store: ContentStore,
    readonly expected: WriterOptions,
    readonly ingestPath: string,
    private readonly file: Deno.FsFile,
  ) {}

  get written(): number {
    return this.#written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#done) throw invalidArgument(`write to closed ingest ${this.expected.digest}`);
    const size = this.expected.size;
    if (size !== undefined && this.#written + chunk.length > size) {
      throw new SizeMismatchError(
        size,
        this.#written + chunk.length,
        `blob ${this.expected.digest}`,
      );
    }
    this.#hash.update(chunk);
    let off = 0;
    while (off < chunk.length) off += await this.file.write(chunk.subarray(off));
    this.#written += chunk.length;
  }

  /** Checks size and digest, fsyncs, renames into place. Aborts (and throws) on mismatch. */
  async commit(): Promise<BlobInfo> {
    if (this.#done) throw invalidArgument(`commit of closed ingest ${this.expected.digest}`);
    const { digest, size } = this.expected;
    try {
      if (size !== undefined && this.#written !== size) {
        throw new SizeMismatchError(size, this.#written, `blob ${digest}`);
      }
      const actual = `sha256:${this.#hash.digest("hex")}`;
      if (actual !== digest) throw new DigestMismatchError(digest, actual, `blob ${digest}`);
      await this.file.sync();
      this.file.close();
      this.#done = true;
      await Deno.rename(this.ingestPath, this.store.blobPath(digest));
      await this.store.syncBlobDir();
      return { digest, size: this.#written };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      try {
        this.file.close();
      } catch { /* already closed */ }
    }
    await Deno.remove(this.ingestPath).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#done) await this.abort();
  }
}

export class ContentStore {
  readonly blobDir: string;
  readonly ingestDir: string;
  readonly #inflight = new Map<string, Promise<BlobInfo>>();

  constructor(readonly root: string) {
    this.blobDir = `${root}/blobs/sha256`;
    this.ingestDir = `${root}/ingest`;
  }

  /** Creates the directories (0700). Idempotent. */
  async init(): Promise<this> {
    await Deno.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await Deno.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
    return this;
  }

  blobPath(digest: string): string {
    return `${this.blobDir}/${hexOf(digest)}`;
  }

  /** Size of a committed blob; not_found when absent. */
  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await Deno.stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw notFound(`content ${digest}: not found`);
      throw wrap(err, `content ${digest}`);
    }
  }

  async has(digest: string): Promise<boolean> {
    try {
      await Deno.stat(this.blobPath(digest));
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw wrap(err, `content ${digest}`);
    }
  }

  /** Opens a committed blob for reading; the caller closes it (or uses `using`). */
  async open(digest: string): Promise<Deno.FsFile> {
    try {
      return await Deno.open(this.blobPath(digest), { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw notFound(`content ${digest}: not found`);
      throw wrap(err, `content ${digest}`);
    }
  }

  /** Reads a whole blob, refusing blobs larger than `maxBytes` (manifests, configs). */
  async readAll(digest: string, maxBytes: number): Promise<Uint8Array> {
    using f = await this.open(digest);
    const { size } = await f.stat();
    if (size > maxBytes) {
      throw invalidArgument(`content ${digest}: ${size} bytes exceeds the limit of ${maxBytes}`);
    }
    const buf = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    return buf.subarray(0, off);
  }

  /** Starts an ingest under a private name in `<root>/ingest/`. */
  async writer(opts: WriterOptions): Promise<Writer> {
    const hex = hexOf(opts.digest);
    if (opts.size !== undefined && (!Number.isSafeInteger(opts.size) || opts.size < 0)) {
      throw invalidArgument(`blob ${opts.digest}: invalid size ${opts.size}`);
    }
    const path = `${this.ingestDir}/${hex}.${randomUUID()}`;
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    return new Writer(this, opts, path, file);
  }

  /** Writes a whole blob from bytes or a stream, verified. Present blobs are not rewritten. */
  async write(
    opts: WriterOptions,
    data: Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<BlobInfo> {
    if (await this.has(opts.digest)) {
      if (data instanceof ReadableStream) await data.cancel().catch(() => {});
      return await this.info(opts.digest);
    }
    await using w = await this.writer(opts);
    if (data instanceof Uint8Array) {
      await w.write(data);
    } else {
      for await (const chunk of data) await w.write(chunk);
    }
    return await w.commit();
  }

  /**
   * Moves `file` into the store as blob `opts.digest`, for a file this process wrote into a
   * private directory and hashed on the way (the import spool): its digest was checked
   * then, so only the size is checked again. The file must be on the store's filesystem
   * (a rename); on another one it is copied through a writer, which hashes it again.
   */
  async adopt(file: string, opts: Required<WriterOptions>): Promise<BlobInfo> {
    const dest = this.blobPath(opts.digest);
    if (await this.has(opts.digest)) return await this.info(opts.digest);
    const what = `blob ${opts.digest}`;
    {
      using f = await Deno.open(file, { read: true }).catch((err) => {
        throw wrap(err, what);
      });
      const st = await f.stat();
      if (!st.isFile) throw invalidArgument(`${what}: ${file} is not a regular file`);
      if (st.size !== opts.size) throw new SizeMismatchError(opts.size, st.size, what);
      await f.sync();
    }
    try {
      await Deno.rename(file, dest);
    } catch (err) {
      if (!isExdev(err)) throw wrap(err, what);
      using f = await Deno.open(file, { read: true });
      return await this.write(opts, f.readable);
    }
    await this.syncBlobDir();
    return { digest: opts.digest, size: opts.size };
  }

  /**
   * Runs `fetch` for a digest unless one is already running in this process for the same
   * digest, in which case its result is shared: one download per blob at a time.
   */
  once(digest: string, fetch: () => Promise<BlobInfo>): Promise<BlobInfo> {
    const running = this.#inflight.get(digest);
    if (running) return running;
    const p = fetch().finally(() => this.#inflight.delete(digest));
    this.#inflight.set(digest, p);
    return p;
  }

  /** True while a once() for this digest runs in this process. */
  inflight(digest: string): boolean {
    return this.#inflight.has(digest);
  }

  async delete(digest: string): Promise<void> {
    try {
      await Deno.remove(this.blobPath(digest));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw notFound(`content ${digest}: not found`);
      throw wrap(err, `delete content ${digest}`);
    }
  }

  /** Every committed blob (names that are not sha256 hex are skipped). */
  async *walk(): AsyncGenerator<BlobInfo> {
    for await (const e of Deno.readDir(this.blobDir)) {
      if (!e.isFile || !/^[a-f0-9]{64}$/.test(e.name)) continue;
      const digest = `sha256:${e.name}`;
      try {
        yield { digest, size: (await Deno.stat(`${this.blobDir}/${e.name}`)).size };
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw wrap(err, `walk content ${digest}`);
      }
    }
  }

  /**
   * Removes ingest files not modified for `olderThanMs` (left by a killed writer) and not
   * being written in this process. Returns the number removed.
   */
  async cleanIngest(olderThanMs: number): Promise<number> {
    let removed = 0;
    const now = Date.now();
    for await (const e of Deno.readDir(this.ingestDir)) {
      const path = `${this.ingestDir}/${e.name}`;
      const st = await Deno.stat(path).catch(() => null);
      if (!st || now - (st.mtime?.getTime() ?? 0) < olderThanMs) continue;
      if (this.inflight(`sha256:${e.name.split(".")[0]}`)) continue;
      await Deno.remove(path).then(() => removed++, () => {});
    }
    return removed;
  }

  /** fsyncs the blob directory so a rename survives a crash. */
  async syncBlobDir(): Promise<void> {
    using d = await Deno.open(this.blobDir, { read: true });
    await d.sync().catch(() => {}); // some filesystems refuse fsync on directories
  }
}

function isExdev(err: unknown): boolean {
  return err instanceof Error && /EXDEV|os error 18\b/.test(err.message);
}

/** sha256 of bytes, as a digest string. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
