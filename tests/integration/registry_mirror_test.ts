// docker.io mirrors (dockerd --registry-mirror): tried in order before Docker Hub; a mirror
// that is down or lacks the image falls back to the next. Every test's last mirror has the
// image, so Docker Hub itself is never contacted (no name resolution either).

import assert from "node:assert/strict";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { Metadata } from "../../src/containerd/metadata/store.ts";
import { pull } from "../../src/containerd/registry/pull.ts";
import { push } from "../../src/containerd/registry/push.ts";
import { Registries } from "../../src/containerd/registry/registries.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import {
  buildImage,
  filesLayer,
  freePort,
  REGISTRY_BIN,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root(), command(REGISTRY_BIN));

/** GET lines of the registry's log for a manifest of `path`. */
async function manifestGets(log: () => Promise<string>, path: string): Promise<number> {
  return (await log()).split("\n").filter((l) =>
    l.includes('"GET /v2/') && l.includes(`/v2/${path}/manifests/`)
  ).length;
}

Deno.test({ name: "registry mirrors: order and fallback (library)", ignore }, async () => {
  await using dir = await tempDir();
  await using empty = await startRegistry();
  await using mirror = await startRegistry();
  const src = await new ContentStore(`${dir.path}/src`).init();
  const img = await buildImage(src, [await filesLayer({ "etc/motd": "from the mirror\n" })]);
  // The mirror holds docker.io/library/mirrored:1 under its Docker Hub path.
  await push(`${mirror.host}/library/mirrored:1`, {
    content: src,
    registries: new Registries(),
    target: img.manifest,
  });
  const content = await new ContentStore(`${dir.path}/dst`).init();
  using meta = Metadata.open(`${dir.path}/meta.db`, content);
  const down = `http://127.0.0.1:${freePort()}`;
  const registries = new Registries({
    mirrors: [down, `http://${empty.host}`, `http://${mirror.host}/`],
    attempts: 1,
  });
  const got = await pull("mirrored:1", { content, meta, registries });
  assert.equal(got.name, "docker.io/library/mirrored:1");
  assert.equal(got.manifestDescriptor.digest, img.manifest.digest);
  assert.equal(await manifestGets(empty.log, "library/mirrored"), 1, "asked, had none");
  assert.equal(await manifestGets(mirror.log, "library/mirrored"), 1);
  assert.equal(
    meta.images.get("docker.io/library/mirrored:1").target.digest,
    img.manifest.digest,
  );
  // Other registries never go through docker.io's mirrors.
  await assert.rejects(
    pull(`${empty.host}/library/mirrored:1`, { content, meta, registries }),
    /manifest unknown|404/i,
  );
  assert.equal(await manifestGets(mirror.log, "library/mirrored"), 1);
});

Deno.test(
  { name: "registry mirrors: through the daemon (--registry-mirror)", ignore },
  async () => {
    await using dir = await tempDir();
    await using mirror = await startRegistry();
    const src = await new ContentStore(`${dir.path}/src`).init();
    const img = await buildImage(src, [await filesLayer({ "etc/motd": "mirrored\n" })]);
    await push(`${mirror.host}/library/mirrored:1`, {
      content: src,
      registries: new Registries(),
      target: img.manifest,
    });
    const d = await startDaemon(["--registry-mirror", `http://${mirror.host}`]);
    try {
      const r = await d.docker(ENGINE, ["-H", d.host, "pull", "mirrored:1"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Status: Downloaded newer image for mirrored:1/);
      assert.match(r.out, new RegExp(`Digest: ${img.manifest.digest}`));
      assert.equal(await manifestGets(mirror.log, "library/mirrored"), 1);
      const ls = await d.docker(ENGINE, [
        "-H",
        d.host,
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
      ]);
      assert.match(ls.out, /^mirrored:1$/m);
    } finally {
      await d.close();
    }
  },
);

Deno.test(
  { name: "registry mirrors: a SIGHUP reload applies to the next pull", ignore },
  async () => {
    await using dir = await tempDir();
    await using mirror = await startRegistry();
    const src = await new ContentStore(`${dir.path}/src`).init();
    const img = await buildImage(src, [await filesLayer({ "etc/motd": "reloaded\n" })]);
    await push(`${mirror.host}/library/reloaded:1`, {
      content: src,
      registries: new Registries(),
      target: img.manifest,
    });
    const d = await startDaemon();
    try {
      await Deno.writeTextFile(
        d.configFile,
        JSON.stringify({ "registry-mirrors": [`http://${mirror.host}`] }),
      );
      Deno.kill(d.child.pid, "SIGHUP");
      for (let i = 0; i < 200 && !d.log().includes("Reloaded configuration"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(d.log(), /Reloaded configuration/);
      const r = await d.docker(ENGINE, ["-H", d.host, "pull", "reloaded:1"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`Digest: ${img.manifest.digest}`));
      assert.equal(await manifestGets(mirror.log, "library/reloaded"), 1);
    } finally {
      await d.close();
    }
  },
);
