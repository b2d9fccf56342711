// The volume API's operations: create, list (filters dangling/name/label/driver), inspect,
// remove (409 while a container refers to it) and prune; usage is counted from the
// container store (each container's MountPoints) and the creations in flight.
import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import { directorySize } from "../../lib/directory_size.ts";
import type { Daemon } from "../daemon.ts";
import { matchLabels, parseFilters } from "../http/filters.ts";
import { mountPointsOf } from "./mounts.ts";
import { ANONYMOUS_LABEL, type VolumeMeta, volumeStore } from "./store.ts";

const Str = z.string().max(1 << 12);
export const volumeCreateSchema = z.looseObject({
  Name: Str.default(""),
  Driver: Str.default(""),
  DriverOpts: z.record(Str, Str).refine((r) => Object.keys(r).length <= 64, "too many options")
    .nullish(),
  Labels: z.record(Str, Str).refine((r) => Object.keys(r).length <= 256, "too many labels")
    .nullish(),
});
export type VolumeCreate = z.infer<typeof volumeCreateSchema>;

/** Container ids using each volume (saved containers and creations in flight). */
export async function volumeUsers(d: Daemon): Promise<Map<string, string[]>> {
  const s = await volumeStore(d);
  const users = new Map<string, string[]>();
  const add = (name: string, id: string) => {
    const l = users.get(name) ?? [];
    if (!l.includes(id)) l.push(id);
    users.set(name, l);
  };
  for (const c of d.store.all()) {
    for (const m of mountPointsOf(c)) if (m.Type === "volume" && m.Name) add(m.Name, c.rec.ID);
  }
  for (const [name, ids] of s.pending) for (const id of ids) add(name, id);
  return users;
}

export async function volumeView(d: Daemon, v: VolumeMeta) {
  const s = await volumeStore(d);
  return {
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: v.Labels,
    Mountpoint: s.dataPath(v.Name),
    Name: v.Name,
    Options: Object.keys(v.Options).length ? v.Options : null,
    Scope: "local",
  };
}

export async function createVolume(d: Daemon, body: VolumeCreate) {
  if (body.Driver && body.Driver !== "local") {
    throw invalidArgument(`create ${body.Name}: plugin "${body.Driver}" not found`);
  }
  const s = await volumeStore(d);
  const { meta, created } = await s.create(
    body.Name || undefined,
    body.Labels ?? {},
    body.DriverOpts ?? {},
  );
  if (created) d.events.publish("volume", "create", meta.Name, { driver: "local" });
  return await volumeView(d, meta);
}

function boolFilter(vals: string[] | undefined, key: string): boolean | undefined {
  if (!vals?.length) return undefined;
  const v = vals[vals.length - 1].toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalidArgument(`invalid filter '${key}=${vals[vals.length - 1]}'`);
}

export async function listVolumes(d: Daemon, rawFilters: string | null) {
  const f = parseFilters(rawFilters, ["dangling", "name", "label", "driver"]);
  const s = await volumeStore(d);
  const users = await volumeUsers(d);
  const dangling = boolFilter(f.get("dangling"), "dangling");
  const out = [];
  for (const v of s.all()) {
    if (dangling !== undefined && dangling === users.has(v.Name)) continue;
    const names = f.get("name");
    if (names?.length && !names.some((n) => v.Name.includes(n))) continue;
    const drivers = f.get("driver");
    if (drivers?.length && !drivers.includes(v.Driver)) continue;
    if (!matchLabels(f.get("label"), v.Labels)) continue;
    out.push(await volumeView(d, v));
  }
  out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return { Volumes: out, Warnings: null };
}

export async function inspectVolume(d: Daemon, name: string) {
  const s = await volumeStore(d);
  return await volumeView(d, s.get(name));
}

/** DELETE /volumes/{name}: 409 while in use; force only ignores a missing volume. */
export async function removeVolume(d: Daemon, name: string, force: boolean): Promise<void> {
  const s = await volumeStore(d);
  if (force && !s.find(name)) return;
  const users = (await volumeUsers(d)).get(name) ?? [];
  await s.remove(name, users);
  d.events.publish("volume", "destroy", name, { driver: "local" });
}

/** POST /volumes/prune: unused anonymous volumes (every unused one with all=true). */
export async function pruneVolumes(d: Daemon, rawFilters: string | null) {
  const f = parseFilters(rawFilters, ["label", "label!", "all"]);
  const all = boolFilter(f.get("all"), "all") ?? false;
  const s = await volumeStore(d);
  const users = await volumeUsers(d);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const v of s.all()) {
    if (users.has(v.Name)) continue;
    if (!all && !(ANONYMOUS_LABEL in v.Labels)) continue;
    if (!matchLabels(f.get("label"), v.Labels)) continue;
    const not = f.get("label!") ?? [];
    if (not.length && not.some((l) => matchLabels([l], v.Labels))) continue;
    // As moby's prune: a volume whose size cannot be read adds nothing.
    const size = Math.max(0, await directorySize(s.dataPath(v.Name)));
    try {
      await s.remove(v.Name, []);
    } catch {
      continue;
    }
    d.events.publish("volume", "destroy", v.Name, { driver: "local" });
    deleted.push(v.Name);
    reclaimed += size;
  }
  d.events.publish("volume", "prune", "", { reclaimed: String(reclaimed) });
  return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}

/** `rm -v`: the container's anonymous volumes that no other container uses. */
export async function removeAnonymousVolumes(d: Daemon, names: string[]): Promise<void> {
  if (!names.length) return;
  const s = await volumeStore(d);
  const users = await volumeUsers(d);
  for (const name of names) {
    const v = s.find(name);
    if (!v || !(ANONYMOUS_LABEL in v.Labels) || users.has(name)) continue;
    await s.remove(name, []).then(
      () => d.events.publish("volume", "destroy", name, { driver: "local" }),
      () => {},
    );
  }
}
