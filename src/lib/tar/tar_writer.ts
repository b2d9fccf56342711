// A tar writer (ustar + PAX for what ustar cannot hold: long names and links, big ids and
// sizes, fractional mtimes, xattrs). Used for export, commit and diff, and by tests.

import { invalidArgument } from "../errors.ts";
import { BLOCK, encodeHeader, encodePax, type TarHeader, TypeFlag } from "./tar_header.ts";

/** What a caller gives for one entry; unset fields get tar's usual defaults. */
export type TarInput = Partial<TarHeader> & { name: string; type: string };

export type Sink = (chunk: Uint8Array) => void | Promise<void>;

const ZERO = new Uint8Array(BLOCK * 2);

export class TarWriter {
  #sink: Sink;
  #closed = false;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  /**
   * Writes one entry. `body` is required for regular files with a size and must produce
   * exactly `size` bytes; other types carry no data.
   */
  async add(input: TarInput, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    if (this.#closed) throw invalidArgument("tar writer: add after close");
    const h = fill(input, body);
    const { block, pax } = encodeHeader(h);
    const records: [string, string | Uint8Array][] = [...pax];
    for (const [k, v] of h.xattrs) records.push([`SCHILY.xattr.${k}`, v]);
    if (records.length > 0) {
      const data = encodePax(records);
      const paxHeader = encodeHeader({
        ...h,
        name: paxName(h.name),
        type: TypeFlag.paxLocal,
        size: data.length,
        linkname: "",
        xattrs: new Map(),
      });
      await this.#sink(paxHeader.block);
      await this.#padded(data);
    }
    await this.#sink(block);
    if (h.type !== TypeFlag.file || h.size === 0) return;
    if (!body) throw invalidArgument(`tar writer: ${h.name}: no body for ${h.size} bytes`);
    if (body instanceof Uint8Array) {
      await this.#padded(body);
      return;
    }
    let written = 0;
    for await (const chunk of body) {
      written += chunk.length;
      if (written > h.size) throw invalidArgument(`tar writer: ${h.name}: body exceeds size`);
      await this.#sink(chunk);
    }
    if (written !== h.size) {
      throw invalidArgument(`tar writer: ${h.name}: body of ${written} bytes, size ${h.size}`);
    }
    await this.#pad(written);
  }

  /** Writes the end-of-archive marker (two zero blocks). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sink(ZERO);
  }

  async #padded(data: Uint8Array): Promise<void> {
    await this.#sink(data);
    await this.#pad(data.length);
  }

  async #pad(n: number): Promise<void> {
    const pad = (BLOCK - (n % BLOCK)) % BLOCK;
    if (pad) await this.#sink(new Uint8Array(pad));
  }
}

function fill(input: TarInput, body?: Uint8Array | AsyncIterable<Uint8Array>): TarHeader {
  const isFile = input.type === TypeFlag.file;
  const size = input.size ?? (body instanceof Uint8Array ? body.length : 0);
  if (!isFile && size !== 0) throw invalidArgument(`tar writer: ${input.name}: size on a non-file`);
  if (isFile && body instanceof Uint8Array && body.length !== size) {
    throw invalidArgument(`tar writer: ${input.name}: body of ${body.length} bytes, size ${size}`);
  }
  const dir = input.type === TypeFlag.dir;
  return {
    name: dir && !input.name.endsWith("/") ? `${input.name}/` : input.name,
    type: input.type,
    mode: input.mode ?? (dir ? 0o755 : input.type === TypeFlag.symlink ? 0o777 : 0o644),
    uid: input.uid ?? 0,
    gid: input.gid ?? 0,
    size,
    mtime: input.mtime ?? 0,
    atime: input.atime,
    linkname: input.linkname ?? "",
    uname: input.uname ?? "",
    gname: input.gname ?? "",
    devmajor: input.devmajor ?? 0,
    devminor: input.devminor ?? 0,
    xattrs: input.xattrs ?? new Map(),
  };
}

/** The PAX header's own name, as Go writes it: <dir>/PaxHeaders.0/<base>, ≤ 100 bytes. */
function paxName(name: string): string {
  const trimmed = name.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  const dir = slash < 0 ? "." : trimmed.slice(0, slash);
  const base = trimmed.slice(slash + 1);
  const full = `${dir}/PaxHeaders.0/${base}`;
  return full.length <= 100 ? full : `PaxHeaders.0/${base}`.slice(0, 100);
}

/** A tar stream from a list of entries, produced as the reader pulls (backpressure kept). */
export function tarStream(
  entries:
    | AsyncIterable<[TarInput, (Uint8Array | AsyncIterable<Uint8Array>)?]>
    | Iterable<[TarInput, (Uint8Array | AsyncIterable<Uint8Array>)?]>,
): ReadableStream<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const out = pipe.writable.getWriter();
  (async () => {
    const w = new TarWriter((c) => out.write(c));
    for await (const [h, body] of entries) await w.add(h, body);
    await w.close();
    await out.close();
  })().catch((e) => out.abort(e).catch(() => {}));
  return pipe.readable;
}
