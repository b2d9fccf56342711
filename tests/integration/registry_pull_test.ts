// Push and pull against a real docker-registry (anonymous): round trip, by digest, chunked
// upload, cross-repository mount, multi-arch index, corrupted blob, shared downloads.

import assert from "node:assert/strict";
import { MediaType } from "../../src/containerd/content/oci.ts";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { resolveImage } from "../../src/containerd/metadata/resolve.ts";
import { Metadata } from "../../src/containerd/metadata/store.ts";
import type { ProgressEvent } from "../../src/containerd/registry/fetch.ts";
import { pull } from "../../src/containerd/registry/pull.ts";
import { push } from "../../src/containerd/registry/push.ts";
import { Registries } from "../../src/containerd/registry/registries.ts";
import {
  buildImage,
  buildIndex,
  busyboxLayer,
  filesLayer,
  REGISTRY_BIN,
  registryBlobPath,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing } from "../helpers/require.ts";
import { BUSYBOX, tempDir } from "../helpers/rootfs.ts";

const ignore = missing(command(REGISTRY_BIN), command(BUSYBOX), command("/usr/bin/tar"));

Deno.test({ name: "registry: push and pull against docker-registry", ignore }, async (t) => {
  await using reg = await startRegistry();
  await using dir = await tempDir();
  const src = await new ContentStore(`${dir.path}/src`).init();
  let n = 0;
  const stores: Metadata[] = [];
  const fresh = async () => {
    const content = await new ContentStore(`${dir.path}/dst${++n}/content`).init();
    const meta = Metadata.open(`${dir.path}/dst${n}/meta.db`, content);
    stores.push(meta);
    return { content, meta, registries: new Registries({ backoffMs: 10 }) };
  };
  try {
    const bb = await busyboxLayer();
    const img = await buildImage(src, [bb, await filesLayer({ "etc/motd": "hello\n" })]);
    const registries = new Registries();

    await t.step("ping", async () => {
      const repo = registries.repository({ domain: reg.host, path: "test/busybox" });
      assert.equal(repo.transport.base, `https://${reg.host}`, "loopback: HTTPS first");
      assert.deepEqual((await repo.ping()).status, 200);
      assert.equal(repo.transport.base, `http://${reg.host}`, "then plain HTTP");
    });

    await t.step("push, pull back, re-pull from the local store", async () => {
      const ref = `${reg.host}/test/busybox:1`;
      const pushed = await push(ref, { content: src, registries, target: img.manifest });
      assert.equal(pushed.uploaded.length, 3);
      const again = await push(ref, { content: src, registries, target: img.manifest });
      assert.equal(again.skipped.length, 3, "HEAD finds existing blobs");

      const d = await fresh();
      const events: ProgressEvent[] = [];
      const got = await pull(ref, { ...d, onProgress: (e) => events.push(e) });
      assert.equal(got.name, ref);
      assert.deepEqual(got.manifestDescriptor, img.manifest);
      assert.deepEqual(got.target, img.manifest);
      assert.deepEqual(got.layers, img.layers);
      assert.equal(got.config.rootfs.diff_ids.length, 2);
      for (const l of [...img.layers, img.config, img.manifest]) {
        assert.deepEqual(
          await d.content.readAll(l.digest, 8 << 20),
          await src.readAll(l.digest, 8 << 20),
        );
      }
      assert.deepEqual(d.meta.images.get(ref).target, img.manifest);
      assert.deepEqual(d.meta.leases.list(), [], "the pull's lease is gone");
      const statuses = (id: string) => events.filter((e) => e.id === id).map((e) => e.status);
      const s0 = statuses(img.layers[0].digest.slice(7, 19));
      assert.equal(s0[0], "Pulling fs layer");
      assert.ok(s0.includes("Downloading"));
      assert.deepEqual(s0.slice(-2), ["Verifying Checksum", "Download complete"]);
      assert.equal(
        d.meta.labels.get(img.layers[0].digest)[`containerd.io/distribution.source.${reg.host}`],
        "test/busybox",
      );

      const gets = await reg.blobGets(img.layers[0].digest);
      const events2: ProgressEvent[] = [];
      await pull(ref, { ...d, onProgress: (e) => events2.push(e) });
      assert.equal(await reg.blobGets(img.layers[0].digest), gets, "no second download");
      assert.ok(events2.every((e) => e.status === "Already exists"));
    });

    await t.step("pull by digest", async () => {
      const d = await fresh();
      const ref = `${reg.host}/test/busybox@${img.manifest.digest}`;
      const got = await pull(ref, d);
      assert.equal(got.reference.tag, undefined);
      assert.equal(got.manifestDescriptor.digest, img.manifest.digest);
      assert.deepEqual(d.meta.images.get(ref).target, img.manifest);
      await assert.rejects(
        pull(`${reg.host}/test/busybox@sha256:${"0".repeat(64)}`, d),
        (e: Error & { kind: string }) => e.kind === "not_found" && e.message.includes("0000"),
      );
    });

    await t.step("chunked upload, then cross-repository mount", async () => {
      const big = await buildImage(src, [
        await filesLayer({ blob: new Uint8Array(300_000).fill(7) }),
      ], {
        oci: true,
        gzip: false,
      });
      const d = await fresh();
      const r1 = await push(`${reg.host}/test/chunked:1`, {
        content: src,
        registries,
        target: big.manifest,
        chunkSize: 64 << 10,
        meta: d.meta,
      });
      assert.equal(r1.uploaded.length, 2);
      const patches = (await reg.log()).split("\n")
        .filter((l) => l.includes('"PATCH /v2/test/chunked/blobs/uploads/')).length;
      assert.ok(patches >= 5, `chunked upload used ${patches} PATCH requests`);
      const r2 = await push(`${reg.host}/test/mounted:1`, {
        content: src,
        registries,
        target: big.manifest,
        meta: d.meta, // knows the blobs came from test/chunked
      });
      assert.deepEqual(r2.mounted.sort(), [big.config.digest, big.layers[0].digest].sort());
      const got = await pull(`${reg.host}/test/mounted:1`, await fresh());
      assert.deepEqual(got.layers, big.layers);
      assert.equal(got.manifestDescriptor.mediaType, MediaType.ociManifest);
    });

    await t.step("multi-arch index: amd64 selected by default", async () => {
      const amd = await buildImage(src, [bb, await filesLayer({ arch: "amd64" })], { oci: true });
      const arm = await buildImage(src, [await filesLayer({ arch: "arm64" })], {
        oci: true,
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      });
      const index = await buildIndex(src, [
        { manifest: arm.manifest, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { manifest: amd.manifest, platform: { os: "linux", architecture: "amd64" } },
      ]);
      const ref = `${reg.host}/test/multi:latest`;
      await push(ref, { content: src, registries, target: index });
      const d = await fresh();
      const got = await pull(`${reg.host}/test/multi`, d);
      assert.deepEqual(got.target, index);
      assert.deepEqual(got.manifestDescriptor.digest, amd.manifest.digest);
      assert.deepEqual(d.meta.images.get(ref).target, index);
      const local = await resolveImage(d.content, d.meta.images.get(ref));
      assert.deepEqual(local.manifestDescriptor, got.manifestDescriptor);
      assert.deepEqual(local.config, got.config);
      await assert.rejects(
        resolveImage(d.content, d.meta.images.get(ref), { os: "linux", architecture: "arm64" }),
        /was not pulled/,
      );
      assert.equal(await d.content.has(arm.layers[0].digest), false, "other platform not fetched");
      const arm64 = await pull(ref, {
        ...await fresh(),
        platform: { os: "linux", architecture: "arm64" },
      });
      assert.equal(arm64.manifestDescriptor.digest, arm.manifest.digest);
      await assert.rejects(
        pull(ref, { ...await fresh(), platform: { os: "linux", architecture: "s390x" } }),
        /no matching manifest for linux\/s390x in the manifest list entries/,
      );
      const gc = await d.meta.gc();
      assert.deepEqual(gc.deleted, [], "gc keeps an index's fetched platform");
    });

    await t.step("concurrent pulls share each download", async () => {
      const img2 = await buildImage(src, [
        await filesLayer({ a: new Uint8Array(200_000).fill(1) }),
        await filesLayer({ b: new Uint8Array(200_000).fill(2) }),
      ]);
      const ref = `${reg.host}/test/shared:1`;
      await push(ref, { content: src, registries, target: img2.manifest });
      const d = await fresh();
      const results = await Promise.all(
        Array.from({ length: 4 }, () => pull(ref, { ...d, registries: new Registries() })),
      );
      for (const r of results) assert.deepEqual(r.layers, img2.layers);
      for (const l of img2.layers) assert.equal(await reg.blobGets(l.digest), 1, l.digest);
    });

    await t.step("a corrupted blob in the registry is rejected after bounded retries", async () => {
      const img3 = await buildImage(src, [await filesLayer({ c: "will be corrupted" })]);
      const ref = `${reg.host}/test/corrupt:1`;
      await push(ref, { content: src, registries, target: img3.manifest });
      const layer = img3.layers[0];
      await Deno.writeFile(
        registryBlobPath(reg, layer.digest),
        new Uint8Array(layer.size).fill(0x41),
      );
      const d = await fresh();
      await assert.rejects(
        pull(ref, { ...d, blob: { attempts: 3, backoffMs: 5 } }),
        (e: Error) => /digest mismatch/.test(e.message) && e.message.includes(layer.digest),
      );
      assert.equal(await reg.blobGets(layer.digest), 3);
      assert.equal(await d.content.has(layer.digest), false);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(d.content.ingestDir)), []);
      assert.equal(d.meta.images.find(ref), undefined);
      assert.deepEqual(d.meta.leases.list(), []);
    });
    await t.step(
      "through a flaky proxy: 503 retried, redirects followed, caps enforced",
      async () => {
        const img4 = await buildImage(src, [await filesLayer({ p: "proxied" })]);
        await push(`${reg.host}/test/proxied:1`, {
          content: src,
          registries,
          target: img4.manifest,
        });
        const seen = new Map<string, number>();
        const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
          const url = new URL(req.url);
          const target = `http://${reg.host}${url.pathname}${url.search}`;
          if (url.pathname.endsWith("/manifests/huge")) {
            return new Response(new Uint8Array(5 << 20).fill(32), {
              headers: { "content-type": MediaType.dockerManifest },
            });
          }
          if (req.method === "GET" && url.pathname.includes("/blobs/")) {
            const n = (seen.get(url.pathname) ?? 0) + 1;
            seen.set(url.pathname, n);
            if (n === 1) return new Response("busy", { status: 503 });
            return new Response(null, { status: 307, headers: { location: target } });
          }
          const r = await fetch(target, { method: req.method, headers: req.headers });
          return new Response(r.body, { status: r.status, headers: r.headers });
        });
        try {
          const host = `127.0.0.1:${proxy.addr.port}`;
          const d = await fresh();
          const got = await pull(`${host}/test/proxied:1`, d);
          assert.deepEqual(got.layers, img4.layers);
          for (const [path, n] of seen) assert.equal(n, 2, `${path}: one 503, one redirect`);
          assert.equal(seen.size, 2, "config and layer");
          await assert.rejects(
            pull(`${host}/test/proxied:huge`, d),
            /exceeds the limit of 4194304/,
          );
        } finally {
          await proxy.shutdown();
        }
      },
    );
  } finally {
    for (const m of stores) m.close();
  }
});
