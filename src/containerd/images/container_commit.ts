// `docker commit`: a container's writable layer (its snapshot's upper dir) becomes a new
// layer on top of its image. Overlay whiteouts (0/0 char devices, opaque dirs) are written
// as AUFS whiteouts (.wh.name, .wh..wh..opq) as Docker's layer tars carry them. The layer
// is spooled to a private temp file (its digest is its diff_id: uncompressed), then the
// image is committed like an import (commitImages): all of it or nothing. As Docker's
// NewChildImage, an empty diff (an empty tar) adds no layer: the history entry says
// empty_layer instead (the classic builder's metadata-only steps commit this way). The
// init layer's paths (mount targets the runtime made in the upper dir) are left out.
// Paths of one inode (hardlinks) are written once: later ones as hardlink entries naming
// the first, as Docker's archiver does, so the layer (and its size) holds the data once.

import { createHash, randomUUID } from "node:crypto";
import { failedPrecondition } from "../../lib/errors.ts";
import { walk } from "../../lib/archive/walk.ts";
import { AT_FDCWD, lgetxattrAt, O_DIRECTORY, O_NOFOLLOW, O_PATH, openAt } from "../../sys/fs.ts";
import { TarWriter } from "../archive/mod.ts";
import { type Descriptor, MediaType } from "../content/oci.ts";
import { sha256Digest } from "../content/store.ts";
import { resolveImage } from "../metadata/resolve.ts";
import type { Services } from "../services.ts";
import { commitImages, type PreparedImage } from "./commit.ts";
import { findImage, normalizeName } from "./names.ts";
import type { BusyChains } from "./unpack.ts";

export interface ContainerCommit {
  /** containerd's container id. */
  container: string;
  /** Name for the new image (none: dangling). */
  ref?: string;
  /** The new image's container config (Docker's Config: Cmd, Env, …). */
  config?: Record<string, unknown>;
  comment?: string;
  author?: string;
  createdBy?: string;
  containerConfig?: Record<string, unknown>;
}

/** The diff_id of a layer without entries (1024 zero bytes), Docker's layer.EmptyLayer. */
const EMPTY_LAYER_DIFF_ID =
  "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export async function commitContainer(s: Services, busy: BusyChains, req: ContainerCommit) {
  const rec = s.containers.get(req.container);
  if (!rec.snapshotKey || !s.snapshots.has(rec.snapshotKey)) {
    throw failedPrecondition(`commit ${req.container}: the container has no rootfs snapshot`);
  }
  const name = req.ref ? normalizeName(req.ref) : undefined;
  const parent = await resolveImage(s.content, findImage(s, rec.image));
  const upper = s.snapshots.writableDir(rec.snapshotKey);
  const tmpRoot = `${s.opts.root}/tmp`;
  await Deno.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const file = `${tmpRoot}/commit-${randomUUID()}`;
  try {
    const layer = await tarUpper(upper, file);
    const empty = layer.digest === EMPTY_LAYER_DIFF_ID;
    const diffIDs = [...parent.config.rootfs.diff_ids, ...(empty ? [] : [layer.digest])];
    const created = new Date().toISOString();
    const base = parent.config as Record<string, unknown>;
    const configBytes = encode({
      ...base,
      created,
      ...(req.author ? { author: req.author } : {}),
      config: req.config ?? base.config ?? {},
      container: req.container,
      ...(req.containerConfig ? { container_config: req.containerConfig } : {}),
      rootfs: { type: "layers", diff_ids: diffIDs },
      history: [
        ...((base.history as unknown[]) ?? []),
        {
          created,
          ...(req.author ? { author: req.author } : {}),
          ...(req.createdBy !== undefined ? { created_by: req.createdBy } : {}),
          ...(req.comment ? { comment: req.comment } : {}),
          ...(empty ? { empty_layer: true } : {}),
        },
      ],
    });
    const config: Descriptor = {
      mediaType: MediaType.ociConfig,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    const newLayer: Descriptor = { mediaType: MediaType.ociLayer, ...layer };
    const layers = [...parent.layers.map(plainDescriptor), ...(empty ? [] : [newLayer])];
    const manifestBytes = encode({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers,
    });
    const target: Descriptor = {
      mediaType: MediaType.ociManifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
    };
    const image: PreparedImage = {
      names: name ? [name] : [],
      target,
      config,
      layers,
      diffIDs,
      blobs: [
        ...(empty ? [] : [{ ...layer, data: { file } }]),
        { digest: config.digest, size: config.size, data: configBytes },
        { digest: target.digest, size: target.size, data: manifestBytes },
      ],
    };
    const [out] = await commitImages(s, busy, [image], "image.commit");
    return out;
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

function plainDescriptor(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** Writes the upper dir as a layer tar to `file`; its digest and size. */
async function tarUpper(upper: string, file: string) {
  const hash = createHash("sha256");
  let size = 0;
  using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
  const tar = new TarWriter(async (chunk) => {
    hash.update(chunk);
    size += chunk.length;
    for (let off = 0; off < chunk.length;) off += await f.write(chunk.subarray(off));
  });
  using root = openAt(AT_FDCWD, upper, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  const entries = walk(root, ".", "", { skip: initPath, overlayWhiteouts: true });
  for await (const [h, body] of entries) await tar.add(h, body);
  await tar.close();
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

/**
 * What Docker keeps in a container's init layer, below its writable layer: mount targets
 * and the files the daemon bind-mounts. Our runtime creates them in the upper directory;
 * like Docker's, a commit leaves them out (and /etc when it holds nothing else).
 */
const INIT_PATHS = new Set([
  "dev",
  "proc",
  "sys",
  ".dockerenv",
  "etc/resolv.conf",
  "etc/hosts",
  "etc/hostname",
  "etc/mtab",
]);

function initPath(name: string, dirFd: number, base: string): boolean {
  if (INIT_PATHS.has(name)) return true;
  if (name !== "etc") return false;
  using etc = openAt(dirFd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  if (lgetxattrAt(etc.fd, "", "trusted.overlay.opaque")?.[0] === 0x79) return false;
  for (const e of Deno.readDirSync(`/proc/self/fd/${etc.fd}`)) {
    if (!INIT_PATHS.has(`etc/${e.name}`)) return false;
  }
  return true;
}
