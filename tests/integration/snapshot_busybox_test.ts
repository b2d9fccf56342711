// End to end with a real root filesystem: a busybox rootfs tarred by GNU tar (gzip), an
// extra layer from our writer, unpacked into snapshots, mounted, and run with chroot.

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { OverlaySnapshotter } from "../../src/containerd/snapshots/overlay.ts";
import { unpackLayers } from "../../src/containerd/snapshots/unpack.ts";
import {
  chunked,
  file,
  run,
  sha256,
  symlink,
  tarBytes,
  whiteout,
  zstd,
} from "../helpers/layers.ts";
import { missing, root } from "../helpers/require.ts";
import { makeBusyboxRootfs, tempDir } from "../helpers/rootfs.ts";

Deno.test(
  { name: "busybox rootfs layers unpack, mount and run", ignore: missing(root()) },
  async () => {
    await using tmp = await tempDir();
    await makeBusyboxRootfs(`${tmp.path}/rootfs`);
    await run("tar", ["-czf", `${tmp.path}/base.tgz`, "-C", `${tmp.path}/rootfs`, "."]);
    await run("gzip", ["-dk", `${tmp.path}/base.tgz`]);
    const baseTar = await Deno.readFile(`${tmp.path}/base.tar`);
    const topTar = await tarBytes([
      file("etc/motd", "hello from layer 2\n"),
      whiteout("bin", "vi"),
      symlink("bin/hi", "/bin/busybox"),
    ]);
    using sn = await OverlaySnapshotter.open(`${tmp.path}/sn`);
    const res = await unpackLayers(sn, [
      {
        diffID: sha256(baseTar),
        open: () => Deno.open(`${tmp.path}/base.tgz`).then((f) => f.readable),
      },
      { diffID: sha256(topTar), open: () => chunked(zstd(topTar)) },
    ]);
    const [m] = await sn.prepare("ctr", res[1].chainID);
    const target = `${tmp.path}/merged`;
    await Deno.mkdir(target);
    await run("mount", ["-t", "overlay", "-o", m.options.join(","), "overlay", target]);
    try {
      const out = await run("chroot", [
        target,
        "/bin/sh",
        "-c",
        "cat /etc/motd; test -e /bin/vi || echo no-vi; echo ok > /tmp/w; cat /tmp/w",
      ]);
      assertEquals(out, "hello from layer 2\nno-vi\nok\n");
    } finally {
      await run("umount", [target]).catch(() => run("umount", ["-l", target]));
    }
    assertEquals(await Deno.readTextFile(`${sn.writableDir("ctr")}/tmp/w`), "ok\n");
  },
);
