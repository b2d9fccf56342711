// Layer streams: detect the compression by magic bytes (gzip, zstd, or none) and
// decompress while streaming, with a cap on the decompressed size (SECURITY.md class e).

import { createHash } from "node:crypto";
import { invalidArgument } from "../errors.ts";
import { INFLATE_WORKER_SOURCE } from "./inflate_worker.ts";

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
  /** Told the sha256 of the decompressed stream once it ended (computed off-thread too). */
  onDigest?: (digest: string) => void;
  /** Where to take a decompression worker from and give it back (default: one per stream). */
  workers?: InflateWorkers;
}

/**
 * Decompression workers kept between the streams of one job (an image's layers): a
 * Worker's start (~35 ms) was on the path of every layer. A worker comes back only from a
 * stream that ended cleanly; disposing terminates the idle ones.
 */
export class InflateWorkers implements Disposable {
  #idle: Worker[] = [];
  #disposed = false;

  take(): Worker | undefined {
    return this.#idle.pop();
  }

  give(w: Worker): void {
    if (this.#disposed) w.terminate();
    else this.#idle.push(w);
  }

  [Symbol.dispose](): void {
    this.#disposed = true;
    for (const w of this.#idle.splice(0)) w.terminate();
  }
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
    const hash = opts.onDigest && createHash("sha256");
    const out = (c: Uint8Array) => {
      hash?.update(c);
      return counted(c);
    };
    if (first.length) yield out(first);
    if (!done) { for (let r = await it.next(); !r.done; r = await it.next()) yield out(r.value); }
    if (hash) opts.onDigest!(`sha256:${hash.digest("hex")}`);
    return;
  }
  yield* inflateOffThread(kind, first, done ? null : it, counted, opts);
}

type WorkerMessage =
  & { seq: number }
  & (
    | { t: "took" }
    | { t: "data"; chunk: Uint8Array }
    | { t: "end"; digest: string }
    | { t: "error"; message: string }
  );

/** Input chunks handed to the worker and not yet consumed by the decompressor. */
const MAX_INPUT_IN_FLIGHT = 4;
let workerUrl: string | undefined;
/** Numbers the streams, so that a reused worker's late message of its last one is dropped. */
let streams = 0;

/** Decompresses in a Worker (see inflate_worker.ts), feeding it from a separate task. */
async function* inflateOffThread(
  kind: Compression,
  first: Uint8Array,
  it: AsyncIterator<Uint8Array> | null,
  counted: (c: Uint8Array) => Uint8Array,
  { onDigest, workers }: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  workerUrl ??= URL.createObjectURL(
    new Blob([INFLATE_WORKER_SOURCE], { type: "application/javascript" }),
  );
  const w = workers?.take() ?? new Worker(workerUrl, { type: "module" });
  const seq = ++streams;
  let ended = false;
  const queue: (WorkerMessage | { t: "failed" })[] = [];
  const wake: { reader?: () => void; feeder?: () => void } = {};
  let inFlight = 0;
  let closed = false;
  let failed: unknown = null;
  const push = (m: WorkerMessage | { t: "failed" }) => {
    queue.push(m);
    wake.reader?.();
  };
  w.onmessage = (e: MessageEvent<WorkerMessage>) => {
    if (e.data.seq !== seq) return;
    if (e.data.t !== "took") return push(e.data);
    inFlight--;
    wake.feeder?.();
  };
  w.onerror = (e) => {
    e.preventDefault();
    push({ t: "error", seq, message: e.message });
  };
  w.postMessage({ t: "start", kind, seq });
  const feed = async (chunk: Uint8Array) => {
    while (inFlight >= MAX_INPUT_IN_FLIGHT && !closed) {
      await new Promise<void>((r) => wake.feeder = r);
    }
    if (closed) return false;
    inFlight++;
    w.postMessage({ t: "in", chunk }); // cloned: the caller may still own the buffer
    return true;
  };
  const pump = (async () => {
    try {
      if (first.length && !(await feed(first))) return;
      if (it) {
        for (let r = await it.next(); !r.done; r = await it.next()) {
          if (!(await feed(r.value))) return;
        }
      }
      if (!closed) w.postMessage({ t: "end" });
    } catch (e) {
      failed = e;
      push({ t: "failed" });
    }
  })();
  try {
    for (;;) {
      while (!queue.length) await new Promise<void>((r) => wake.reader = r);
      const m = queue.shift()!;
      if (m.t === "data") {
        yield counted(m.chunk);
        w.postMessage({ t: "ack", n: m.chunk.length });
      } else if (m.t === "end") {
        onDigest?.(m.digest);
        ended = true;
        break;
      } else if (m.t === "failed") {
        throw failed;
      } else if (m.t === "error") {
        throw invalidArgument(`${kind} layer: ${m.message}`);
      }
    }
  } finally {
    closed = true;
    // Only a worker whose stream ended is in a known state: any other stops here.
    if (ended && workers) {
      w.onmessage = null;
      w.onerror = null;
      workers.give(w);
    } else w.terminate();
    wake.feeder?.();
    await pump;
    await it?.return?.();
  }
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
