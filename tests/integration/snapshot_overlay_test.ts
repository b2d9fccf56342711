// The overlay snapshotter: lifecycle, metadata, and real overlay mounts of unpacked layers.

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { chainID, chainIDs } from "../../src/containerd/snapshots/chain.ts";
import { compactOverlay, mountData } from "../../src/containerd/snapshots/mounts.ts";
import { OverlaySnapshotter } from "../../src/containerd/snapshots/overlay.ts";
import type { Mount } from "../../src/containerd/snapshots/types.ts";
import { type LayerSource, unpackLayers } from "../../src/containerd/snapshots/unpack.ts";
import {
  assertRejects,
  chunked,
  dir,
  type Entry,
  file,
  getxattr,
  gzip,
  opaque,
  run,
  sha256,
  tarBytes,
  whiteout,
} from "../helpers/layers.ts";
import { missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root());

async function layer(entries: Entry[]): Promise<LayerSource & { opened: number }> {
  const tar = await tarBytes(entries);
  const blob = gzip(tar);
  const src = {
    diffID: sha256(tar),
    digest: sha256(blob),
    opened: 0,
    open() {
      src.opened++;
      return chunked(blob, 4096);
    },
  };
  return src;
}

/** Mounts `m` on `target` as mount(8) would; returns the unmount (always call it). */
async function mountAt(m: Mount, target: string): Promise<() => Promise<void>> {
  if (m.type === "bind") {
    await run("mount", ["-o", m.options.join(",").replace("rbind", "bind"), m.source, target]);
  } else {
    const { mount, cwd } = compactOverlay(m);
    await run("mount", ["-t", mount.type, "-o", mountData(mount), mount.source, target], { cwd });
  }
  return async () => {
    await run("umount", [target]).catch(() => run("umount", ["-l", target]));
  };
}

Deno.test("chain ids follow the OCI image spec", async () => {
  const a = `sha256:${"a".repeat(64)}`,
    b = `sha256:${"b".repeat(64)}`,
    c = `sha256:${"c".repeat(64)}`;
  const ab = "sha256:" +
    (await run("sh", ["-c", `printf '%s' '${a} ${b}' | sha256sum`])).split(" ")[0];
  const abc = "sha256:" +
    (await run("sh", ["-c", `printf '%s' '${ab} ${c}' | sha256sum`])).split(" ")[0];
  assertEquals(chainIDs([a, b, c]), [a, ab, abc]);
  assertEquals(chainID([a]), a);
  assertEquals(chainID([a, b, c]), abc);
  await assertRejects(() => Promise.resolve(chainID(["sha256:nothex"])), "invalid diff_id");
});

