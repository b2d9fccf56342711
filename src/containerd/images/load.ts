// Reading images out of a spooled archive. Two layouts, as `docker load` accepts:
//   - an OCI image layout (oci-layout, index.json, blobs/sha256/…), which newer Docker
//     writes next to manifest.json: every blob must hash to its name and size;
//   - the docker save format (manifest.json [{Config, RepoTags, Layers}], layer tars),
//     from which a Docker schema2 manifest is built.
// Names come from io.containerd.image.name annotations, a full ref.name, or RepoTags.

import { z } from "zod";
import { EngineError, invalidArgument, wrap } from "../../lib/errors.ts";
import { parseNormalized, referenceString } from "../../lib/reference.ts";
import { parseWith } from "../validate.ts";
import {
  type Descriptor,
  Limits,
  MediaType,
  parseImageConfig,
  parseManifest,
} from "../content/oci.ts";
import { sha256Digest } from "../content/store.ts";
import { detectLayerType } from "./layer_type.ts";
import { hostPlatform, selectManifest } from "../registry/mod.ts";
import type { BlobSource, PreparedImage } from "./commit.ts";
import type { Spool } from "./spool.ts";

const MAX_IMAGES = 1000;
const NAME_ANNOTATION = "io.containerd.image.name";
const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

const dockerManifestSchema = z.array(z.object({
  Config: z.string().min(1).max(4096),
  RepoTags: z.array(z.string().max(1024)).max(1000).nullish(),
  Layers: z.array(z.string().min(1).max(4096)).max(1000),
})).max(MAX_IMAGES);

export async function loadArchive(spool: Spool): Promise<PreparedImage[]> {
  const repoTags = spool.has("manifest.json") ? await dockerManifest(spool) : undefined;
  if (spool.has("index.json")) return await ociImages(spool, repoTags ?? []);
  if (repoTags) return await dockerImages(spool, repoTags);
  throw invalidArgument("archive: neither manifest.json nor index.json: not an image archive");
}

async function dockerManifest(spool: Spool) {
  return parseWith(
    dockerManifestSchema,
    await spool.json("manifest.json", Limits.manifest),
    "archive: manifest.json",
  );
}

function normalizeNames(names: string[], what: string): string[] {
  const out = new Set<string>();
  for (const n of names) {
    try {
      out.add(referenceString(parseNormalized(n)));
    } catch (err) {
      throw wrap(err, `${what}: name ${JSON.stringify(n.slice(0, 300))}`);
    }
  }
  return [...out];
}

// ---- OCI image layout ----

async function ociImages(
  spool: Spool,
  repoTags: z.infer<typeof dockerManifestSchema>,
): Promise<PreparedImage[]> {
  if (spool.has("oci-layout")) {
    const layout = await spool.json("oci-layout", 4096) as { imageLayoutVersion?: unknown };
    if (layout?.imageLayoutVersion !== "1.0.0") {
      throw invalidArgument(`archive: oci-layout: unsupported imageLayoutVersion`);
    }
  }
  const indexBytes = new TextEncoder().encode(
    JSON.stringify(await spool.json("index.json", Limits.manifest)),
  );
  const index = parseManifest(indexBytes, MediaType.ociIndex, "archive: index.json");
  if (index.kind !== "index") throw invalidArgument("archive: index.json is not an index");
  const out: PreparedImage[] = [];
  for (const top of index.index.manifests.slice(0, MAX_IMAGES)) {
    const blobs: BlobSource[] = [];
    let desc: Descriptor = top;
    let parsed = parseManifest(
      await blob(spool, desc, blobs),
      desc.mediaType,
      `manifest ${desc.digest}`,
    );
    for (let depth = 0; parsed.kind === "index"; depth++) {
      if (depth > 1) throw invalidArgument(`archive: index ${desc.digest} nested too deep`);
      desc = selectManifest(parsed.index.manifests, hostPlatform());
      parsed = parseManifest(
        await blob(spool, desc, blobs),
        desc.mediaType,
        `manifest ${desc.digest}`,
      );
    }
    const m = parsed.manifest;
    const config = parseImageConfig(
      await blob(spool, m.config, blobs, Limits.config),
      `image config ${m.config.digest}`,
    );
    for (const l of m.layers) await blob(spool, l, blobs, 0);
    checkLayerCount(config.rootfs.diff_ids, m.layers, m.config.digest);
    const names: string[] = [];
    const a = top.annotations ?? {};
    if (a[NAME_ANNOTATION]) names.push(a[NAME_ANNOTATION]);
    else if (a[REF_NAME_ANNOTATION] && /[:/]/.test(a[REF_NAME_ANNOTATION])) {
      names.push(a[REF_NAME_ANNOTATION]);
    }
    if (!names.length) {
      const e = repoTags.find((t) => t.Config === `blobs/sha256/${m.config.digest.slice(7)}`);
      names.push(...(e?.RepoTags ?? []));
    }
    out.push({
      names: normalizeNames(names, `archive: index.json entry ${top.digest}`),
      target: desc,
      config: m.config,
      layers: m.layers,
      diffIDs: config.rootfs.diff_ids,
      blobs,
    });
  }
  return out;
}

