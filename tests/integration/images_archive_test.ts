// Export and import through the image service's API: our export read back (same ids and
// digests) and checked by skopeo as both a docker-archive and an OCI archive; archives
// written by skopeo (docker save format, OCI layout); a rootfs import; a push of an
// imported image and a pull back.

import assert from "node:assert/strict";
import { ContainerdHttp } from "../../src/containerd/client/http.ts";
import { ImagesClient } from "../../src/containerd/client/images.ts";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { push, Registries } from "../../src/containerd/registry/mod.ts";
import { DANGLING_PREFIX } from "../../src/containerd/api/images.ts";
import { startInProcessContainerd } from "../helpers/containerd.ts";
import { gzip, run } from "../helpers/layers.ts";
import {
  buildImage,
  busyboxLayer,
  filesLayer,
  REGISTRY_BIN,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing, root } from "../helpers/require.ts";
import { BUSYBOX, tempDir } from "../helpers/rootfs.ts";

const SKOPEO = "/usr/bin/skopeo";
const ignore = missing(root(), command(REGISTRY_BIN), command(BUSYBOX), command(SKOPEO));

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test(
  { name: "images: export, import, skopeo archives, rootfs import, push back", ignore },
  async (t) => {
    await using reg = await startRegistry();
    await using tmp = await tempDir();
    await using a = await startInProcessContainerd();
    await using b = await startInProcessContainerd();
    using httpA = new ContainerdHttp(a.socket);
    using httpB = new ContainerdHttp(b.socket);
    const A = new ImagesClient(httpA);
    const B = new ImagesClient(httpB);

    const store = await new ContentStore(`${tmp.path}/content`).init();
    const img = await buildImage(store, [
      await busyboxLayer(),
      await filesLayer({ "etc/motd": "hi\n" }),
    ]);
    const ref = `${reg.host}/test/busybox:1`;
    await push(ref, { content: store, registries: new Registries(), target: img.manifest });
    await A.pull(ref);
    await A.tag(ref, "bb:copy");
    const tls = ["--src-tls-verify=false"];

    await t.step("export holds both formats; import gives the same images", async () => {
      const tar = await readAll(await A.export([ref, "bb:copy"]));
      await Deno.writeFile(`${tmp.path}/ours.tar`, tar);
      const names = (await run("tar", ["-tf", `${tmp.path}/ours.tar`])).trim().split("\n");
      for (const n of ["manifest.json", "repositories", "oci-layout", "index.json"]) {
        assert.ok(names.includes(n), `${n} in ${names}`);
      }
      for (const d of [img.manifest, img.config, ...img.layers]) {
        assert.ok(names.includes(`blobs/sha256/${d.digest.slice(7)}`));
      }
      const manifestJson = JSON.parse(
        await run("tar", ["-xOf", `${tmp.path}/ours.tar`, "manifest.json"]),
      );
      assert.deepEqual(manifestJson, [{
        Config: `blobs/sha256/${img.config.digest.slice(7)}`,
        RepoTags: [`${reg.host}/test/busybox:1`, "bb:copy"],
        Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      }]);

      const res = await B.import(tar);
      assert.deepEqual(
        res.images.map((i) => [i.name, i.id, i.digest]),
        [ref, "docker.io/library/bb:copy"].map((n) => [n, img.config.digest, img.manifest.digest]),
      );
      const d = await B.get("bb:copy");
      assert.equal(d.unpacked, true, "imported images are unpacked");
      assert.deepEqual(d.chainIDs, (await A.get(ref)).chainIDs);
      assert.ok(b.services.events.after(0).some((e) => e.topic === "image.import"));
      // Importing again changes nothing.
      assert.deepEqual((await B.import(tar)).images, res.images);
    });

    await t.step("skopeo reads our export as a docker-archive and as an OCI archive", async () => {
      const one = await readAll(await A.export([ref]));
      await Deno.writeFile(`${tmp.path}/one.tar`, one);
      const viaDocker = JSON.parse(
        await run(SKOPEO, ["inspect", `docker-archive:${tmp.path}/one.tar`]),
      );
      // docker-archive layers are named by diff id: skopeo decompressed and hashed ours.
      assert.deepEqual(viaDocker.Layers, (await A.get(ref)).diffIDs);
      const raw = JSON.parse(
        await run(SKOPEO, ["inspect", "--raw", `oci-archive:${tmp.path}/one.tar`]),
      );
      assert.equal(raw.config.digest, img.config.digest);
    });

    await t.step("skopeo's docker-archive (docker save format) imports", async () => {
      const path = `${tmp.path}/sk-docker.tar`;
      await run(SKOPEO, ["copy", ...tls, `docker://${ref}`, `docker-archive:${path}:skopeo/bb:dk`]);
      const res = await B.import(await Deno.readFile(path));
      assert.equal(res.images.length, 1);
      assert.equal(res.images[0].name, "docker.io/skopeo/bb:dk");
      assert.equal(res.images[0].id, img.config.digest, "same config, same image id");
      const d = await B.get("skopeo/bb:dk");
      assert.equal(d.unpacked, true);
      assert.deepEqual(d.diffIDs, (await A.get(ref)).diffIDs);
    });

    await t.step("skopeo's OCI archive imports (a tag-only ref.name: dangling)", async () => {
      const path = `${tmp.path}/sk-oci.tar`;
      await run(SKOPEO, ["copy", ...tls, `docker://${ref}`, `oci-archive:${path}:latest`]);
      const res = await B.import(gzip(await Deno.readFile(path)));
      assert.equal(res.images.length, 1);
      assert.equal(res.images[0].named, false);
      assert.ok(res.images[0].name.startsWith(DANGLING_PREFIX));
      // skopeo rewrote the config for OCI (a new id); the layers are the same.
      const d = await B.get(res.images[0].name);
      assert.deepEqual(d.diffIDs, (await A.get(ref)).diffIDs);
      assert.equal(d.unpacked, true);
      await B.remove(res.images[0].name);
    });

    await t.step("an imported image pushes to the registry and pulls back", async () => {
      await B.tag("skopeo/bb:dk", `${reg.host}/test/imported:1`);
      const pushed = await B.push(`${reg.host}/test/imported:1`);
      assert.equal(pushed.digest, (await B.get(`${reg.host}/test/imported:1`)).target.digest);
      const done = await A.pull(`${reg.host}/test/imported:1`);
      assert.equal(done.id, img.config.digest);
      assert.equal(done.digest, pushed.digest);
      assert.equal((await A.get(`${reg.host}/test/imported:1`)).unpacked, true);
    });

    await t.step("rootfs import: a one-layer image that is unpacked", async () => {
      const rootfs = gzip(await busyboxLayer());
      const res = await B.importRootfs(rootfs, {
        ref: "imported/rootfs:1",
        message: "from a test",
      });
      assert.equal(res.images[0].name, "docker.io/imported/rootfs:1");
      const d = await B.get("imported/rootfs:1");
      assert.equal(d.layers.length, 1);
      assert.equal(d.layers[0].mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
      assert.equal(d.config.os, "linux");
      assert.equal(d.config.history?.[0].comment, "from a test");
      assert.equal(d.unpacked, true);
      const sn = b.services.snapshots;
      const [m] = await sn.view("check-rootfs", d.chainID);
      try {
        const lower = m.type === "bind"
          ? m.source
          : m.options.find((o) => o.startsWith("lowerdir="))!.slice(9);
        assert.ok((await Deno.lstat(`${lower.split(":")[0]}/bin/busybox`)).isFile);
      } finally {
        await sn.remove("check-rootfs");
      }
    });
  },
);