Deno.test(
  { name: "snapshotter: prepare, commit, view, mounts, remove, walk, reopen", ignore },
  async () => {
    await using tmp = await tempDir();
    const rootDir = `${tmp.path}/sn`;
    {
      using sn = await OverlaySnapshotter.open(rootDir);
      const m0 = await sn.prepare("base-active", undefined, { labels: { a: "1" } });
      assertEquals(m0.length, 1);
      assertEquals(m0[0].type, "bind");
      assertEquals(m0[0].options, ["rbind", "rw"]);
      await Deno.writeTextFile(`${sn.writableDir("base-active")}/hello`, "x".repeat(10000));
      await sn.commit("base", "base-active");
      assertEquals(sn.stat("base").kind, "committed");
      assertEquals(sn.stat("base").labels, { a: "1" });
      assert(!sn.has("base-active"));
      const usage = await sn.usage("base");
      assert(usage.size >= 10000 && usage.inodes === 2, JSON.stringify(usage));
      await assertRejects(() => Promise.resolve(sn.mounts("base")), "is committed");

      const m1 = await sn.prepare("child", "base");
      assertEquals(m1[0].type, "overlay");
      const opts = m1[0].options.join(",");
      assert(
        /upperdir=.*\/snapshots\/2\/fs/.test(opts) && /workdir=.*\/snapshots\/2\/work/.test(opts),
      );
      assert(opts.endsWith(`lowerdir=${rootDir}/snapshots/1/fs`), opts);
      assertEquals([sn.stat("child").kind, sn.stat("child").parent], ["active", "base"]);
      assertEquals(sn.mounts("child"), m1);

      // Views: one parent → read-only bind of it; two → lowerdir-only overlay.
      assertEquals(await sn.view("v1", "base"), [{
        type: "bind",
        source: `${rootDir}/snapshots/1/fs`,
        options: ["rbind", "ro"],
      }]);
      await sn.commit("second", "child");
      const v2 = await sn.view("v2", "second");
      assertEquals(v2[0].type, "overlay");
      assert(
        v2[0].options.includes(`lowerdir=${rootDir}/snapshots/2/fs:${rootDir}/snapshots/1/fs`),
      );
      assert(!v2[0].options.some((o) => o.startsWith("upperdir=")));

      await assertRejects(() => sn.prepare("child2", "v1"), "is not committed");
      await assertRejects(() => sn.prepare("child2", "nope"), "does not exist");
      await assertRejects(() => sn.prepare("v1", "base"), "already exists");
      await assertRejects(() => sn.commit("base", "v2"), "is not active");
      await assertRejects(() => sn.remove("base"), "has children");
      assertEquals(sn.walk().map((i) => [i.name, i.kind]), [
        ["base", "committed"],
        ["second", "committed"],
        ["v1", "view"],
        ["v2", "view"],
      ]);
      await sn.remove("v1");
      assertEquals(sn.walk((i) => i.kind === "view").map((i) => i.name), ["v2"]);
    }
    // Reopen: metadata survives; an orphan directory from a "crash" is cleaned up.
    await Deno.mkdir(`${rootDir}/snapshots/new-99-x/fs`, { recursive: true });
    await Deno.mkdir(`${rootDir}/snapshots/77/fs`, { recursive: true });
    using sn = await OverlaySnapshotter.open(rootDir);
    assertEquals(sn.walk().map((i) => i.name), ["base", "second", "v2"]);
    const dirs = [];
    for await (const e of Deno.readDir(`${rootDir}/snapshots`)) dirs.push(e.name);
    assertEquals(dirs.sort(), ["1", "2", "4"]);
    await sn.remove("v2");
    await sn.remove("second");
    await sn.remove("base");
    assertEquals(sn.walk(), []);
  },
);

Deno.test(
  { name: "overlay: two unpacked layers + active upper show the merged view", ignore },
  async () => {
    await using tmp = await tempDir();
    using sn = await OverlaySnapshotter.open(`${tmp.path}/sn`);
    const l0 = await layer([
      dir("a"),
      file("a/1", "one"),
      file("a/2", "two"),
      dir("o"),
      file("o/old", "old"),
      file("top", "top"),
    ]);
    const l1 = await layer([
      dir("a"),
      whiteout("a", "1"),
      dir("o"),
      opaque("o"),
      file("o/new", "new"),
      file("b", "bee"),
    ]);
    const res = await unpackLayers(sn, [l0, l1]);
    assertEquals(res.map((r) => r.unpacked), [true, true]);
    const mounts = await sn.prepare("container", res[1].chainID);
    const upper = sn.writableDir("container");
    const target = `${tmp.path}/merged`;
    await Deno.mkdir(target);
    const umount = await mountAt(mounts[0], target);
    try {
      const ls = async (d: string) => {
        const names = [];
        for await (const e of Deno.readDir(`${target}/${d}`)) names.push(e.name);
        return names.sort();
      };
      assertEquals(await ls(""), ["a", "b", "o", "top"]);
      assertEquals(await ls("a"), ["2"]);
      assertEquals(await ls("o"), ["new"]);
      assertEquals(await Deno.readTextFile(`${target}/a/2`), "two");
      assertEquals(await Deno.readTextFile(`${target}/b`), "bee");
      await Deno.writeTextFile(`${target}/written`, "w");
      await Deno.remove(`${target}/top`);
      assertEquals(await Deno.readTextFile(`${upper}/written`), "w");
      assert((await Deno.lstat(`${upper}/top`)).isCharDevice, "deletion recorded as a whiteout");
    } finally {
      await umount();
    }
    // A read-only view of the same chain.
    const view = await sn.view("ro", res[1].chainID);
    const viewTarget = `${tmp.path}/view`;
    await Deno.mkdir(viewTarget);
    const umountView = await mountAt(view[0], viewTarget);
    try {
      assertEquals(await Deno.readTextFile(`${viewTarget}/o/new`), "new");
      await assertRejects(() => Deno.writeTextFile(`${viewTarget}/x`, "x"), "Read-only");
    } finally {
      await umountView();
    }
    assertEquals(getxattr(`${sn.root}/snapshots/2/fs/o`, "trusted.overlay.opaque"), "y");
  },
);

