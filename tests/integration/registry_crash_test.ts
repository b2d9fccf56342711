// kill -9 in the middle of a pull (a subprocess frozen mid-layer), then a clean re-pull:
// no half-written blob under a final name, a consistent database, GC reclaims the rest.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { Metadata } from "../../src/containerd/metadata/store.ts";
import { pull } from "../../src/containerd/registry/pull.ts";
import { push } from "../../src/containerd/registry/push.ts";
import { Registries } from "../../src/containerd/registry/registries.ts";
import {
  buildImage,
  busyboxLayer,
  filesLayer,
  REGISTRY_BIN,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing } from "../helpers/require.ts";
import { BUSYBOX, tempDir } from "../helpers/rootfs.ts";

const ignore = missing(command(REGISTRY_BIN), command(BUSYBOX));
const src = (p: string) => new URL(`../../src/containerd/${p}`, import.meta.url).href;
const repoRoot = new URL("../../", import.meta.url).pathname;

// The child pulls and, at the first progress event of a partly downloaded layer, prints
// MID and blocks its thread, so the kill lands with an ingest file half written.
const CHILD = `
import { ContentStore } from "${src("content/store.ts")}";
import { Metadata } from "${src("metadata/store.ts")}";
import { pull } from "${src("registry/pull.ts")}";
import { Registries } from "${src("registry/registries.ts")}";
const [root, ref] = Deno.args;
const content = await new ContentStore(root + "/content").init();
const meta = Metadata.open(root + "/meta.db", content);
let paused = false;
await pull(ref, {
  content, meta, registries: new Registries(), leaseTtlMs: 1,
  blob: { progressEvery: 64 << 10 },
  onProgress(e) {
    if (paused || e.status !== "Downloading" || !e.current || e.current >= e.total) return;
    paused = true;
    Deno.stdout.writeSync(new TextEncoder().encode("MID " + e.digest + "\\n"));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
});
console.log("DONE");
`;

Deno.test({ name: "registry: kill -9 mid-pull, then a clean re-pull", ignore }, async () => {
  await using reg = await startRegistry();
  await using dir = await tempDir();
  const source = await new ContentStore(`${dir.path}/src`).init();
  const img = await buildImage(source, [
    await busyboxLayer(),
    await filesLayer({ big: new Uint8Array(randomBytes(8 << 20)) }),
  ], { oci: true, gzip: false });
  const ref = `${reg.host}/test/crash:1`;
  await push(ref, { content: source, registries: new Registries(), target: img.manifest });

  const root = `${dir.path}/engine`;
  await Deno.writeTextFile(`${dir.path}/child.ts`, CHILD);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      `--config=${repoRoot}deno.json`,
      `${dir.path}/child.ts`,
      root,
      ref,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let killed = false;
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    reader.releaseLock();
    assert.match(out, /^MID sha256:[a-f0-9]{64}\n/, `child output: ${out}`);
    Deno.kill(child.pid, "SIGKILL");
    killed = true;
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    const partial = out.split(" ")[1].trim();

    // What the kill left: a partial ingest, no blob under its final name, an open lease.
    const content = await new ContentStore(`${root}/content`).init();
    const ingest = await Array.fromAsync(Deno.readDir(content.ingestDir));
    // Layers download in parallel: each one in flight left its own ingest file.
    assert.ok(ingest.length >= 1 && ingest.length <= img.layers.length);
    assert.ok(ingest.some((e) => e.name.startsWith(partial.slice(7))));
    assert.equal(await content.has(partial), false);
    for await (const b of content.walk()) {
      assert.equal((await content.readAll(b.digest, 16 << 20)).length, b.size);
    }
    const raw = new DatabaseSync(`${root}/meta.db`);
    assert.deepEqual({ ...raw.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
    raw.close();

    using meta = Metadata.open(`${root}/meta.db`, content);
    assert.equal(meta.images.find(ref), undefined);
    assert.equal(meta.leases.list().length, 1, "the killed pull's lease remains");

    const got = await pull(ref, { content, meta, registries: new Registries() });
    assert.deepEqual(got.layers, img.layers);
    assert.deepEqual(meta.images.get(ref).target, img.manifest);
    for (const l of img.layers) {
      assert.deepEqual(
        await content.readAll(l.digest, 16 << 20),
        await source.readAll(l.digest, 16 << 20),
      );
    }
    await new Promise((r) => setTimeout(r, 5));
    const gc = await meta.gc({ ingestMaxAgeMs: 0 });
    assert.equal(gc.expiredLeases.length, 1);
    assert.deepEqual(gc.deleted, []);
    assert.equal(gc.ingestRemoved, ingest.length);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(content.ingestDir)), []);
  } finally {
    if (!killed) {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* exited */ }
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
});
