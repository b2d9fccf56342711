// volume create, ls, inspect, rm, prune: one request each, rendered as docker 28 does.

import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { renderRows, resolveFormat, RowContext } from "../format/formatter.ts";
import { humanSize } from "../units.ts";
import { clientFor, confirm, filtersJSON, forEachTarget, write } from "./common.ts";
import { inspectEach } from "./inspect.ts";

interface ApiVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Scope: string;
  Labels: Record<string, string> | null;
  CreatedAt?: string;
}

const DEFAULT_VOLUME_TABLE = "table {{.Driver}}\t{{.Name}}";
const HEADERS = {
  Name: "VOLUME NAME",
  Driver: "DRIVER",
  Scope: "SCOPE",
  Mountpoint: "MOUNTPOINT",
  Labels: "LABELS",
  Links: "LINKS",
  Size: "SIZE",
};

/** docker's volumeContext. */
class VolumeContext extends RowContext {
  readonly typeName = "*formatter.volumeContext";
  constructor(readonly v: ApiVolume) {
    super();
  }
  headers(): Record<string, string> {
    return HEADERS;
  }
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver;
  }
  get Scope(): string {
    return this.v.Scope;
  }
  get Mountpoint(): string {
    return this.v.Mountpoint;
  }
  get Labels(): string {
    return Object.entries(this.v.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
  }
  Label(name: string): string {
    return this.v.Labels?.[name] ?? "";
  }
  get Links(): string {
    return "N/A";
  }
  get Size(): string {
    return "N/A";
  }
}

export async function volumeCreate(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const name = inv.args[0] ?? f.string("name");
  if (inv.args[0] && f.string("name") && f.string("name") !== inv.args[0]) {
    throw new Error(
      `conflicting options: cannot specify a volume-name through both --name and as a positional arg`,
    );
  }
  const labels: Record<string, string> = {};
  for (const l of f.list("label")) {
    const i = l.indexOf("=");
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
  }
  using client = clientFor(inv);
  const v = await client.json<ApiVolume>("POST", "/volumes/create", {
    json: {
      Name: name,
      Driver: f.string("driver") || "local",
      DriverOpts: f.map("opt"),
      Labels: labels,
    },
  });
  write(`${v.Name}\n`);
  return 0;
}

export async function volumeLs(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const res = await client.json<{ Volumes: ApiVolume[] | null }>("GET", "/volumes", {
    query: { filters: filtersJSON(f.list("filter")) },
  });
  const format = resolveFormat(
    { format: f.string("format"), defaultTable: DEFAULT_VOLUME_TABLE, quiet: "{{.Name}}" },
    f.bool("quiet"),
  );
  const rows = (res.Volumes ?? []).sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((v) =>
    new VolumeContext(v)
  );
  write(renderRows(format, rows, new VolumeContext({} as ApiVolume)));
  return 0;
}

export function volumeInspect(inv: Invocation): Promise<number> {
  return inspectEach(inv, "volume");
}

export async function volumeRm(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const force = inv.flags.bool("force") || undefined;
  return await forEachTarget(
    inv.args,
    (name) => client.json("DELETE", `/volumes/${escapePath(name)}`, { query: { force } }),
  );
}

export async function volumePrune(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const all = f.bool("all");
  const warning = all
    ? "WARNING! This will remove all local volumes not used by at least one container."
    : "WARNING! This will remove anonymous local volumes not used by at least one container.";
  if (!f.bool("force") && !confirm(`${warning}\nAre you sure you want to continue?`)) return 0;
  using client = clientFor(inv);
  const filters = [...f.list("filter"), ...(all ? ["all=true"] : [])];
  const res = await client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>(
    "POST",
    "/volumes/prune",
    { query: { filters: filtersJSON(filters) } },
  );
  const deleted = res.VolumesDeleted ?? [];
  if (deleted.length) write(`Deleted Volumes:\n${deleted.join("\n")}\n\n`);
  write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`);
  return 0;
}
