// POST /images/{name}/tag, DELETE /images/{name} (Docker's ImageDelete: untag a reference,
// or delete by ID; conflicts with containers unless forced) and POST /images/prune. A
// build's intermediate images (parents, from the build's index) stay while they have
// children, and go with the last image using them, as Docker's prune of parents. An image
// that loses its last name while children or a running container need it stays, untagged,
// under its dangling record.

import { conflict, errorKind, invalidArgument } from "../../lib/errors.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  withTag,
} from "../../lib/reference.ts";
import { DANGLING_PREFIX } from "../../containerd/api/images.ts";
import { buildCacheOf } from "../build/cache.ts";
import type { Daemon } from "../daemon.ts";
import { matchLabels, parseFilters } from "../http/filters.ts";
import { listDetailed } from "./list.ts";
import {
  allImages,
  findImage,
  type ImageEntry,
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

/** `released`: the layers (chain ids) containerd let go with this record, for deleteAll. */
async function untag(
  d: Daemon,
  entry: ImageEntry,
  name: string,
  out: DeleteItem[],
  released: string[],
) {
  const res = await d.containerd.images.remove(name);
  released.push(...res.deletedSnapshots);
  const ref = recordRef(name);
  out.push({ Untagged: ref ? familiarString(ref) : name });
  d.events.publish("image", "untag", entry.id, { name: entry.id });
}

/**
 * Makes sure the image has its dangling record before its last name goes: containerd keeps
 * only named images, and Docker keeps an untagged image that children or a running
 * container still need (listed as <none>:<none>).
 */
async function keepUnnamed(d: Daemon, entry: ImageEntry): Promise<void> {
  if (entry.records.some((r) => isDangling(r.name))) return;
  const r = entry.records[0];
  await d.containerd.images.tag(r.name, DANGLING_PREFIX + r.target.digest);
}

/**
 * Removes every record of the image (its content and layers go with the last one); the
 * layers (chain ids) nothing needs any more are reported after the image, as Docker's,
 * with those an untag released before (`released`).
 */
async function deleteAll(d: Daemon, entry: ImageEntry, out: DeleteItem[], released: string[] = []) {
  const rest = (await allImages(d.containerd)).get(entry.id)?.records ?? [];
  const layers = [...released];
  for (const r of rest) {
    const ref = recordRef(r.name);
    const res = await d.containerd.images.remove(r.name);
    layers.push(...res.deletedSnapshots);
    if (ref) {
      out.push({ Untagged: familiarString(ref) });
      d.events.publish("image", "untag", entry.id, { name: entry.id });
    }
  }
  out.push({ Deleted: entry.id });
  for (const l of layers) out.push({ Deleted: l });
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

/**
 * Docker's ImageDelete. By reference: untag (a last tag used by a container needs force);
 * the image goes with its last name unless child images or a running container need it,
 * then it stays untagged. By ID: every name and the image, refused (409) while it has
 * children or a running container, or without force while several repositories name it
 * or a stopped container uses it (dockerd's order of checks).
 */
export async function deleteImage(d: Daemon, raw: string, force: boolean): Promise<DeleteItem[]> {
  const { entry, ref } = await findImage(d.containerd, raw);
  const [running, stopped] = users(d, entry.id);
  const out: DeleteItem[] = [];
  const released: string[] = [];
  const named = [...entry.tags, ...entry.digests];
  const hasChildren = async () =>
    (await children(d, entry.id, await allImages(d.containerd))).length > 0;
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
    // Docker ignores these conflicts here: the image stays, untagged.
    const keep = !remaining.length && (running.length > 0 || await hasChildren());
    if (keep) await keepUnnamed(d, entry);
    await untag(d, entry, referenceString(ref), out, released);
    for (const r of digestRefs) await untag(d, entry, referenceString(r), out, released);
    if (remaining.length || keep) return out;
  } else {
    if (await hasChildren()) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (cannot be forced) - image has ` +
          `dependent child images`,
      );
    }
    if (running.length) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (cannot be forced) - image is being ` +
          `used by running container ${short(running[0])}`,
      );
    }
    const repos = new Set(named.map((r) => `${r.domain}/${r.path}`));
    if (repos.size > 1 && !force) {
      throw conflict(
        `conflict: unable to delete ${short(entry.id)} (must be forced) - image is referenced ` +
          `in multiple repositories`,
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
  await deleteAll(d, entry, out, released);
  await deleteParents(d, parent, out);
  return out;
}

function sameRepo(a: Reference, b: Reference): boolean {
  return a.domain === b.domain && a.path === b.path;
}

/**
 * Docker's ImagesPrune: the top images (dangling only: those without children; else also
 * every named one), each deleted as `rmi` would without force (by each of its names, or by
 * ID when unnamed), conflicts skipped; parents go with their last child. SpaceReclaimed adds
 * up the layers that went.
 */
export async function pruneImages(d: Daemon, rawFilters: string | null) {
  const filters = parseFilters(rawFilters, ["dangling", "label", "label!", "until"]);
  const danglingOnly = !["false", "0"].includes(filters.get("dangling")?.[0] ?? "true");
  const until = filters.get("until")?.[0];
  const untilTs = until ? (/^\d+$/.test(until) ? Number(until) : Date.parse(until) / 1000) : 0;
  const listed = await listDetailed(d);
  const images = new Map(listed.map((l) => [l.entry.id, l.entry]));
  const layerSizes = new Map<string, number>();
  for (const { detail } of listed) {
    detail.chainIDs.forEach((c, i) => layerSizes.set(c, detail.layerSizes?.[i] ?? 0));
  }
  const top = [];
  for (const { entry, detail } of listed) {
    const named = entry.tags.length > 0 || entry.digests.length > 0;
    if ((danglingOnly || !named) && (await children(d, entry.id, images)).length) continue;
    if (danglingOnly && entry.tags.length) continue;
    const labels = detail.config.config?.Labels ?? {};
    if (!matchLabels(filters.get("label"), labels)) continue;
    if (filters.get("label!")?.some((l) => matchLabels([l], labels))) continue;
    if (untilTs && unixSeconds(detail.config.created) >= untilTs) continue;
    top.push(entry);
  }
  const deleted: DeleteItem[] = [];
  for (const entry of top) {
    const names = [...entry.tags, ...entry.digests].map(referenceString).sort();
    for (const name of names.length ? names : [entry.id]) {
      try {
        deleted.push(...await deleteImage(d, name, false));
      } catch (err) {
        // Gone with an image deleted before it, or a conflict (in use, has children).
        if (!["conflict", "not_found"].includes(errorKind(err))) throw err;
      }
    }
  }
  let reclaimed = 0;
  for (const x of deleted) if ("Deleted" in x) reclaimed += layerSizes.get(x.Deleted) ?? 0;
  d.events.publish("image", "prune", "", { reclaimed: String(reclaimed) });
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
