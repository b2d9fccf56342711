// GET /images/{name}/json and /images/{name}/history: Docker's ImageInspect and history
// items, from containerd's record, image config and layers.

import { errorKind, notFound } from "../../lib/errors.ts";
import type { ImageDetail } from "../../containerd/api/images.ts";
import type { Daemon } from "../daemon.ts";
import { buildCacheOf } from "../build/cache.ts";
import { layerSizesOf } from "./list.ts";
import { versionBelow } from "../http/api_version.ts";
import {
  allImages,
  findImage,
  type ImageEntry,
  imageSize,
  primaryName,
  repoDigests,
  repoTags,
  unixSeconds,
  withDefaultTag,
} from "./lookup.ts";

/** The keys of Docker's container.Config, in its order (image Config / ContainerConfig). */
export function dockerConfig(raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const c = raw ?? {};
  const out: Record<string, unknown> = {
    Hostname: c.Hostname ?? "",
    Domainname: c.Domainname ?? "",
    User: c.User ?? "",
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
  };
  if (c.ExposedPorts) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, {
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
  });
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = c.ArgsEscaped;
  Object.assign(out, {
    Image: c.Image ?? "",
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? "",
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
  });
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Shell) out.Shell = c.Shell;
  return out;
}

export async function detailOf(d: Daemon, raw: string): Promise<[ImageEntry, ImageDetail]> {
  const { entry } = await findImage(d.containerd, raw);
  return [entry, await d.containerd.images.get(primaryName(entry))];
}

export async function inspectImage(d: Daemon, raw: string, version: string) {
  let found: [ImageEntry, ImageDetail];
  try {
    found = await detailOf(d, raw);
  } catch (err) {
    if (errorKind(err) === "not_found") {
      throw notFound(`no such image: ${raw}: No such image: ${withDefaultTag(raw)}`);
    }
    throw err;
  }
  const [entry, detail] = found;
  const cfg = detail.config as Record<string, unknown>;
  const size = imageSize(detail);
  const lastTag = entry.records.map((r) => r.updatedAt).sort().at(-1);
  const out: Record<string, unknown> = {
    Id: entry.id,
    RepoTags: repoTags(entry),
    RepoDigests: repoDigests(entry),
    Parent: (await buildCacheOf(d).parents()).get(entry.id) ?? "",
    Comment: typeof cfg.comment === "string" ? cfg.comment : lastComment(cfg),
    Created: detail.config.created ?? "0001-01-01T00:00:00Z",
    Container: cfg.container ?? "",
    ContainerConfig: dockerConfig(cfg.container_config as Record<string, unknown>),
    DockerVersion: cfg.docker_version ?? "",
    Author: cfg.author ?? "",
    Config: dockerConfig(detail.config.config as Record<string, unknown>),
    Architecture: detail.platform.architecture,
  };
  if (detail.platform.variant) out.Variant = detail.platform.variant;
  Object.assign(out, {
    Os: detail.platform.os,
    Size: size,
    ...(versionBelow(version, "1.44") ? { VirtualSize: size } : {}),
    GraphDriver: { Data: null, Name: "overlayfs" },
    RootFS: { Type: "layers", Layers: detail.diffIDs },
    Metadata: { LastTagTime: lastTag ?? "0001-01-01T00:00:00Z" },
  });
  return out;
}

function lastComment(cfg: Record<string, unknown>): string {
  const h = cfg.history;
  if (!Array.isArray(h) || !h.length) return "";
  const c = (h.at(-1) as { comment?: unknown }).comment;
  return typeof c === "string" ? c : "";
}

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Newest first; the top item carries the image ID and tags, older ones "<missing>". */
export async function imageHistory(d: Daemon, raw: string): Promise<HistoryItem[]> {
  const [entry, detail] = await detailOf(d, raw);
  type Entry = { created?: string; created_by?: string; comment?: string; empty_layer?: boolean };
  const history = (detail.config.history ?? []) as Entry[];
  const sizes = layerSizesOf(detail);
  const items: HistoryItem[] = [];
  let layer = 0;
  const entries: Entry[] = history.length
    ? history
    : detail.diffIDs.map(() => ({ created: detail.config.created }));
  for (const h of entries) {
    const empty = !!h.empty_layer;
    items.push({
      Id: "<missing>",
      Created: unixSeconds(h.created),
      CreatedBy: h.created_by ?? "",
      Tags: null,
      Size: empty ? 0 : sizes[layer] ?? 0,
      Comment: h.comment ?? "",
    });
    if (!empty) layer++;
  }
  items.reverse();
  // Docker's IDs down the parent chain: the image, its parent, … (a build's intermediates).
  const parents = await buildCacheOf(d).parents();
  const images = await allImages(d.containerd);
  let id: string | undefined = entry.id;
  for (const item of items) {
    const e = images.get(id);
    if (!e) break;
    item.Id = id;
    item.Tags = repoTags(e).length ? repoTags(e) : null;
    id = parents.get(id);
    if (!id) break;
  }
  return items;
}
