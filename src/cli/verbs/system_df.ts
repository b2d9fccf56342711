// engine system df [-v] [--format]: GET /system/df rendered as docker's DiskUsageContext —
// a TYPE/TOTAL/ACTIVE/SIZE/RECLAIMABLE summary, or with -v the images (first tag only,
// shared and unique sizes, containers), containers, volumes and build cache tables.

import type { Invocation } from "../command.ts";
import { type ApiContainer, ContainerContext } from "../format/containers.ts";
import { renderRows, resolveFormat, RowContext } from "../format/formatter.ts";
import { type ApiImage, ImageContext } from "../format/images.ts";
import { familiarName, parseNormalizedNamed } from "../../lib/reference.ts";
import { humanSize } from "../units.ts";
import { clientFor, write } from "./common.ts";

interface ApiVolumeUsage {
  Name: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

interface DiskUsage {
  LayersSize?: number;
  Images?: ApiImage[] | null;
  Containers?: ApiContainer[] | null;
  Volumes?: ApiVolumeUsage[] | null;
  BuilderSize?: number;
}

const SUMMARY_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
const IMAGES_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}" +
  "\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
const CONTAINERS_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}" +
  "\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
const VOLUMES_TABLE = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
const CACHE_TABLE = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}" +
  "\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";

/** "1.2MB (45%)" as docker's reclaimable column. */
function reclaimable(n: number, total: number): string {
  return total > 0 ? `${humanSize(n)} (${Math.trunc((n * 100) / total)}%)` : humanSize(n);
}

class SummaryRow extends RowContext {
  readonly typeName = "*formatter.diskUsageContext";
  constructor(
    readonly Type: string,
    readonly TotalCount: string,
    readonly Active: string,
    readonly Size: string,
    readonly Reclaimable: string,
  ) {
    super();
  }
  headers(): Record<string, string> {
    return {
      Type: "TYPE",
      TotalCount: "TOTAL",
      Active: "ACTIVE",
      Size: "SIZE",
      Reclaimable: "RECLAIMABLE",
    };
  }
}

/** docker's volumeContext, the df columns. */
class VolumeUsageRow extends RowContext {
  readonly typeName = "*formatter.volumeContext";
  constructor(readonly v: ApiVolumeUsage) {
    super();
  }
  headers(): Record<string, string> {
    return { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" };
  }
  get Name(): string {
    return this.v.Name;
  }
  get Links(): string {
    const n = this.v.UsageData?.RefCount ?? -1;
    return n === -1 ? "N/A" : String(n);
  }
  get Size(): string {
    const n = this.v.UsageData?.Size ?? -1;
    return n === -1 ? "N/A" : humanSize(n);
  }
}

/** docker's buildCacheContext: only its header, no cache records here. */
class CacheHeader extends RowContext {
  readonly typeName = "*formatter.buildCacheContext";
  headers(): Record<string, string> {
    return {
      ID: "CACHE ID",
      CacheType: "CACHE TYPE",
      Size: "SIZE",
      CreatedSince: "CREATED",
      LastUsedSince: "LAST USED",
      UsageCount: "USAGE",
      Shared: "SHARED",
    };
  }
}

function summary(df: DiskUsage): SummaryRow[] {
  const images = df.Images ?? [];
  const containers = df.Containers ?? [];
  const volumes = df.Volumes ?? [];
  const layers = df.LayersSize ?? 0;
  const active = images.filter((i) => (i.Containers ?? 0) > 0);
  const used = active.reduce(
    (s, i) => (i.Size === -1 || i.SharedSize === -1 ? s : s + (i.Size ?? 0) - (i.SharedSize ?? 0)),
    0,
  );
  const ctrSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => c.State !== "running")
    .reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  let volSize = 0;
  let volReclaim = 0;
  for (const v of volumes) {
    const size = v.UsageData?.Size ?? -1;
    if (size === -1) continue;
    volSize += size;
    if ((v.UsageData?.RefCount ?? 0) === 0) volReclaim += size;
  }
  const builder = df.BuilderSize ?? 0;
  return [
    new SummaryRow(
      "Images",
      String(images.length),
      String(active.length),
      humanSize(layers),
      reclaimable(layers - used, layers),
    ),
    new SummaryRow(
      "Containers",
      String(containers.length),
      String(containers.filter((c) => c.State === "running").length),
      humanSize(ctrSize),
      reclaimable(ctrReclaim, ctrSize),
    ),
    new SummaryRow(
      "Local Volumes",
      String(volumes.length),
      String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
      humanSize(volSize),
      reclaimable(volReclaim, volSize),
    ),
    new SummaryRow("Build Cache", "0", "0", humanSize(builder), humanSize(builder)),
  ];
}

/** The verbose image row: the first tag only, <none> for dangling images. */
function imageRow(i: ApiImage): ImageContext {
  let repo = "<none>";
  let tag = "<none>";
  const first = (i.RepoTags ?? []).find((t) => t !== "<none>:<none>");
  if (first) {
    try {
      const ref = parseNormalizedNamed(first);
      if (ref.tag) [repo, tag] = [familiarName(ref), ref.tag];
    } catch { /* shown as <none> */ }
  }
  return new ImageContext(i, repo, tag, "");
}

function verbose(df: DiskUsage): string {
  const images = (df.Images ?? []).map(imageRow);
  const containers = (df.Containers ?? []).map((c) =>
    // The virtual size is left out, as docker does here.
    new ContainerContext({ ...c, SizeRootFs: 0 })
  );
  const volumes = (df.Volumes ?? []).map((v) => new VolumeUsageRow(v));
  return "Images space usage:\n\n" +
    renderRows(IMAGES_TABLE, images, new ImageContext({ Id: "" }, "", "", "")) +
    "\nContainers space usage:\n\n" +
    renderRows(CONTAINERS_TABLE, containers, new ContainerContext({ Id: "" } as ApiContainer)) +
    "\nLocal Volumes space usage:\n\n" +
    renderRows(VOLUMES_TABLE, volumes, new VolumeUsageRow({ Name: "" })) +
    `\nBuild cache usage: ${humanSize(df.BuilderSize ?? 0)}\n\n` +
    renderRows(CACHE_TABLE, [], new CacheHeader());
}

export async function systemDf(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const df = await client.json<DiskUsage>("GET", "/system/df");
  if (inv.flags.bool("verbose")) {
    write(verbose(df));
    return 0;
  }
  const format = resolveFormat({ format: inv.flags.string("format"), defaultTable: SUMMARY_TABLE });
  write(renderRows(format, summary(df)));
  return 0;
}
