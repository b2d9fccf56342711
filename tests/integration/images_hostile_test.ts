// Hostile archives given to import (SECURITY.md classes a and e) and a hostile layer met
// during a pull: each is refused with an error naming what was wrong, and nothing is left
// behind (no image, blob, snapshot, lease or spooled file).

import assert from "node:assert/strict";
import { ContainerdHttp } from "../../src/containerd/client/http.ts";
import { ImagesClient } from "../../src/containerd/client/images.ts";
import { MediaType } from "../../src/containerd/content/oci.ts";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { imageServiceOf } from "../../src/containerd/images/service.ts";
import { Spool } from "../../src/containerd/images/spool.ts";
import { push, Registries } from "../../src/containerd/registry/mod.ts";
import { TypeFlag } from "../../src/containerd/archive/mod.ts";
import { EngineError } from "../../src/lib/errors.ts";
import { startInProcessContainerd } from "../helpers/containerd.ts";
import { chunked, type Entry, file, gzip, sha256, symlink, tarBytes } from "../helpers/layers.ts";
import { buildImage, REGISTRY_BIN, startRegistry } from "../helpers/registry.ts";
import { command, missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root(), command(REGISTRY_BIN));
const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const blobName = (d: string) => `blobs/sha256/${d.slice(7)}`;

/** A valid OCI layout + docker save archive of one image, as entries to tamper with. */
async function archive(layerEntries: Entry[] = [file("hello", "hi\n")]) {
  const layerTar = await tarBytes(layerEntries);
  const layer = gzip(layerTar);
  const layerDesc = {
    mediaType: MediaType.ociLayerGzip,
    digest: sha256(layer),
    size: layer.length,
  };
  const config = json({
    os: "linux",
    architecture: "amd64",
    rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
  });
  const configDesc = {
    mediaType: MediaType.ociConfig,
    digest: sha256(config),
    size: config.length,
  };
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configDesc,
    layers: [layerDesc],
  });
  const manifestDesc = {
    mediaType: MediaType.ociManifest,
    digest: sha256(manifest),
    size: manifest.length,
    annotations: { "io.containerd.image.name": "docker.io/library/hostile:1" },
  };
  const index = json({ schemaVersion: 2, manifests: [manifestDesc] });
  const dockerManifest = json([{
    Config: blobName(configDesc.digest),
    RepoTags: ["hostile:1"],
    Layers: [blobName(layerDesc.digest)],
  }]);
  const entries = {
    layout: file("oci-layout", '{"imageLayoutVersion":"1.0.0"}'),
    layer: file(blobName(layerDesc.digest), layer),
    config: file(blobName(configDesc.digest), config),
    manifest: file(blobName(manifestDesc.digest), manifest),
    index: file("index.json", index),
    dockerManifest: file("manifest.json", dockerManifest),
  };
  return { entries, layer, layerDesc, config, configDesc, manifestDesc };
}

