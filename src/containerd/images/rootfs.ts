// `docker import`: a plain rootfs tarball (maybe compressed) becomes a one-layer image with
// a generated config. The upload is spooled to a private temp file (capped), its diff_id
// computed by decompressing it once; unpacking then refuses hostile entries.

import { createHash, randomUUID } from "node:crypto";
import { invalidArgument } from "../../lib/errors.ts";
import { decompress } from "../archive/mod.ts";
import { MediaType } from "../content/oci.ts";
import { sha256Digest } from "../content/store.ts";
import { hostPlatform } from "../registry/mod.ts";
import type { PreparedImage } from "./commit.ts";
import { detectLayerType } from "./layer_type.ts";

export interface RootfsOptions {
  /** Normalized name for the image; none: a dangling image. */
  name?: string;
  /** The history comment (docker import --message). */
  message?: string;
  /** Where the upload is spooled (a private dir). */
  tmpRoot: string;
  /** Cap on the upload and on its decompressed size. */
  maxBytes: number;
}

/** Spools the rootfs and describes the image; the caller commits it, then calls cleanup. */
export async function prepareRootfs(
  body: AsyncIterable<Uint8Array>,
  o: RootfsOptions,
): Promise<{ image: PreparedImage; cleanup: () => Promise<void> }> {
  await Deno.mkdir(o.tmpRoot, { recursive: true, mode: 0o700 });
  const file = `${o.tmpRoot}/rootfs-${randomUUID()}`;
  const cleanup = () => Deno.remove(file).catch(() => {});
  try {
    const layer = await spool(body, file, o.maxBytes);
    const diffID = await hashUncompressed(file, o.maxBytes);
    const mediaType = await detectLayerType(file, "oci");
    const created = new Date().toISOString();
    const { os, architecture, variant } = hostPlatform();
    const configBytes = encode({
      created,
      architecture,
      os,
      ...(variant ? { variant } : {}),
      config: {},
      rootfs: { type: "layers", diff_ids: [diffID] },
      // dockerd's import history: no created_by, the message as the comment.
      history: [{ created, comment: o.message ?? "Imported from -" }],
    });
    const config = {
      mediaType: MediaType.ociConfig,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    const layers = [{ mediaType, ...layer }];
    const manifestBytes = encode({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers,
    });
    const target = {
      mediaType: MediaType.ociManifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
    };
    const image: PreparedImage = {
      names: o.name ? [o.name] : [],
      target,
      config,
      layers,
      diffIDs: [diffID],
      blobs: [
        { ...layer, data: { file } },
        { digest: config.digest, size: config.size, data: configBytes },
        { digest: target.digest, size: target.size, data: manifestBytes },
      ],
    };
    return { image, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function spool(body: AsyncIterable<Uint8Array>, file: string, max: number) {
  const hash = createHash("sha256");
  let size = 0;
  using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw invalidArgument(`import: rootfs larger than ${max} bytes`);
    hash.update(chunk);
    for (let off = 0; off < chunk.length;) off += await f.write(chunk.subarray(off));
  }
  if (size === 0) throw invalidArgument("import: empty rootfs archive");
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

async function hashUncompressed(file: string, max: number): Promise<string> {
  const hash = createHash("sha256");
  const f = await Deno.open(file, { read: true });
  for await (const c of decompress(f.readable, { maxBytes: max })) hash.update(c);
  return `sha256:${hash.digest("hex")}`;
}
