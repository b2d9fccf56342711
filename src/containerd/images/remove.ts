// Tag and untag. Removing a record runs the content GC (blobs nothing references go) and
// the snapshot GC: committed layer snapshots that no image's chain needs are removed,
// leaves first; snapshots with children (a container's) or being unpacked stay.

import { errorKind, errorMessage } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import type { DeleteResult, ImageSummary } from "../api/images.ts";
import { resolveImage } from "../metadata/resolve.ts";
import type { Services } from "../services.ts";
import { chainIDs, UNPACK_LABEL } from "../snapshots/mod.ts";
import { imageSummary } from "./inspect.ts";
import { findImage, tagName } from "./names.ts";
import type { BusyChains } from "./unpack.ts";

export async function tagImage(s: Services, source: string, target: string) {
  const image = findImage(s, source);
  const name = tagName(image, target);
  const tagged = await s.meta.guard(() => s.meta.images.put(name, image.target, image.labels));
  s.events.publish("image.tag", name, { source: image.name, digest: image.target.digest });
  return await imageSummary(s, tagged) satisfies ImageSummary;
}

export async function deleteImage(s: Services, busy: BusyChains, raw: string) {
  const image = findImage(s, raw);
  await s.meta.guard(() => s.meta.images.delete(image.name));
  s.events.publish("image.delete", image.name, { digest: image.target.digest });
  const gc = await s.meta.gc();
  for (const w of gc.warnings) log("warn", w);
  const deletedSnapshots = await collectSnapshots(s, busy);
  return {
    untagged: image.name,
    deletedContent: gc.deleted,
    deletedSnapshots,
  } satisfies DeleteResult;
}

/** Chain ids every remaining image needs (an image that cannot be resolved keeps all). */
async function neededChains(s: Services): Promise<Set<string> | null> {
  const keep = new Set<string>();
  for (const image of s.meta.images.list()) {
    try {
      const r = await resolveImage(s.content, image);
      for (const id of chainIDs(r.config.rootfs.diff_ids)) keep.add(id);
    } catch (err) {
      if (errorKind(err) === "not_found") continue; // its content is gone
      return null;
    }
  }
  return keep;
}

/** Removes unneeded committed layer snapshots; returns their names. */
export async function collectSnapshots(s: Services, busy: BusyChains): Promise<string[]> {
  const keep = await neededChains(s);
  if (!keep) return [];
  const removed: string[] = [];
  for (let pass = 0; pass < 1000; pass++) {
    const all = s.snapshots.walk();
    const parents = new Set(all.map((i) => i.parent).filter((p): p is string => !!p));
    const doomed = all.filter((i) =>
      i.kind === "committed" && i.labels[UNPACK_LABEL] === i.name && !keep.has(i.name) &&
      !busy.has(i.name) && !parents.has(i.name)
    );
    if (!doomed.length) break;
    for (const info of doomed) {
      try {
        await s.snapshots.remove(info.name);
        removed.push(info.name);
      } catch (err) {
        log("warn", `remove snapshot ${info.name}: ${errorMessage(err)}`);
        return removed;
      }
    }
  }
  return removed;
}
