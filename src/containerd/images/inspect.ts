// What the API says about an image record: its platform manifest, config, layers, chain
// ids and sizes, read from the content store (bounded reads) and the snapshotter.

import { wrap } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import type { ImageDetail, ImageSummary } from "../api/images.ts";
import type { Image } from "../metadata/store.ts";
import { resolveImage } from "../metadata/resolve.ts";
import type { Services } from "../services.ts";
import { chainIDs } from "../snapshots/mod.ts";

export async function imageDetail(s: Services, image: Image): Promise<ImageDetail> {
  const r = await resolveImage(s.content, image);
  const cfg = r.config as Record<string, unknown>;
  const diffIDs = r.config.rootfs.diff_ids;
  const chain = chainIDs(diffIDs);
  let layerSizes: number[] | undefined = [];
  for (const id of chain) {
    if (!s.snapshots.has(id) || s.snapshots.stat(id).kind !== "committed") {
      layerSizes = undefined;
      break;
    }
    layerSizes.push((await s.snapshots.usage(id)).size);
  }
  const unpackedSize = layerSizes?.reduce((a, b) => a + b, 0);
  const size = r.manifestDescriptor.size + r.configDescriptor.size +
    r.layers.reduce((n, l) => n + l.size, 0);
  return {
    name: image.name,
    target: image.target,
    id: r.configDescriptor.digest,
    manifestDigest: r.manifestDescriptor.digest,
    size,
    ...(unpackedSize !== undefined ? { unpackedSize } : {}),
    ...(typeof cfg.created === "string" ? { created: cfg.created } : {}),
    labels: image.labels,
    createdAt: image.createdAt,
    updatedAt: image.updatedAt,
    platform: {
      os: r.config.os ?? "linux",
      architecture: r.config.architecture ?? "",
      ...(r.config.variant ? { variant: r.config.variant } : {}),
    },
    manifest: r.manifestDescriptor,
    configDescriptor: r.configDescriptor,
    config: r.config as ImageDetail["config"],
    layers: r.layers,
    diffIDs,
    chainIDs: chain,
    chainID: chain.at(-1) ?? "",
    ...(layerSizes ? { layerSizes } : {}),
    unpacked: unpackedSize !== undefined,
  };
}

export async function imageSummary(s: Services, image: Image): Promise<ImageSummary> {
  const d = await imageDetail(s, image);
  return {
    name: d.name,
    target: d.target,
    id: d.id,
    manifestDigest: d.manifestDigest,
    size: d.size,
    ...(d.unpackedSize !== undefined ? { unpackedSize: d.unpackedSize } : {}),
    ...(d.created !== undefined ? { created: d.created } : {}),
    labels: d.labels,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    platform: d.platform,
  };
}

/** Every image; one that cannot be resolved (content missing) is skipped, not fatal. */
export async function listImages(s: Services): Promise<ImageSummary[]> {
  const out: ImageSummary[] = [];
  for (const image of s.meta.images.list()) {
    try {
      out.push(await imageSummary(s, image));
    } catch (err) {
      log("warn", `list images: ${wrap(err, image.name).message}`);
    }
  }
  return out;
}
