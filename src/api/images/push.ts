// POST /images/{name}/push?tag=: Docker's push stream ("The push refers to repository",
// per-layer Preparing/Pushing/Pushed/"Layer already exists"/"Mounted from", then
// "<tag>: digest: … size: …" and the aux {Tag, Digest, Size}). No tag: every tag of the repo.

import { invalidArgument, notFound } from "../../lib/errors.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  repositoryName,
  withTag,
} from "../../lib/reference.ts";
import type { Daemon } from "../daemon.ts";
import type { Ctx, Reply } from "../http/router.ts";
import { registryAuth } from "./auth.ts";
import { registryConfig } from "./registry.ts";
import { progressMessage } from "./create.ts";
import { messageStream } from "./jsonmessage.ts";
import { allImages, findIn, primaryName } from "./lookup.ts";

export async function pushImage(d: Daemon, ctx: Ctx, name: string): Promise<Reply> {
  const base = parseNormalizedNamed(name);
  if (base.digest) throw invalidArgument("cannot push a digest reference");
  const tag = ctx.query.get("tag") || base.tag || "";
  const auth = registryAuth(ctx.headers["x-registry-auth"]);
  const repo: Reference = { domain: base.domain, path: base.path };
  const images = await allImages(d.containerd);
  let refs: Reference[];
  if (tag) refs = [withTag(repo, tag)];
  else {
    refs = [...images.values()].flatMap((e) => e.tags)
      .filter((t) => t.domain === repo.domain && t.path === repo.path);
  }

  const stream = messageStream(ctx.signal, async (s) => {
    s.send({ status: `The push refers to repository [${repositoryName(repo)}]` });
    const missing = tag ? !findIn(images, familiarString(refs[0])) : !refs.length;
    if (missing) {
      throw notFound(
        `An image does not exist locally with the tag: ${
          familiarString({ ...repo, tag: undefined })
        }`,
      );
    }
    for (const ref of refs) {
      const found = findIn(images, familiarString(ref))!;
      // Docker names push lines by the layer's diff_id; containerd by the blob digest.
      const detail = await d.containerd.images.get(primaryName(found.entry));
      const ids = new Map(
        detail.layers.map((l, i) => [l.digest.slice(7, 19), detail.diffIDs[i].slice(7, 19)]),
      );
      const done = await d.containerd.images.push(referenceString(ref), {
        auth,
        registry: registryConfig(d),
        concurrency: d.opts.maxConcurrentUploads,
        signal: s.signal,
        onProgress: (l) => s.send(progressMessage({ ...l, id: ids.get(l.id) ?? l.id })),
      });
      s.send({ status: `${ref.tag}: digest: ${done.digest} size: ${done.size}` });
      s.send({ progressDetail: {}, aux: { Tag: ref.tag, Digest: done.digest, Size: done.size } });
      await d.containerd.images.tag(
        referenceString(ref),
        referenceString({ ...repo, digest: done.digest }),
      ).catch(() => {});
      d.events.publish("image", "push", familiarString(ref), {
        name: familiarString({ ...repo }),
      });
    }
  });
  return { stream, contentType: "application/json" };
}
