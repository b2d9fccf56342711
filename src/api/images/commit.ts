// POST /commit: a container's changes (its snapshot's upper dir) as a new image layer, by
// containerd. The image's config is the container's, with the body's non-empty fields over
// it (Docker's merge); repo/tag name it, comment/author go into its history.

import { invalidArgument } from "../../lib/errors.ts";
import { parseNormalizedNamed, referenceString, withTag } from "../../lib/reference.ts";
import type { Daemon } from "../daemon.ts";

export async function commitContainer(
  d: Daemon,
  container: string,
  q: URLSearchParams,
  body: Record<string, unknown>,
): Promise<string> {
  const c = d.store.get(container);
  if (q.getAll("changes").some((x) => x.trim())) {
    throw invalidArgument("commit --change is not supported");
  }
  const repo = q.get("repo") ?? "";
  let ref: string | undefined;
  if (repo) {
    const parsed = parseNormalizedNamed(repo);
    if (parsed.digest) throw invalidArgument("refusing to create a tag with a digest reference");
    ref = referenceString(
      withTag({ domain: parsed.domain, path: parsed.path }, q.get("tag") || "latest"),
    );
  }
  const config: Record<string, unknown> = {
    ...(c.rec.Config as unknown as Record<string, unknown>),
  };
  for (const [k, v] of Object.entries(body)) {
    if (v !== null && v !== "" && !(Array.isArray(v) && !v.length)) config[k] = v;
  }
  const result = await d.containerd.images.commit({
    container: c.rec.ID,
    ref,
    config,
    comment: q.get("comment") || undefined,
    author: q.get("author") || undefined,
  });
  const id = result.images[0].id;
  d.events.publish("container", "commit", c.rec.ID, {
    comment: q.get("comment") ?? "",
    imageID: id,
    imageRef: ref ?? "",
    name: c.rec.Name.replace(/^\//, ""),
  });
  return id;
}
