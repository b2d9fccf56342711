// Resolving a local image record to what a container needs: the platform's manifest, its
// config and layers, read from the content store (verified when written) with caps.

import { notFound, wrap } from "../../lib/errors.ts";
import {
  type Descriptor,
  type ImageConfig,
  Limits,
  type Manifest,
  parseImageConfig,
  parseManifest,
  type Platform,
} from "../content/oci.ts";
import type { ContentStore } from "../content/store.ts";
import { hostPlatform, selectManifest } from "../registry/platform.ts";
import type { Image } from "./images.ts";

export interface ResolvedImage {
  image: Image;
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  layers: Descriptor[];
}

/** Reads an image's manifest (choosing `platform` from an index) and config. */
export async function resolveImage(
  content: ContentStore,
  image: Image,
  platform: Platform = hostPlatform(),
): Promise<ResolvedImage> {
  try {
    let desc: Descriptor = image.target;
    let parsed = parseManifest(
      await content.readAll(desc.digest, Limits.manifest),
      desc.mediaType,
      `manifest ${desc.digest}`,
    );
    if (parsed.kind === "index") {
      desc = selectManifest(parsed.index.manifests, platform);
      if (!(await content.has(desc.digest))) {
        throw notFound(`manifest ${desc.digest} for this platform was not pulled`);
      }
      parsed = parseManifest(
        await content.readAll(desc.digest, Limits.manifest),
        desc.mediaType,
        `manifest ${desc.digest}`,
      );
    }
    if (parsed.kind !== "manifest") throw notFound(`manifest ${desc.digest}: nested index`);
    const m = parsed.manifest;
    const config = parseImageConfig(
      await content.readAll(m.config.digest, Limits.config),
      `image config ${m.config.digest}`,
    );
    return {
      image,
      manifestDescriptor: desc,
      manifest: m,
      configDescriptor: m.config,
      config,
      layers: m.layers,
    };
  } catch (err) {
    throw wrap(err, `resolve image ${image.name}`);
  }
}
