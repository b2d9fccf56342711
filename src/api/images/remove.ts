// POST /images/{name}/tag, DELETE /images/{name} (Docker's ImageDelete: untag a reference,
// or delete by ID; conflicts with containers unless forced) and POST /images/prune. A
// build's intermediate images (parents, from the build's index) stay while they have
// children, and go with the last image using them, as Docker's prune of parents.

import { conflict, invalidArgument } from "../../lib/errors.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  withTag,
} from "../../lib/reference.ts";
import { buildCacheOf } from "../build/cache.ts";
import type { Daemon } from "../daemon.ts";
import { matchLabels, parseFilters } from "../http/filters.ts";
import { listDetailed } from "./list.ts";
import {
  allImages,
  findImage,
  type ImageEntry,
  imageSize,
  isDangling,
  recordRef,
  unixSeconds,
} from "./lookup.ts";

export async function tagImage(d: Daemon, source: string, repo: string, tag: string) {
  const { entry } = await findImage(d.containerd, source);
  if (!repo) throw invalidArgument("repository name must have at least one component");
  const parsed = parseNormalizedNamed(repo);
  if (parsed.digest) throw invalidArgument("refusing to create a tag with a digest reference");
  const target = withTag(
    { domain: parsed.domain, path: parsed.path },
    tag || parsed.tag || "latest",
  );
  const src = entry.records[0].name;
  await d.containerd.images.tag(src, referenceString(target));
  // The image is named now: its dangling record (an unnamed import) has done its job.
  for (const r of entry.records) {
    if (isDangling(r.name)) await d.containerd.images.remove(r.name).catch(() => {});
  }
  d.events.publish("image", "tag", entry.id, { name: familiarString(target) });
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

/** Containers using an image: [running ids, stopped ids]. */
function users(d: Daemon, id: string): [string[], string[]] {
  const running: string[] = [];
  const stopped: string[] = [];
  for (const c of d.store.all()) {
    if (c.rec.Image !== id) continue;
    (c.rec.State.Running ? running : stopped).push(c.rec.ID);
  }
  return [running, stopped];
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

async function untag(d: Daemon, entry: ImageEntry, name: string, out: DeleteItem[]) {
  await d.containerd.images.remove(name);
  const ref = recordRef(name);
  out.push({ Untagged: ref ? familiarString(ref) : name });
  d.events.publish("image", "untag", entry.id, { name: entry.id });
}

/** Removes every record of the image (its content and layers go with the last one). */
async function deleteAll(d: Daemon, entry: ImageEntry, out: DeleteItem[]) {
  const rest = (await allImages(d.containerd)).get(entry.id)?.records ?? [];
  for (const r of rest) {
    const ref = recordRef(r.name);
    await d.containerd.images.remove(r.name);
    if (ref) {
      out.push({ Untagged: familiarString(ref) });
      d.events.publish("image", "untag", entry.id, { name: entry.id });
    }
  }
  out.push({ Deleted: entry.id });
  d.events.publish("image", "delete", entry.id, { name: entry.id });
  await buildCacheOf(d).forget(entry.id); // its cache entries would name nothing
}

/** Images made from `id` that still exist. */
async function children(d: Daemon, id: string, images: Map<string, ImageEntry>) {
  const parents = await buildCacheOf(d).parents();
  return [...parents].filter(([c, p]) => p === id && images.has(c)).map(([c]) => c);
}

/** The deleted image's parents that are now untagged, childless and unused go too. */
async function deleteParents(d: Daemon, parent: string | undefined, out: DeleteItem[]) {
  const parents = await buildCacheOf(d).parents();
  const images = await allImages(d.containerd);
  for (let cur = parent; cur;) {
    const entry = images.get(cur);
    if (!entry || entry.tags.length || entry.digests.length) return;
    if ((await children(d, cur, images)).length) return;
    const [running, stopped] = users(d, cur);
    if (running.length || stopped.length) return;
    await deleteAll(d, entry, out);
    images.delete(cur);
    cur = parents.get(entry.id);
  }
}

export async function deleteImage(d: Daemon, raw: string, force: boolean): Promise<DeleteItem[]> {
  const { entry, ref } = await findImage(d.containerd, raw);
  const [running, stopped] = users(d, entry.id);
  const out: DeleteItem[] = [];
  const named = [...entry.tags, ...entry.digests];
  if (ref) {
    const single = new Set(named.map((r) => `${r.domain}/${r.path}`)).size <= 1 &&
      entry.tags.length <= 1;
    const user = running[0] ?? stopped[0];
    if (!force && single && user) {
      throw conflict(
        `conflict: unable to remove repository reference ${JSON.stringify(raw)} (must force) - ` +
          `container ${short(user)} is using its referenced image ${short(entry.id)}`,
      );
    }
    const left = named.filter((r) => referenceString(r) !== referenceString(ref));
    // The repository's digest references go with its last tag.
    const lastTag = !ref.digest && !left.some((r) => !r.digest && sameRepo(r, ref));
    const digestRefs = lastTag ? left.filter((r) => r.digest && sameRepo(r, ref)) : [];
    const remaining = left.filter((r) => !digestRefs.includes(r));
    if (!remaining.length && running.length) {
      // Without a name containerd would collect the image under the running container.
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (cannot be forced) - image is being ` +
          `used by running container ${short(running[0])}`,
      );
    }
    await untag(d, entry, referenceString(ref), out);
    for (const r of digestRefs) await untag(d, entry, referenceString(r), out);
    if (remaining.length) return out;
    // A parent of other images stays, untagged (Docker ignores that conflict here).
    if ((await children(d, entry.id, await allImages(d.containerd))).length) return out;
  } else {
    const repos = new Set(named.map((r) => `${r.domain}/${r.path}`));
    if (repos.size > 1 && !force) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (must be forced) - image is referenced ` +
          `in multiple repositories`,
      );
    }
    if (running.length) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (cannot be forced) - image is being ` +
          `used by running container ${short(running[0])}`,
      );
    }
    if ((await children(d, entry.id, await allImages(d.containerd))).length) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (cannot be forced) - image has ` +
          `dependent child images`,
      );
    }
    if (stopped.length && !force) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (must be forced) - image is being ` +
          `used by stopped container ${short(stopped[0])}`,
      );
    }
  }
  const parent = (await buildCacheOf(d).parents()).get(entry.id);
  await deleteAll(d, entry, out);
  await deleteParents(d, parent, out);
  return out;
}

function sameRepo(a: Reference, b: Reference): boolean {
  return a.domain === b.domain && a.path === b.path;
}

export async function pruneImages(d: Daemon, rawFilters: string | null) {
  const filters = parseFilters(rawFilters, ["dangling", "label", "label!", "until"]);
  const danglingOnly = !["false", "0"].includes(filters.get("dangling")?.[0] ?? "true");
  const until = filters.get("until")?.[0];
  const untilTs = until ? (/^\d+$/.test(until) ? Number(until) : Date.parse(until) / 1000) : 0;
  const used = new Set(d.store.all().map((c) => c.rec.Image));
  const deleted: DeleteItem[] = [];
  let reclaimed = 0;
  const listed = await listDetailed(d);
  const images = new Map(listed.map((l) => [l.entry.id, l.entry]));
  for (const { entry, detail } of listed) {
    if (used.has(entry.id)) continue;
    if (deleted.some((x) => "Deleted" in x && x.Deleted === entry.id)) continue; // a parent
    // Only heads, as Docker's: a parent goes with the last image leading from it.
    if ((await children(d, entry.id, images)).length) continue;
    if (danglingOnly && entry.tags.length) continue;
    const labels = detail.config.config?.Labels ?? {};
    if (!matchLabels(filters.get("label"), labels)) continue;
    if (filters.get("label!")?.some((l) => matchLabels([l], labels))) continue;
    if (untilTs && unixSeconds(detail.config.created) >= untilTs) continue;
    const parent = (await buildCacheOf(d).parents()).get(entry.id);
    await deleteAll(d, entry, deleted);
    images.delete(entry.id);
    reclaimed += imageSize(detail);
    await deleteParents(d, parent, deleted);
  }
  d.events.publish("image", "prune", "", { reclaimed: String(reclaimed) });
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
