// Push a local image with Docker's progress: "Preparing" for every layer, "Waiting" beyond
// the upload slots, then "Pushing" / "Pushed" / "Layer already exists" / "Mounted from …".
// The config blob is pushed silently, as Docker does.

import { parseNormalized, referenceString } from "../../lib/reference.ts";
import type { ProgressLine, PushDone, PushRequest } from "../api/images.ts";
import { children, type Descriptor, Limits, parseManifest } from "../content/oci.ts";
import { resolveImage } from "../metadata/resolve.ts";
import { push, shortId, SOURCE_LABEL_PREFIX } from "../registry/mod.ts";
import type { Services } from "../services.ts";
import { findImage, registriesFor } from "./names.ts";

/** Uploads at the same time (dockerd's max-concurrent-uploads is 5). */
const CONCURRENCY = 5;

export async function pushImage(
  s: Services,
  req: PushRequest,
  emit: (e: ProgressLine) => void,
): Promise<PushDone> {
  const image = findImage(s, req.ref);
  const reference = parseNormalized(image.name);
  const resolved = await resolveImage(s.content, image);
  const concurrency = req.concurrency ?? CONCURRENCY;
  const target = await pushTarget(s, image.target, resolved.manifestDescriptor);
  const layers = new Set(resolved.layers.map((l) => l.digest));
  const sourceKey = SOURCE_LABEL_PREFIX + reference.domain;
  const mountedFrom = (digest: string) =>
    (s.meta.labels.get(digest)[sourceKey] ?? "").split(",")
      .find((p) => p && p !== reference.path) ?? reference.path;

  resolved.layers.forEach((l, i) => {
    emit({ id: shortId(l.digest), status: "Preparing" });
    if (i >= concurrency) emit({ id: shortId(l.digest), status: "Waiting" });
  });
  const result = await push(reference, {
    content: s.content,
    registries: registriesFor(s, req.auth, req.registry),
    target,
    meta: s.meta,
    concurrency,
    onProgress: (e) => {
      if (!layers.has(e.digest) || e.status === "Preparing") return;
      const status = e.status === "Mounted from"
        ? `Mounted from ${mountedFrom(e.digest)}`
        : e.status;
      const line: ProgressLine = { id: e.id, status };
      if (e.status === "Pushing") {
        line.current = e.current ?? 0;
        line.total = e.total;
      }
      emit(line);
    },
  });
  s.events.publish("image.push", referenceString(reference), { digest: result.digest });
  return { status: "done", name: result.name, digest: result.digest, size: result.size };
}

/** The target, or the platform manifest when the target is an index not wholly present. */
async function pushTarget(s: Services, target: Descriptor, manifest: Descriptor) {
  if (target.digest === manifest.digest) return target;
  const parsed = parseManifest(
    await s.content.readAll(target.digest, Limits.manifest),
    target.mediaType,
    `index ${target.digest}`,
  );
  for (const c of children(parsed)) {
    if (!(await s.content.has(c.digest))) return manifest;
  }
  return target;
}
