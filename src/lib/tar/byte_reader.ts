// Buffered reads of exact byte counts from a stream of chunks, without copying when a
// read falls inside one chunk.

import { invalidArgument } from "../errors.ts";

export class ByteReader {
  #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #off = 0;
  #eof = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** Makes sure some unread bytes are buffered; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#off >= this.#buf.length) {
      if (this.#eof) return false;
      const r = await this.#it.next();
      if (r.done) {
        this.#eof = true;
        return false;
      }
      this.#buf = r.value;
      this.#off = 0;
    }
    return true;
  }

  /** Exactly n bytes; null if the stream ends before the first byte; throws if it ends midway. */
  async readExact(n: number, what: string): Promise<Uint8Array | null> {
    if (!(await this.#fill())) return null;
    const avail = this.#buf.length - this.#off;
    if (avail >= n) {
      const out = this.#buf.subarray(this.#off, this.#off + n);
      this.#off += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.#fill())) throw invalidArgument(`unexpected end of stream in ${what}`);
      const take = Math.min(n - got, this.#buf.length - this.#off);
      out.set(this.#buf.subarray(this.#off, this.#off + take), got);
      this.#off += take;
      got += take;
    }
    return out;
  }

  /** Yields the next n bytes as they arrive (views into the source chunks). */
  async *chunks(n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill())) throw invalidArgument(`unexpected end of stream in ${what}`);
      const take = Math.min(left, this.#buf.length - this.#off);
      const out = this.#buf.subarray(this.#off, this.#off + take);
      this.#off += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.chunks(n, what)) { /* discard */ }
  }

  /** Stops reading: the source is told to release what it holds (streams, decompressors). */
  async close(): Promise<void> {
    this.#eof = true;
    await this.#it.return?.();
  }

  /** Reads (and discards) everything left, so a wrapping hash sees the whole stream. */
  async drain(): Promise<void> {
    this.#off = this.#buf.length;
    while (await this.#fill()) this.#off = this.#buf.length;
  }
}