Deno.test(
  { name: "images: hostile imports and pulls are refused, nothing left", ignore },
  async (t) => {
    await using ctd = await startInProcessContainerd();
    using http = new ContainerdHttp(ctd.socket);
    const images = new ImagesClient(http);
    const s = ctd.services;

    const assertNothingLeft = async () => {
      assert.deepEqual(await images.list(), []);
      assert.deepEqual(s.meta.images.list(), []);
      const blobs = [];
      for await (const b of s.content.walk()) blobs.push(b.digest);
      assert.deepEqual(blobs, []);
      assert.deepEqual(s.snapshots.walk().map((i) => i.name), []);
      assert.deepEqual(s.meta.leases.list(), []);
      let spooled: string[] = [];
      try {
        spooled = [...Deno.readDirSync(`${s.opts.root}/tmp`)].map((e) => e.name);
      } catch { /* never created */ }
      assert.deepEqual(spooled, []);
    };
    const refused = async (tar: Uint8Array, kind: string, includes: string) => {
      try {
        await images.import(tar);
        assert.fail(`import accepted; expected ${includes}`);
      } catch (e) {
        assert.ok(e instanceof EngineError, String(e));
        assert.equal(e.kind, kind, e.message);
        assert.ok(e.message.includes(includes), `${e.message} lacks ${includes}`);
      }
      await assertNothingLeft();
    };

    await t.step("the untampered archive loads (and then goes)", async () => {
      const a = await archive();
      const res = await images.import(await tarBytes(Object.values(a.entries)));
      assert.equal(res.images[0].name, "docker.io/library/hostile:1");
      await images.remove("hostile:1");
      await assertNothingLeft();
    });

    await t.step("entry names escaping the archive", async () => {
      const { entries: e } = await archive();
      await refused(
        await tarBytes([file("../evil", "x"), e.index]),
        "invalid_argument",
        "path escape",
      );
      await refused(await tarBytes([file("/abs", "x"), e.index]), "invalid_argument", "absolute");
    });

    await t.step("symlinked manifest.json / index.json, links leaving the archive", async () => {
      const { entries: e } = await archive();
      const real = file("real.json", "[]");
      await refused(
        await tarBytes([real, symlink("manifest.json", "real.json")]),
        "invalid_argument",
        "manifest.json is a link",
      );
      await refused(
        await tarBytes([
          e.layout,
          e.layer,
          e.config,
          e.manifest,
          real,
          symlink("index.json", "real.json"),
        ]),
        "invalid_argument",
        "index.json is a link",
      );
      await refused(
        await tarBytes([symlink("x/layer.tar", "/etc/passwd"), e.dockerManifest]),
        "invalid_argument",
        "absolute symlink refused",
      );
      await refused(
        await tarBytes([symlink("x/layer.tar", "../../etc/passwd"), e.dockerManifest]),
        "invalid_argument",
        "symlink leaves the archive",
      );
      await refused(
        await tarBytes([[{ name: "x", type: TypeFlag.link, linkname: "../y" }], e.index]),
        "invalid_argument",
        "path escape",
      );
    });

    await t.step("device nodes, duplicates, paths escaping from manifest.json", async () => {
      const { entries: e } = await archive();
      await refused(
        await tarBytes([[{ name: "dev", type: TypeFlag.char, devmajor: 1, devminor: 3 }]]),
        "invalid_argument",
        "not allowed",
      );
      await refused(
        await tarBytes([e.dockerManifest, file("manifest.json", "[]")]),
        "invalid_argument",
        "duplicate entry",
      );
      await refused(
        await tarBytes([
          file("manifest.json", JSON.stringify([{ Config: "../../etc/passwd", Layers: [] }])),
        ]),
        "invalid_argument",
        "escapes",
      );
      await refused(
        await tarBytes([file("hello", "x")]),
        "invalid_argument",
        "not an image archive",
      );
      await refused(enc.encode("not a tar at all, just text\n".repeat(40)), "invalid_argument", "");
    });

    await t.step("a blob that does not hash to its name", async () => {
      const a = await archive();
      const other = gzip(enc.encode("something else"));
      await refused(
        await tarBytes([
          a.entries.layout,
          file(blobName(a.layerDesc.digest), other),
          a.entries.config,
          a.entries.manifest,
          a.entries.index,
        ]),
        "failed_precondition",
        "digest mismatch",
      );
    });

    await t.step("a layer with a hostile entry: refused at unpack, blobs collected", async () => {
      const a = await archive([file("ok", "fine"), file("../escape", "x")]);
      await refused(await tarBytes(Object.values(a.entries)), "invalid_argument", "path escape");
      const b = await archive([symlink("etc", "/etc"), file("etc/evil", "x")]);
      await refused(await tarBytes(Object.values(b.entries)), "invalid_argument", "etc/evil");
    });

    await t.step("a config whose diff_ids lie", async () => {
      const a = await archive();
      const config = json({ os: "linux", rootfs: { type: "layers", diff_ids: [sha256(a.layer)] } });
      const configDesc = {
        mediaType: MediaType.ociConfig,
        digest: sha256(config),
        size: config.length,
      };
      const manifest = json({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: configDesc,
        layers: [a.layerDesc],
      });
      const desc = {
        mediaType: MediaType.ociManifest,
        digest: sha256(manifest),
        size: manifest.length,
      };
      await refused(
        await tarBytes([
          a.entries.layout,
          a.entries.layer,
          file(blobName(configDesc.digest), config),
          file(blobName(desc.digest), manifest),
          file("index.json", JSON.stringify({ schemaVersion: 2, manifests: [desc] })),
        ]),
        "invalid_argument",
        "diff_id mismatch",
      );
    });

    await t.step("a hostile rootfs import", async () => {
      try {
        await images.importRootfs(await tarBytes([file("../x", "y")]), { ref: "evil:1" });
        assert.fail("accepted");
      } catch (e) {
        assert.ok(e instanceof EngineError && e.message.includes("path escape"), String(e));
      }
      await assertNothingLeft();
    });

    await t.step("caps on entries and bytes", async () => {
      await using tmp = await tempDir();
      const many = await tarBytes(Array.from({ length: 20 }, (_, i) => file(`f${i}`, "x")));
      await assert.rejects(
        Spool.read(chunked(many), tmp.path, { maxBytes: 1 << 20, maxEntries: 10 }),
        /more than 10 entries/,
      );
      const big = await tarBytes([file("big", new Uint8Array(1 << 20))]);
      await assert.rejects(
        Spool.read(chunked(gzip(big)), tmp.path, { maxBytes: 64 << 10, maxEntries: 10 }),
        /more than 65536 bytes/,
      );
      assert.deepEqual([...Deno.readDirSync(tmp.path)], [], "spool dirs removed");
    });

    await t.step("a pull whose layer is hostile records no image", async () => {
      await using reg = await startRegistry();
      await using src = await tempDir();
      const store = await new ContentStore(`${src.path}/content`).init();
      const img = await buildImage(store, [
        await tarBytes([file("a", "fine")]),
        await tarBytes([file("../../escape", "x")]),
      ]);
      const ref = `${reg.host}/test/hostile:1`;
      await push(ref, { content: store, registries: new Registries(), target: img.manifest });
      try {
        await images.pull(ref);
        assert.fail("pull accepted a hostile layer");
      } catch (e) {
        assert.ok(e instanceof EngineError && e.message.includes("path escape"), String(e));
        assert.ok(e.message.includes(img.layers[1].digest), e.message);
      }
      assert.deepEqual(s.meta.images.list(), []);
      assert.deepEqual(s.meta.leases.list(), []);
      // Blobs and the first layer's snapshot stay for a re-pull, until the collectors run.
      assert.equal(s.snapshots.walk().length, 1);
      await s.meta.gc();
      await imageServiceOf(s).collectSnapshots();
      await assertNothingLeft();
    });
  },
);
