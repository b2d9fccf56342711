// Metadata: images, leases, content labels, schema versioning, transactions, and GC.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MediaType } from "../../src/containerd/content/oci.ts";
import { ContentStore, sha256Digest } from "../../src/containerd/content/store.ts";
import { Metadata, SCHEMA_VERSION } from "../../src/containerd/metadata/store.ts";
import { tempDir } from "../helpers/rootfs.ts";

const enc = (s: string) => new TextEncoder().encode(s);

async function open(dir: string) {
  const content = await new ContentStore(`${dir}/content`).init();
  return { content, meta: Metadata.open(`${dir}/meta.db`, content) };
}

async function put(content: ContentStore, data: Uint8Array | string) {
  const bytes = typeof data === "string" ? enc(data) : data;
  const digest = sha256Digest(bytes);
  await content.write({ digest, size: bytes.length }, bytes);
  return { digest, size: bytes.length };
}

/** An image: index → manifest → config + 1 layer. Returns the descriptors. */
async function image(content: ContentStore, tag: string) {
  const layer = { ...await put(content, `layer ${tag}`), mediaType: MediaType.ociLayerGzip };
  const config = { ...await put(content, `{"c":"${tag}"}`), mediaType: MediaType.ociConfig };
  const manifest = {
    ...await put(
      content,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config,
        layers: [layer],
      }),
    ),
    mediaType: MediaType.ociManifest,
  };
  const missing = `sha256:${"e".repeat(64)}`; // another platform, never fetched
  const index = {
    ...await put(
      content,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { ...manifest, platform: { os: "linux", architecture: "amd64" } },
          { mediaType: MediaType.ociManifest, digest: missing, size: 10 },
        ],
      }),
    ),
    mediaType: MediaType.ociIndex,
  };
  return { layer, config, manifest, index };
}

Deno.test("metadata: schema version, images and labels", async () => {
  await using dir = await tempDir();
  const { meta } = await open(dir.path);
  using _ = meta;
  assert.equal(meta.db.version, SCHEMA_VERSION);
  const target = { mediaType: MediaType.ociManifest, digest: `sha256:${"a".repeat(64)}`, size: 5 };
  const img = meta.images.put("docker.io/library/busybox:latest", target, { a: "b" });
  assert.deepEqual(img.target, target);
  assert.deepEqual(img.labels, { a: "b" });
  const again = meta.images.put("docker.io/library/busybox:latest", { ...target, size: 6 });
  assert.equal(again.createdAt, img.createdAt);
  assert.equal(again.target.size, 6);
  assert.equal(meta.images.list().length, 1);
  assert.equal(meta.images.byDigest(target.digest).length, 1);
  assert.throws(() => meta.images.put("x", { ...target, digest: "sha256:zz" }), /invalid target/);
  meta.images.delete("docker.io/library/busybox:latest");
  assert.throws(() => meta.images.get("docker.io/library/busybox:latest"), /not found/);
  meta.labels.set(target.digest, "k", "v");
  assert.deepEqual(meta.labels.get(target.digest), { k: "v" });
});

Deno.test("metadata: a failed transaction changes nothing; reopen keeps state", async () => {
  await using dir = await tempDir();
  const target = { mediaType: MediaType.ociManifest, digest: `sha256:${"b".repeat(64)}`, size: 1 };
  {
    const { meta } = await open(dir.path);
    using _ = meta;
    assert.throws(() =>
      meta.db.tx(() => {
        meta.images.put("a", target);
        throw new Error("boom");
      }), /boom/);
    assert.equal(meta.images.find("a"), undefined);
    meta.db.tx(() => meta.images.put("b", target));
  }
  const { meta } = await open(dir.path);
  using _ = meta;
  assert.equal(meta.images.get("b").target.digest, target.digest);
});

Deno.test("metadata: a newer schema is refused", async () => {
  await using dir = await tempDir();
  const db = new DatabaseSync(`${dir.path}/meta.db`);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  const content = await new ContentStore(`${dir.path}/content`).init();
  assert.throws(() => Metadata.open(`${dir.path}/meta.db`, content), /newer than this engine/);
});

Deno.test("metadata: leases", async () => {
  await using dir = await tempDir();
  const { meta } = await open(dir.path);
  using _ = meta;
  const l = meta.leases.create({ id: "pull-1", ttlMs: 1000 });
  assert.ok(l.expiresAt);
  meta.leases.addResource("pull-1", { kind: "content", key: "sha256:x" });
  meta.leases.addResource("pull-1", { kind: "content", key: "sha256:x" });
  assert.deepEqual(meta.leases.resources("pull-1"), [{ kind: "content", key: "sha256:x" }]);
  assert.throws(() => meta.leases.addResource("nope", { kind: "content", key: "k" }), /not found/);
  assert.throws(() => meta.leases.create({ id: "bad/id" }), /invalid lease id/);
  assert.deepEqual(meta.leases.expire(new Date(Date.now() + 2000)), ["pull-1"]);
  assert.deepEqual(meta.leases.resources("pull-1"), [], "resources cascade");
});

Deno.test("metadata: gc keeps what images and leases reach, sweeps the rest", async () => {
  await using dir = await tempDir();
  const { meta, content } = await open(dir.path);
  using _ = meta;
  const kept = await image(content, "kept");
  const gone = await image(content, "gone");
  const leased = await put(content, "held by a lease");
  const expired = await put(content, "held by an expired lease");
  const orphan = await put(content, "nobody");
  meta.images.put("kept:latest", kept.index);
  meta.images.put("gone:latest", gone.index);
  meta.images.delete("gone:latest");
  meta.leases.create({ id: "live", ttlMs: 3600_000 });
  meta.leases.addResource("live", { kind: "content", key: leased.digest });
  meta.leases.create({ id: "old", ttlMs: -1 });
  meta.leases.addResource("old", { kind: "content", key: expired.digest });
  const stale = await content.writer({ digest: orphan.digest });
  await stale.write(enc("half"));

  const dry = await meta.gc({ dryRun: true });
  assert.equal(await content.has(orphan.digest), true, "dry run deletes nothing");
  const r = await meta.gc({ ingestMaxAgeMs: 0 });
  const goneDigests = [gone.index, gone.manifest, gone.config, gone.layer, orphan, expired]
    .map((d) => d.digest);
  assert.deepEqual(r.deleted.sort(), [...goneDigests].sort());
  assert.deepEqual(dry.deleted.sort(), goneDigests.filter((d) => d !== expired.digest).sort());
  assert.deepEqual(r.expiredLeases, ["old"]);
  assert.equal(r.ingestRemoved, 1);
  for (const d of [kept.index, kept.manifest, kept.config, kept.layer, leased]) {
    assert.equal(await content.has(d.digest), true, `kept ${d.digest}`);
  }
  for (const d of [gone.index, gone.manifest, gone.config, gone.layer, orphan, expired]) {
    assert.equal(await content.has(d.digest), false, `deleted ${d.digest}`);
  }
  assert.deepEqual(r.warnings, []);
  await stale.abort();
  // Once the image goes, everything but the leased blob goes.
  meta.images.delete("kept:latest");
  await meta.gc();
  assert.deepEqual((await Array.fromAsync(content.walk())).map((b) => b.digest), [leased.digest]);
});