Deno.test(
  { name: "unpackLayers: skips present chain ids, cleans up failures", ignore },
  async () => {
    await using tmp = await tempDir();
    using sn = await OverlaySnapshotter.open(`${tmp.path}/sn`);
    const l0 = await layer([file("x", "x")]);
    const l1 = await layer([file("y", "y")]);
    await unpackLayers(sn, [l0]);
    const again = await unpackLayers(sn, [l0, l1]);
    assertEquals(again.map((r) => r.unpacked), [false, true]);
    assertEquals([l0.opened, l1.opened], [1, 1]);

    // Two unpacks of the same new chain at once: one commits each layer, the other yields.
    const l2 = await layer([file("p", "p")]), l3 = await layer([file("q", "q")]);
    const both = await Promise.all([
      unpackLayers(sn, [l0, l2, l3]),
      unpackLayers(sn, [l0, l2, l3]),
    ]);
    assertEquals(both[0].map((r) => r.chainID), both[1].map((r) => r.chainID));
    assertEquals(sn.walk().filter((i) => i.kind !== "committed"), []);
    await sn.remove(both[0][2].chainID); // back to l0 and l1 only, for what follows
    await sn.remove(both[0][1].chainID);

    // A layer whose content does not match its diff_id.
    const liar = { ...(await layer([file("z", "z")])), diffID: l0.diffID.replace(/.$/, "0") };
    await assertRejects(() => unpackLayers(sn, [l0, l1, liar]), "diff_id mismatch");
    // A hostile layer fails midway: no active snapshot stays behind.
    const hostile = await layer([file("ok", "ok"), file("../evil", "x")]);
    const e = await assertRejects(() => unpackLayers(sn, [hostile]), '"../evil"');
    assert(e.message.startsWith(`unpack layer ${hostile.digest}`), e.message);
    assertEquals(sn.walk().map((i) => i.kind), ["committed", "committed"]);
    const dirs = [];
    for await (const d of Deno.readDir(`${sn.root}/snapshots`)) dirs.push(d.name);
    assertEquals(dirs.length, 2);
  },
);

Deno.test(
  { name: "overlay: a chain of 100 layers mounts (compacted lowerdir)", ignore },
  async () => {
    await using tmp = await tempDir();
    using sn = await OverlaySnapshotter.open(`${tmp.path}/${"deep-root-".repeat(3)}sn`);
    const layers = [];
    for (let i = 0; i < 100; i++) layers.push(await layer([file(`f${i}`, String(i))]));
    const res = await unpackLayers(sn, layers);
    const mounts = await sn.prepare("top", res[99].chainID);
    assert(mountData(mounts[0]).length > 4096, "the absolute form exceeds a page");
    const { cwd } = compactOverlay(mounts[0]);
    assertEquals(cwd, `${sn.root}/snapshots`);
    const target = `${tmp.path}/m`;
    await Deno.mkdir(target);
    const umount = await mountAt(mounts[0], target);
    try {
      for (const i of [0, 42, 99]) {
        assertEquals(
          await Deno.readTextFile(`${target}/f${i}`),
          String(i),
        );
      }
      let n = 0;
      for await (const _ of Deno.readDir(target)) n++;
      assertEquals(n, 100);
    } finally {
      await umount();
    }
  },
);
