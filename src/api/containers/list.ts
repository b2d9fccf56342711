// GET /containers/json: all, limit, size and filters (status, name, label, id, ancestor,
// exited, before, since, health, network, volume), newest first as Docker lists them.
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { type Filters, matchLabels } from "../http/filters.ts";
import type { Container } from "./store.ts";
import { mountPointsOf } from "../volumes/mounts.ts";

const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

export const LIST_FILTERS = [
  "status",
  "name",
  "label",
  "id",
  "ancestor",
  "exited",
  "before",
  "since",
  "health",
  "network",
  "is-task",
  "volume",
  "expose",
  "publish",
];

export function listContainers(
  d: Daemon,
  o: { all: boolean; limit?: number; filters: Filters },
): Container[] {
  const f = o.filters;
  for (const s of f.get("status") ?? []) {
    if (!STATUSES.includes(s)) throw invalidArgument(`Invalid filter 'status=${s}'`);
  }
  let list = d.store.all().sort((a, b) => b.rec.Created.localeCompare(a.rec.Created));
  const ref = (key: string) => {
    const v = f.get(key)?.[0];
    if (!v) return undefined;
    return d.store.get(v).rec.Created;
  };
  const before = ref("before");
  const since = ref("since");
  const all = o.all || f.has("status") || f.has("exited") || !!before || !!since ||
    (o.limit ?? 0) > 0;
  list = list.filter((c) => {
    const r = c.rec;
    if (!all && !r.State.Running) return false;
    const statuses = f.get("status");
    if (statuses?.length && !statuses.includes(r.State.Status)) return false;
    const names = f.get("name");
    if (
      names?.length &&
      !names.some((n) => new RegExp(n).test(r.Name.slice(1)) || new RegExp(n).test(r.Name))
    ) {
      return false;
    }
    const ids = f.get("id");
    if (ids?.length && !ids.some((i) => r.ID.startsWith(i))) return false;
    if (!matchLabels(f.get("label"), r.Config.Labels ?? {})) return false;
    const anc = f.get("ancestor");
    if (anc?.length && !anc.some((a) => matchesImage(c, a))) return false;
    const exited = f.get("exited");
    if (exited?.length) {
      if (r.State.Running || r.State.Status === "created") return false;
      if (!exited.includes(String(r.State.ExitCode))) return false;
    }
    const health = f.get("health");
    if (health?.length && !health.includes(r.State.Health?.Status ?? "none")) return false;
    const nets = f.get("network");
    if (nets?.length) {
      // A network's name or (a prefix of) its id, as dockerd matches it.
      const on = Object.entries(r.NetworkSettings?.Networks ?? {});
      if (!nets.some((n) => on.some(([name, es]) => name === n || es.NetworkID.startsWith(n)))) {
        return false;
      }
    }
    const volumes = f.get("volume");
    if (volumes?.length && !volumes.some((v) => mountsVolume(c, v))) return false;
    if (before && r.Created >= before) return false;
    if (since && r.Created <= since) return false;
    return true;
  });
  if (o.limit && o.limit > 0) list = list.slice(0, o.limit);
  return list;
}

/** dockerd: a mount's destination, or its volume's name (a bind's source). */
function mountsVolume(c: Container, value: string): boolean {
  return mountPointsOf(c).some((m) =>
    m.Destination === value || (m.Type === "volume" ? m.Name : m.Source) === value
  );
}

function matchesImage(c: Container, ref: string): boolean {
  const r = c.rec;
  if (
    ref.startsWith("sha256:")
      ? r.Image.startsWith(ref)
      : r.Image.slice(7).startsWith(ref) && ref.length >= 4
  ) {
    return true;
  }
  const typed = r.Config.Image;
  const withTag = (s: string) => (/:[^/]+$/.test(s) ? s : `${s}:latest`);
  return withTag(typed) === withTag(ref) || r.ImageName === ref ||
    r.ImageName.endsWith("/" + withTag(ref));
}
