// Content store: verified commits, nothing left in ingest, concurrent writers, walk/delete.

import assert from "node:assert/strict";
import {
  ContentStore,
  DigestMismatchError,
  sha256Digest,
  SizeMismatchError,
} from "../../src/containerd/content/store.ts";
import { randomBytes } from "node:crypto";
import { tempDir } from "../helpers/rootfs.ts";

const enc = (s: string) => new TextEncoder().encode(s);

async function ingestEntries(store: ContentStore): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(store.ingestDir))).map((e) => e.name);
}

Deno.test("content: write, info, read, walk, delete", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(`${dir.path}/content`).init();
  const data = enc("hello blob");
  const digest = sha256Digest(data);
  const info = await store.write({ digest, size: data.length }, data);
  assert.deepEqual(info, { digest, size: data.length });
  assert.equal(store.blobPath(digest), `${dir.path}/content/blobs/sha256/${digest.slice(7)}`);
  assert.deepEqual(await store.info(digest), info);
  assert.deepEqual(await store.readAll(digest, 1024), data);
  await assert.rejects(store.readAll(digest, 3), /exceeds the limit/);
  assert.deepEqual(await Array.fromAsync(store.walk()), [info]);
  // A stream works too, and an existing blob is not rewritten.
  assert.deepEqual(await store.write({ digest }, new Blob([data]).stream()), info);
  await store.delete(digest);
  assert.equal(await store.has(digest), false);
  await assert.rejects(store.info(digest), (e: Error & { kind: string }) => e.kind === "not_found");
  await assert.rejects(store.delete(digest), /not found/);
  assert.deepEqual(await ingestEntries(store), []);
});

Deno.test("content: digest or size mismatch is rejected and leaves nothing", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(dir.path).init();
  const data = enc("the real bytes");
  const wrong = sha256Digest(enc("other bytes"));
  await assert.rejects(store.write({ digest: wrong }, data), DigestMismatchError);
  await assert.rejects(
    store.write({ digest: sha256Digest(data), size: data.length + 1 }, data),
    SizeMismatchError,
  );
  await assert.rejects(
    store.write({ digest: sha256Digest(data), size: 3 }, data),
    SizeMismatchError,
  );
  await assert.rejects(store.writer({ digest: "sha256:xyz" }), /invalid content digest/);
  await assert.rejects(store.writer({ digest: "md5:" + "a".repeat(32) }), /invalid content digest/);
  assert.equal(await store.has(wrong), false);
  assert.deepEqual(await Array.fromAsync(store.walk()), []);
  assert.deepEqual(await ingestEntries(store), []);
});

Deno.test("content: an abandoned writer leaves an ingest file that cleanIngest removes", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(dir.path).init();
  const data = enc("partial");
  const w = await store.writer({ digest: sha256Digest(data) });
  await w.write(data.subarray(0, 3));
  assert.equal((await ingestEntries(store)).length, 1);
  assert.equal(await store.has(sha256Digest(data)), false, "nothing visible before commit");
  assert.equal(await store.cleanIngest(60_000), 0, "a fresh ingest is kept");
  assert.equal(await store.cleanIngest(0), 1);
  assert.deepEqual(await ingestEntries(store), []);
  await w.abort();
});

Deno.test("content: concurrent writers of one blob both succeed", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(dir.path).init();
  const data = new Uint8Array(randomBytes(1 << 20));
  const digest = sha256Digest(data);
  const writers = await Promise.all(
    Array.from({ length: 8 }, () => store.writer({ digest, size: data.length })),
  );
  // Interleave their writes chunk by chunk, then commit them all at once.
  for (let off = 0; off < data.length; off += 64 << 10) {
    await Promise.all(writers.map((w) => w.write(data.subarray(off, off + (64 << 10)))));
  }
  const infos = await Promise.all(writers.map((w) => w.commit()));
  for (const i of infos) assert.deepEqual(i, { digest, size: data.length });
  assert.deepEqual(await store.readAll(digest, 2 << 20), data);
  assert.deepEqual(await ingestEntries(store), []);
  // And whole writes racing through write():
  const other = new Uint8Array(randomBytes(300_000));
  const d2 = sha256Digest(other);
  await Promise.all(Array.from({ length: 6 }, () => store.write({ digest: d2 }, other)));
  assert.deepEqual(await store.readAll(d2, 1 << 20), other);
  assert.deepEqual(await ingestEntries(store), []);
});

Deno.test("content: once() shares one fetch per digest", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(dir.path).init();
  const data = enc("shared");
  const digest = sha256Digest(data);
  let calls = 0;
  const fetcher = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 20));
    return await store.write({ digest }, data);
  };
  const [a, b, c] = await Promise.all([
    store.once(digest, fetcher),
    store.once(digest, fetcher),
    store.once(digest, fetcher),
  ]);
  assert.equal(calls, 1);
  assert.deepEqual(a, b);
  assert.deepEqual(b, c);
  assert.equal(store.inflight(digest), false);
});

Deno.test("content: adopt moves a spooled file in, checking its size", async () => {
  await using dir = await tempDir();
  const store = await new ContentStore(`${dir.path}/content`).init();
  const data = enc("spooled layer");
  const digest = sha256Digest(data);
  const file = `${dir.path}/spooled`;
  await Deno.writeFile(file, data);
  await assert.rejects(store.adopt(file, { digest, size: data.length + 1 }), SizeMismatchError);
  assert.equal(await store.has(digest), false);
  assert.deepEqual(await store.adopt(file, { digest, size: data.length }), {
    digest,
    size: data.length,
  });
  assert.deepEqual(await store.readAll(digest, 1024), data);
  await assert.rejects(Deno.stat(file), Deno.errors.NotFound); // moved, not copied
  // Present already: nothing to do, even without the file.
  assert.deepEqual(await store.adopt(file, { digest, size: data.length }), {
    digest,
    size: data.length,
  });
});
