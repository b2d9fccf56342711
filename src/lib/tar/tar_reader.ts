// A streaming tar reader: ustar, GNU long names/links ('L'/'K'), PAX local headers,
// base-256 numbers. Entries come one at a time; an entry's body must be read before the
// next entry is asked for (unread bytes are skipped). Memory stays bounded by Limits.

import { invalidArgument } from "../errors.ts";
import { ByteReader } from "./byte_reader.ts";
import {
  applyPax,
  BLOCK,
  isZeroBlock,
  Limits,
  parseHeaderBlock,
  parsePax,
  type TarHeader,
  TypeFlag,
} from "./tar_header.ts";

export interface TarEntry {
  header: TarHeader;
  /** The entry's data (regular files only; empty for every other type). */
  body(): AsyncGenerator<Uint8Array>;
}

/** Types whose size field says nothing about data in the archive (as Go's archive/tar). */
const HEADER_ONLY = new Set<string>([
  TypeFlag.link,
  TypeFlag.symlink,
  TypeFlag.char,
  TypeFlag.block,
  TypeFlag.dir,
  TypeFlag.fifo,
]);

/** Metadata records allowed in front of one entry (PAX, GNU long name/link). */
const MAX_META_HEADERS = 8;

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;
const dec = new TextDecoder();
const byteLength = (s: string) => new TextEncoder().encode(s).length;

/**
 * Reads entries from an uncompressed tar stream. After the end-of-archive marker the rest
 * of the stream is read and discarded, so a hash wrapped around `source` covers it all.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let finished = false;
  try {
    let index = 0;
    for (;;) {
      const header = await readHeader(r, index);
      if (!header) break;
      const size = HEADER_ONLY.has(header.type) ? 0 : header.size;
      const what = `tar entry ${JSON.stringify(header.name)}`;
      let read = 0;
      let started = false;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        if (started) throw invalidArgument(`${what}: body read twice`);
        started = true;
        for await (const chunk of r.chunks(size, what)) {
          read += chunk.length;
          yield chunk;
        }
      };
      yield { header, body };
      await r.skip(size - read, what); // whatever the consumer did not read
      await r.skip(padding(size), what);
      index++;
    }
    await r.drain();
    finished = true;
  } finally {
    // Stopped early (an error, or the consumer broke out): release the source.
    if (!finished) await r.close();
  }
}

/** The next entry's header with its PAX/GNU records folded in; null at the end. */
async function readHeader(r: ByteReader, index: number): Promise<TarHeader | null> {
  let pax: Map<string, Uint8Array> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  for (let meta = 0;; meta++) {
    const where = `tar header #${index}`;
    const block = await r.readExact(BLOCK, where);
    if (!block) {
      if (meta > 0) throw invalidArgument(`${where}: stream ends after an extended header`);
      return null; // EOF without the zero blocks: accepted, as GNU tar does
    }
    if (isZeroBlock(block)) {
      if (meta > 0) throw invalidArgument(`${where}: end marker after an extended header`);
      return null;
    }
    if (meta >= MAX_META_HEADERS) throw invalidArgument(`${where}: too many extended headers`);
    const h = parseHeaderBlock(block);
    switch (h.type) {
      case TypeFlag.paxLocal:
      case TypeFlag.paxGlobal:
      case TypeFlag.gnuLongName:
      case TypeFlag.gnuLongLink: {
        const data = await readSpecial(r, h.size, `${where} (type ${h.type})`);
        if (h.type === TypeFlag.paxLocal) {
          pax = new Map([...(pax ?? []), ...parsePax(data)]);
        } else if (h.type === TypeFlag.gnuLongName) {
          longName = cString(data);
        } else if (h.type === TypeFlag.gnuLongLink) {
          longLink = cString(data);
        } // Global PAX headers are validated and skipped, as containerd and Go do.
        else parsePax(data);
        continue;
      }
    }
    if (longName !== null) h.name = longName;
    if (longLink !== null) h.linkname = longLink;
    if (pax) applyPax(h, pax);
    check(h, where);
    return h;
  }
}

async function readSpecial(r: ByteReader, size: number, where: string): Promise<Uint8Array> {
  if (size > Limits.maxSpecialSize) {
    throw invalidArgument(`${where}: extended header of ${size} bytes exceeds the cap`);
  }
  const data = size === 0 ? new Uint8Array(0) : await r.readExact(size, where);
  if (!data) throw invalidArgument(`${where}: unexpected end of stream`);
  const copy = data.slice(); // the reader's buffer is reused
  await r.skip(padding(size), where);
  return copy;
}

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return dec.decode(nul < 0 ? b : b.subarray(0, nul));
}

function check(h: TarHeader, where: string): void {
  if (h.name === "") throw invalidArgument(`${where}: empty name`);
  if (h.name.includes("\0") || h.linkname.includes("\0")) {
    throw invalidArgument(`${where}: NUL in name`);
  }
  if (byteLength(h.name) > Limits.maxNameLength || byteLength(h.linkname) > Limits.maxNameLength) {
    throw invalidArgument(`${where}: name longer than ${Limits.maxNameLength} bytes`);
  }
  if (h.size < 0 || h.size > Limits.maxFileSize) {
    throw invalidArgument(`${where} ${JSON.stringify(h.name)}: invalid size ${h.size}`);
  }
}
