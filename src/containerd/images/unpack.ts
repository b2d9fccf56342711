// Unpacking an image's layers (from the content store) into committed snapshots keyed by
// chain id, one layer at a time so each layer reports "Extracting" and "Pull complete".
// Chains being unpacked are marked busy so the snapshot GC leaves them alone.

import { wrap } from "../../lib/errors.ts";
import { InflateWorkers } from "../archive/mod.ts";
import type { Descriptor } from "../content/oci.ts";
import type { ContentStore } from "../content/store.ts";
import { shortId } from "../registry/mod.ts";
import { chainIDs, type OverlaySnapshotter, unpackLayers } from "../snapshots/mod.ts";

export interface LayerProgress {
  id: string;
  status: "Extracting" | "Pull complete";
  current?: number;
  total?: number;
}

export interface UnpackOptions {
  onProgress?: (e: LayerProgress) => void;
  signal?: AbortSignal;
  /** Emit "Extracting" at most every this many compressed bytes (default 512 KiB). */
  progressEvery?: number;
}

/** Chain ids an unpack in this process is working on (refcounted). */
export class BusyChains {
  #n = new Map<string, number>();

  hold(ids: string[]): Disposable {
    for (const id of ids) this.#n.set(id, (this.#n.get(id) ?? 0) + 1);
    return {
      [Symbol.dispose]: () => {
        for (const id of ids) {
          const left = (this.#n.get(id) ?? 1) - 1;
          if (left) this.#n.set(id, left);
          else this.#n.delete(id);
        }
      },
    };
  }

  has(id: string): boolean {
    return this.#n.has(id);
  }
}

/**
 * Unpacks `layers` (diff ids from the image config) into snapshots; returns the chain
 * ids and which layers were extracted now (false: the snapshot already existed).
 */
export async function unpackImage(
  content: ContentStore,
  sn: OverlaySnapshotter,
  busy: BusyChains,
  layers: Descriptor[],
  diffIDs: string[],
  o: UnpackOptions = {},
): Promise<{ chainIDs: string[]; extracted: boolean[] }> {
  const chain = chainIDs(diffIDs);
  using _held = busy.hold(chain);
  const every = o.progressEvery ?? 512 << 10;
  const sources = layers.map((l, i) => ({
    diffID: diffIDs[i],
    digest: l.digest,
    open: async () => {
      const f = await content.open(l.digest);
      return counted(readAhead(f), (n, done) => {
        if (!done && n - lastEmit < every) return;
        lastEmit = n;
        o.onProgress?.({ id: shortId(l.digest), status: "Extracting", current: n, total: l.size });
      });
    },
  }));
  let lastEmit = 0;
  const extracted: boolean[] = [];
  using workers = new InflateWorkers();
  for (let i = 0; i < layers.length; i++) {
    if (o.signal?.aborted) throw wrap(o.signal.reason ?? new Error("aborted"), "unpack");
    lastEmit = -every; // the first report of each layer goes out
    const res = await unpackLayers(sn, sources.slice(0, i + 1), { workers });
    const now = res[i].unpacked;
    extracted.push(now);
    if (now) o.onProgress?.({ id: shortId(layers[i].digest), status: "Pull complete" });
  }
  return { chainIDs: chain, extracted };
}

/**
 * Reads `f` (closing it at the end) in 1 MiB chunks with the next read always in flight:
 * extraction waited on each of the 64 KiB reads of `f.readable` (the minbase layer
 * uncompressed: 0.69 → 0.55 s).
 */
async function* readAhead(f: Deno.FsFile, size = 1 << 20): AsyncGenerator<Uint8Array> {
  const read = async () => {
    const buf = new Uint8Array(size);
    const n = await f.read(buf);
    return n === null ? null : buf.subarray(0, n);
  };
  let next = read();
  try {
    for (;;) {
      const chunk = await next;
      if (chunk === null) return;
      next = read();
      yield chunk;
    }
  } finally {
    await next.catch(() => null);
    f.close();
  }
}

/** Passes chunks through, reporting the running byte count (and once more at the end). */
async function* counted(
  src: AsyncIterable<Uint8Array>,
  report: (n: number, done: boolean) => void,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  report(0, false);
  for await (const c of src) {
    n += c.length;
    report(n, false);
    yield c;
  }
  report(n, true);
}
