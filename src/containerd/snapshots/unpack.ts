// unpackLayers: turns an image's layer chain into committed snapshots keyed by chain id
// (prepare → applyLayer → commit), as containerd's unpacker does. Layers already present
// are skipped without opening their streams; a failed layer leaves no active snapshot.

import { EngineError, invalidArgument, wrap } from "../../lib/errors.ts";
import { applyLayer, type ApplyOptions } from "../archive/apply.ts";
import { chainIDs } from "./chain.ts";
import type { OverlaySnapshotter } from "./overlay.ts";

export interface LayerSource {
  /** The uncompressed digest from the image config (rootfs.diff_ids). */
  diffID: string;
  /** Names the layer in errors (its blob digest, usually). */
  digest?: string;
  /** Opens the layer blob (compressed or not); called only when the layer must be unpacked. */
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

export interface UnpackedLayer {
  chainID: string;
  /** False when the snapshot already existed. */
  unpacked: boolean;
}

/** containerd's label naming the chain id a snapshot was unpacked for. */
export const UNPACK_LABEL = "containerd.io/snapshot.ref";

export async function unpackLayers(
  sn: OverlaySnapshotter,
  layers: LayerSource[],
  opts: ApplyOptions = {},
): Promise<UnpackedLayer[]> {
  const chain = chainIDs(layers.map((l) => l.diffID));
  const out: UnpackedLayer[] = [];
  for (const [i, layer] of layers.entries()) {
    const id = chain[i];
    const parent = i === 0 ? undefined : chain[i - 1];
    if (sn.has(id)) {
      const kind = sn.stat(id).kind;
      if (kind !== "committed") throw invalidArgument(`snapshot ${id} exists but is ${kind}`);
      out.push({ chainID: id, unpacked: false });
      continue;
    }
    const name = layer.digest ?? layer.diffID;
    try {
      out.push({ chainID: id, unpacked: await unpackOne(sn, layer, id, parent, opts) });
    } catch (e) {
      throw wrap(e, `unpack layer ${name}`);
    }
  }
  return out;
}

async function unpackOne(
  sn: OverlaySnapshotter,
  layer: LayerSource,
  id: string,
  parent: string | undefined,
  opts: ApplyOptions,
): Promise<boolean> {
  const key = `extract-${crypto.randomUUID()}-${id}`;
  await sn.prepare(key, parent, { labels: { [UNPACK_LABEL]: id } });
  try {
    const res = await applyLayer(sn.writableDir(key), await layer.open(), opts);
    if (res.diffID !== layer.diffID) {
      throw invalidArgument(
        `diff_id mismatch: content is ${res.diffID}, image says ${layer.diffID}`,
      );
    }
    await sn.commit(id, key);
    return true;
  } catch (e) {
    await sn.remove(key).catch(() => {});
    // Someone else committed the same chain id meanwhile: theirs is as good as ours.
    if (e instanceof EngineError && e.kind === "already_exists" && sn.has(id)) return false;
    throw e;
  }
}