/**
 * Checks the blob file named by `d` against its digest and size and adds it to `blobs`.
 * Returns its bytes when `max` > 0 (manifests, configs), else an empty array.
 */
async function blob(
  spool: Spool,
  d: Descriptor,
  blobs: BlobSource[],
  max: number = Limits.manifest,
) {
  const what = `archive: blob ${d.digest}`;
  const f = spool.get(`blobs/sha256/${d.digest.slice("sha256:".length)}`, what);
  if (f.digest !== d.digest) {
    throw new EngineError(
      "failed_precondition",
      `${what}: digest mismatch: content is ${f.digest}`,
    );
  }
  if (f.size !== d.size) {
    throw new EngineError(
      "failed_precondition",
      `${what}: size ${f.size}, descriptor says ${d.size}`,
    );
  }
  if (max === 0) {
    blobs.push({ digest: d.digest, size: d.size, data: { file: f.file } });
    return new Uint8Array(0);
  }
  const bytes = await spool.bytes(f.path, max, what);
  blobs.push({ digest: d.digest, size: d.size, data: bytes });
  return bytes;
}

function checkLayerCount(diffIDs: string[], layers: unknown[], config: string) {
  if (diffIDs.length !== layers.length) {
    throw invalidArgument(
      `image config ${config}: ${diffIDs.length} diff_ids for ${layers.length} layers`,
    );
  }
}

// ---- docker save (manifest.json) ----

async function dockerImages(
  spool: Spool,
  entries: z.infer<typeof dockerManifestSchema>,
): Promise<PreparedImage[]> {
  const out: PreparedImage[] = [];
  for (const [i, e] of entries.entries()) {
    const what = `archive: manifest.json[${i}]`;
    const cfgFile = spool.get(clean(e.Config, what), `${what}: Config`);
    const named = cfgFile.path.match(/^(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/);
    if (named && `sha256:${named[1]}` !== cfgFile.digest) {
      throw new EngineError(
        "failed_precondition",
        `${what}: config ${cfgFile.path}: digest mismatch: content is ${cfgFile.digest}`,
      );
    }
    const cfgBytes = await spool.bytes(cfgFile.path, Limits.config, `${what}: Config`);
    const config = parseImageConfig(cfgBytes, `image config ${cfgFile.digest}`);
    const configDesc = {
      mediaType: MediaType.dockerConfig,
      digest: cfgFile.digest,
      size: cfgFile.size,
    };
    const blobs: BlobSource[] = [{ digest: cfgFile.digest, size: cfgFile.size, data: cfgBytes }];
    const layers: Descriptor[] = [];
    for (const [j, p] of e.Layers.entries()) {
      const f = spool.get(clean(p, what), `${what}: Layers[${j}]`);
      const m = f.path.match(/^blobs\/sha256\/([a-f0-9]{64})$/);
      if (m && `sha256:${m[1]}` !== f.digest) {
        throw new EngineError(
          "failed_precondition",
          `${what}: layer ${f.path}: digest mismatch: content is ${f.digest}`,
        );
      }
      layers.push({
        mediaType: await detectLayerType(f.file, "docker"),
        digest: f.digest,
        size: f.size,
      });
      blobs.push({ digest: f.digest, size: f.size, data: { file: f.file } });
    }
    checkLayerCount(config.rootfs.diff_ids, layers, cfgFile.digest);
    const manifestBytes = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: configDesc,
      layers,
    }));
    const target = {
      mediaType: MediaType.dockerManifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
    };
    blobs.push({ digest: target.digest, size: target.size, data: manifestBytes });
    out.push({
      names: normalizeNames(e.RepoTags ?? [], what),
      target,
      config: configDesc,
      layers,
      diffIDs: config.rootfs.diff_ids,
      blobs,
    });
  }
  return out;
}

/** An archive path from manifest.json, cleaned like entry names ("./x" → "x"). */
function clean(p: string, what: string): string {
  if (p.startsWith("/")) throw invalidArgument(`${what}: absolute path ${JSON.stringify(p)}`);
  const parts = p.split("/").filter((c) => c !== "" && c !== ".");
  if (parts.includes("..")) throw invalidArgument(`${what}: path ${JSON.stringify(p)} escapes`);
  return parts.join("/");
}
