// Pull with Docker's progress: per-layer download events from the registry library, then
// each layer unpacked into its snapshot ("Extracting", "Pull complete") before the image is
// recorded, so a failed download or unpack leaves no image record.

import type { ProgressLine, PullDone, PullRequest } from "../api/images.ts";
import { parsePlatform, pull } from "../registry/mod.ts";
import type { Services } from "../services.ts";
import { chainIDs } from "../snapshots/mod.ts";
import { normalizeName, registriesFor } from "./names.ts";
import { type BusyChains, unpackImage } from "./unpack.ts";

/** Downloads at the same time by default (dockerd's max-concurrent-downloads). */
const CONCURRENCY = 3;

export async function pullImage(
  s: Services,
  busy: BusyChains,
  req: PullRequest,
  emit: (e: ProgressLine) => void,
  signal?: AbortSignal,
): Promise<PullDone> {
  const name = normalizeName(req.ref);
  const before = s.meta.images.find(name)?.target.digest;
  const platform = req.platform ? parsePlatform(req.platform) : undefined;
  const concurrency = req.concurrency ?? CONCURRENCY;
  let queued = 0;
  // Held until the record exists, so a concurrent snapshot GC leaves the chain alone.
  let held: Disposable | undefined;
  try {
    return await pullHeld();
  } finally {
    held?.[Symbol.dispose]();
  }

  async function pullHeld(): Promise<PullDone> {
    const pulled = await pull(name, {
      content: s.content,
      meta: s.meta,
      registries: registriesFor(s, req.auth, req.registry),
      platform,
      concurrency,
      signal,
      onProgress: (e) => {
        const line: ProgressLine = { id: e.id, status: e.status };
        if (e.current !== undefined) line.current = e.current;
        if (e.total !== undefined) line.total = e.total;
        emit(line);
        // Layers beyond the first `concurrency` wait for a download slot, as Docker shows.
        if (e.status === "Pulling fs layer" && queued++ >= concurrency) {
          emit({ id: e.id, status: "Waiting" });
        }
      },
      beforeRecord: async (img) => {
        held = busy.hold(chainIDs(img.config.rootfs.diff_ids));
        await unpackImage(
          s.content,
          s.snapshots,
          busy,
          img.layers,
          img.config.rootfs.diff_ids,
          { onProgress: emit, signal },
        );
      },
    });
    s.events.publish("image.pull", pulled.name, {
      digest: pulled.target.digest,
      id: pulled.configDescriptor.digest,
      layers: pulled.layers.length,
    });
    return {
      status: "done",
      name: pulled.name,
      digest: pulled.target.digest,
      id: pulled.configDescriptor.digest,
      updated: before !== pulled.target.digest,
    };
  }
}
