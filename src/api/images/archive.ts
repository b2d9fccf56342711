// GET /images/get?names=… and /images/{name}/get (docker save: the docker save layout plus
// the OCI layout, from containerd), POST /images/load (all the archive's images or none).

import { familiarString, parseNormalized } from "../../lib/reference.ts";
import type { Daemon } from "../daemon.ts";
import type { Ctx, Reply } from "../http/router.ts";
import { boolQuery } from "../http/validate.ts";
import { layerMessage, messageStream } from "./jsonmessage.ts";
import { allImages, findIn, primaryName, withDefaultTag } from "./lookup.ts";
import { notFound } from "../../lib/errors.ts";
import { referenceString } from "../../lib/reference.ts";

/** An archive to load: far above a real one; containerd caps it again. */
export const MAX_LOAD = 64 * 2 ** 30;
const MAX_NAMES = 1000;

export async function saveImages(d: Daemon, ctx: Ctx, names: string[]): Promise<Reply> {
  if (!names.length) throw notFound("No such image: ");
  if (names.length > MAX_NAMES) throw notFound(`too many names (more than ${MAX_NAMES})`);
  const images = await allImages(d.containerd);
  const records: string[] = [];
  for (const raw of names) {
    const found = findIn(images, raw);
    if (!found) throw notFound(`No such image: ${withDefaultTag(raw)}`);
    const name = found.ref ? referenceString(found.ref) : primaryName(found.entry);
    if (!records.includes(name)) records.push(name);
  }
  const tar = await d.containerd.images.export(records, ctx.signal);
  for (const r of records) {
    const id = [...images.values()].find((e) => e.records.some((x) => x.name === r))?.id ?? r;
    d.events.publish("image", "save", id, { name: id });
  }
  return { stream: tar, contentType: "application/x-tar" };
}

/**
 * POST /images/load: quiet, only the "Loaded image" lines; otherwise first a "Loading layer"
 * progress line (id: the diff id's first 12 hex) per layer this daemon did not have yet.
 */
export function loadImages(d: Daemon, ctx: Ctx): Reply {
  const body = ctx.stream(MAX_LOAD);
  const quiet = boolQuery(ctx.query, "quiet");
  const stream = messageStream(ctx.signal, async (s) => {
    const result = quiet
      ? await d.containerd.images.import(body, s.signal)
      : await d.containerd.images.importWithProgress(body, {
        signal: s.signal,
        onProgress: (l) => s.send(layerMessage(l.id, l.status, l.current, l.total)),
      });
    for (const img of result.images) {
      d.events.publish("image", "load", img.id, { name: img.id });
      if (img.named) {
        let shown = img.name;
        try {
          const ref = parseNormalized(img.name);
          shown = familiarString(ref);
          if (ref.digest) continue; // Docker reports tags only
        } catch { /* shown as recorded */ }
        s.send({ stream: `Loaded image: ${shown}\n` });
      } else s.send({ stream: `Loaded image ID: ${img.id}\n` });
    }
  });
  return { stream, contentType: "application/json" };
}
