// Layer streams: detect the compression by magic bytes (gzip, zstd, or none) and
// decompress while streaming, with a cap on the decompressed size (SECURITY.md class e).

import zlib from "node:zlib";
import type { Transform } from "node:stream";
import { invalidArgument } from "../errors.ts";

export type Compression = "gzip" | "zstd" | "none";

/** 100 GiB: larger than any sane layer, small enough to stop a decompression bomb. */
export const DEFAULT_MAX_UNCOMPRESSED = 100 * 2 ** 30;

export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) {
    throw invalidArgument("bzip2 layers are not supported");
  }
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) {
    throw invalidArgument("xz layers are not supported");
  }
  return "none";
}

export interface DecompressOptions {
  /** Fail once more than this many decompressed bytes came out. */
  maxBytes?: number;
}

/**
 * The uncompressed bytes of `source`, whatever its compression (detected from the first
 * bytes). Consumes `source` lazily: nothing is read ahead beyond the decompressor's buffers.
 */
export async function* decompress(
  source: AsyncIterable<Uint8Array>,
  opts: DecompressOptions = {},
): AsyncGenerator<Uint8Array> {
  const max = opts.maxBytes ?? DEFAULT_MAX_UNCOMPRESSED;
  const it = source[Symbol.asyncIterator]();
  // Gather at least 4 bytes to see the magic.
  const head: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = concat(head, headLen);
  const kind = detectCompression(first);
  let total = 0;
  const counted = (c: Uint8Array) => {
    total += c.length;
    if (total > max) throw invalidArgument(`layer decompresses to more than ${max} bytes`);
    return c;
  };
  if (kind === "none") {
    if (first.length) yield counted(first);
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield counted(r.value);
    return;
  }
  const z: Transform = kind === "gzip" ? zlib.createGunzip() : zlib.createZstdDecompress();
  let failed: unknown = null;
  // Feed the decompressor from a separate task, honouring its backpressure.
  const pump = (async () => {
    try {
      if (first.length) await write(z, first);
      if (!done) {
        for (let r = await it.next(); !r.done; r = await it.next()) await write(z, r.value);
      }
      z.end();
    } catch (e) {
      failed = e;
      z.destroy(e as Error);
    }
  })();
  try {
    for await (const chunk of z) {
      yield counted(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    }
  } catch (e) {
    throw invalidArgument(`${kind} layer: ${e instanceof Error ? e.message : e}`);
  } finally {
    if (!z.destroyed) z.destroy();
    await pump;
    await it.return?.();
  }
  if (failed) throw failed;
}

function write(z: Transform, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (z.destroyed) return reject(new Error("decompressor closed"));
    if (z.write(chunk)) return resolve();
    const onDrain = () => {
      z.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      z.off("drain", onDrain);
      reject(new Error("decompressor closed"));
    };
    z.once("drain", onDrain);
    z.once("close", onClose);
  });
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
