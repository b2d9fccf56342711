// The image service through its API and client: pull from a real docker-registry with
// Docker's progress statuses, snapshots, re-pull, tag, list, inspect, delete with GC.

import assert from "node:assert/strict";
import type { ProgressLine } from "../../src/containerd/api/images.ts";
import { ContainerdHttp } from "../../src/containerd/client/http.ts";
import { ImagesClient } from "../../src/containerd/client/images.ts";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { push, Registries } from "../../src/containerd/registry/mod.ts";
import { EngineError } from "../../src/lib/errors.ts";
import { startInProcessContainerd } from "../helpers/containerd.ts";
import {
  buildImage,
  busyboxLayer,
  filesLayer,
  REGISTRY_BIN,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing, root } from "../helpers/require.ts";
import { BUSYBOX, tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root(), command(REGISTRY_BIN), command(BUSYBOX), command("/usr/bin/tar"));

async function rejectsKind(p: Promise<unknown>, kind: string, includes = "") {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, `an EngineError, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.ok(e.message.includes(includes), e.message);
    return;
  }
  assert.fail(`expected a ${kind} error`);
}

Deno.test(
  { name: "images: pull, re-pull, tag, list, inspect, delete over the API", ignore },
  async (t) => {
    await using reg = await startRegistry();
    await using src = await tempDir();
    await using ctd = await startInProcessContainerd();
    using http = new ContainerdHttp(ctd.socket);
    const images = new ImagesClient(http);
    const s = ctd.services;

    const store = await new ContentStore(`${src.path}/content`).init();
    const img = await buildImage(store, [
      await busyboxLayer(),
      await filesLayer({ "etc/motd": "hello\n" }),
      await filesLayer({ "etc/a": "a\n" }),
      await filesLayer({ "etc/b": "b\n" }),
    ]);
    const ref = `${reg.host}/test/busybox:1`;
    await push(ref, { content: store, registries: new Registries(), target: img.manifest });
    const ids = img.layers.map((l) => l.digest.slice(7, 19));

    await t.step("pull reports Docker's statuses in order, then the image", async () => {
      const lines: ProgressLine[] = [];
      const done = await images.pull(ref, { onProgress: (l) => lines.push(l) });
      assert.deepEqual(done, {
        status: "done",
        name: ref,
        digest: img.manifest.digest,
        id: img.config.digest,
        updated: true,
      });
      for (const [i, id] of ids.entries()) {
        const st = lines.filter((l) => l.id === id).map((l) => l.status);
        assert.equal(st[0], "Pulling fs layer", `${id}: ${st}`);
        if (i >= 3) assert.equal(st[1], "Waiting", `${id}: ${st}`);
        const order = ["Downloading", "Verifying Checksum", "Download complete", "Extracting"];
        const at = order.map((x) => st.indexOf(x));
        assert.ok(at.every((x, j) => x > 0 && (j === 0 || x > at[j - 1])), `${id}: ${st}`);
        assert.equal(st.at(-1), "Pull complete", `${id}: ${st}`);
        const ex = lines.filter((l) => l.id === id && l.status === "Extracting");
        assert.equal(ex.at(-1)?.current, img.layers[i].size);
        assert.equal(ex.at(-1)?.total, img.layers[i].size);
      }
      // Layers are extracted in order.
      const completes = lines.filter((l) => l.status === "Pull complete").map((l) => l.id);
      assert.deepEqual(completes, ids);
      assert.ok(s.events.after(0).some((e) => e.topic === "image.pull" && e.id === ref));
    });

    await t.step("inspect: config, layers, chain ids, snapshots", async () => {
      const d = await images.get(ref);
      assert.equal(d.id, img.config.digest);
      assert.equal(d.manifestDigest, img.manifest.digest);
      assert.deepEqual(d.config.config?.Cmd, ["/bin/sh"]);
      assert.deepEqual(d.config.config?.Env, ["PATH=/bin"]);
      assert.equal(d.diffIDs.length, 4);
      assert.deepEqual(d.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
      assert.equal(d.chainID, d.chainIDs[3]);
      assert.equal(d.unpacked, true);
      for (const id of d.chainIDs) assert.equal(s.snapshots.stat(id).kind, "committed");
      assert.ok(d.unpackedSize! > 1_000_000, "busybox is unpacked");
      // Lookups by a familiar name normalize; the name needs URL-encoding in the path only.
      assert.equal((await images.get(`${reg.host}/test/busybox:1`)).name, ref);
      const top = s.snapshots.writableDir !== undefined;
      assert.ok(top);
    });

    await t.step("re-pull: every layer already exists, image up to date", async () => {
      const lines: ProgressLine[] = [];
      const done = await images.pull(ref, { onProgress: (l) => lines.push(l) });
      assert.equal(done.updated, false);
      assert.deepEqual(lines.map((l) => l.status), ids.map(() => "Already exists"));
    });

    await t.step("tag and list", async () => {
      const tagged = await images.tag(ref, "local/bb:2");
      assert.equal(tagged.name, "docker.io/local/bb:2");
      assert.equal(tagged.id, img.config.digest);
      const list = await images.list();
      assert.deepEqual(list.map((i) => i.name), [ref, "docker.io/local/bb:2"]);
      assert.ok(list.every((i) => i.target.digest === img.manifest.digest));
      assert.equal(
        list[0].size,
        img.manifest.size + img.config.size + img.layers.reduce((n, l) => n + l.size, 0),
      );
      assert.ok(s.events.after(0).some((e) => e.topic === "image.tag"));
    });

    await t.step("errors keep their kinds", async () => {
      await rejectsKind(images.get("nope:1"), "not_found", "docker.io/library/nope:1");
      await rejectsKind(images.pull(`${reg.host}/test/missing:1`), "not_found");
      await rejectsKind(images.pull("UPPER/case"), "invalid_argument", "invalid reference format");
      await rejectsKind(images.pull("x", { platform: "linux" }), "invalid_argument");
      await rejectsKind(images.tag(ref, "bad name"), "invalid_argument");
      await rejectsKind(images.remove("nope:1"), "not_found");
      await rejectsKind(images.push("nope:1"), "not_found");
      const raw = await fetch("http://127.0.0.1/v1/images/pull", {
        method: "POST",
        body: "{",
        client: Deno.createHttpClient({ proxy: { transport: "unix", path: ctd.socket } }),
      }).catch((e) => e);
      assert.equal(raw.status, 400);
      await raw.body?.cancel();
    });

    await t.step(
      "delete: a name still used keeps the blobs; the last one collects them",
      async () => {
        const first = await images.remove(ref);
        assert.deepEqual(first, { untagged: ref, deletedContent: [], deletedSnapshots: [] });
        const d = await images.get("local/bb:2");
        const last = await images.remove("local/bb:2");
        assert.equal(last.untagged, "docker.io/local/bb:2");
        assert.deepEqual(
          new Set(last.deletedContent),
          new Set([img.manifest.digest, img.config.digest, ...img.layers.map((l) => l.digest)]),
        );
        assert.deepEqual(new Set(last.deletedSnapshots), new Set(d.chainIDs));
        assert.deepEqual(await images.list(), []);
        assert.deepEqual(s.snapshots.walk(), []);
        const blobs = [];
        for await (const b of s.content.walk()) blobs.push(b);
        assert.deepEqual(blobs, []);
        assert.ok(s.events.after(0).some((e) => e.topic === "image.delete"));
      },
    );
  },
);
