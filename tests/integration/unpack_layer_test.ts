// applyLayer against a real directory, as root: every entry type, whiteouts, compression,
// diff_id against sha256sum.

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { applyLayer } from "../../src/containerd/archive/apply.ts";
import { TypeFlag } from "../../src/lib/tar/tar_header.ts";
import {
  chunked,
  dir,
  type Entry,
  file,
  getxattr,
  gzip,
  opaque,
  run,
  symlink,
  tarBytes,
  whiteout,
  zstd,
} from "../helpers/layers.ts";
import { missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root());
const S_IFMT = 0o170000;

function allTypes(): Entry[] {
  return [
    dir("etc", { mode: 0o755, mtime: 1_000_000 }),
    file("etc/hostname", "box\n", { mode: 0o640, uid: 1234, gid: 4321, mtime: 2_000_000 }),
    dir("bin", { mode: 0o711, uid: 1234, gid: 1234, mtime: 3_000_000 }),
    file("bin/suid", "#!/bin/sh\n", { mode: 0o4755, uid: 1234, gid: 1234, mtime: 4_000_000 }),
    symlink("bin/sh", "/bin/busybox", { uid: 1234, gid: 1234, mtime: 5_000_000 }),
    // A link entry carries its inode's metadata (the applier sets it, as moby's).
    [{
      name: "bin/suid-link",
      type: TypeFlag.link,
      linkname: "bin/suid",
      mode: 0o4755,
      uid: 1234,
      gid: 1234,
      mtime: 4_000_000,
    }],
    dir("dev", { mtime: 6_000_000 }),
    [{ name: "dev/null", type: TypeFlag.char, devmajor: 1, devminor: 3, mode: 0o666 }],
    [{ name: "dev/sda", type: TypeFlag.block, devmajor: 8, devminor: 0, mode: 0o660, gid: 6 }],
    [{ name: "dev/fifo", type: TypeFlag.fifo, mode: 0o600, uid: 1234 }],
    file("data", "payload", {
      xattrs: new Map([["user.greeting", new TextEncoder().encode("hi")]]),
      mtime: 7_000_000.5,
    }),
    file("implicit/parent/file", "x"), // parents not in the archive: created 0755
  ];
}

Deno.test({ name: "unpack: every entry type lands with its metadata", ignore }, async () => {
  await using tmp = await tempDir();
  const tar = await tarBytes(allTypes());
  const res = await applyLayer(tmp.path, chunked(tar, 1000));
  const p = (n: string) => `${tmp.path}/${n}`;
  assertEquals(res.entries, allTypes().length);
  assertEquals(res.size, tar.length);

  const hostname = await Deno.lstat(p("etc/hostname"));
  assertEquals([hostname.mode! & 0o7777, hostname.uid, hostname.gid], [0o640, 1234, 4321]);
  assertEquals(hostname.mtime!.getTime(), 2_000_000_000);
  assertEquals(await Deno.readTextFile(p("etc/hostname")), "box\n");

  const suid = await Deno.lstat(p("bin/suid"));
  assertEquals(suid.mode! & 0o7777, 0o4755, "setuid kept after chown");
  const link = await Deno.lstat(p("bin/suid-link"));
  assertEquals([link.ino, link.nlink], [suid.ino, 2]);

  const sh = await Deno.lstat(p("bin/sh"));
  assert(sh.isSymlink);
  assertEquals(await Deno.readLink(p("bin/sh")), "/bin/busybox");
  assertEquals([sh.uid, sh.mtime!.getTime()], [1234, 5_000_000_000]);

  const bin = await Deno.lstat(p("bin"));
  assertEquals([bin.mode! & 0o7777, bin.uid], [0o711, 1234]);
  assertEquals(bin.mtime!.getTime(), 3_000_000_000, "dir mtime set after its contents");
  assertEquals((await Deno.lstat(p("etc"))).mtime!.getTime(), 1_000_000_000);
  assertEquals((await Deno.lstat(p("dev"))).mtime!.getTime(), 6_000_000_000);

  const nul = await Deno.lstat(p("dev/null"));
  assert(nul.isCharDevice);
  assertEquals([nul.rdev, nul.mode! & 0o7777], [(1 << 8) | 3, 0o666]);
  const sda = await Deno.lstat(p("dev/sda"));
  assert(sda.isBlockDevice);
  assertEquals([sda.rdev, sda.gid, sda.mode! & 0o7777], [8 << 8, 6, 0o660]);
  const fifo = await Deno.lstat(p("dev/fifo"));
  assert(fifo.isFifo);
  assertEquals([fifo.uid, fifo.mode! & 0o7777], [1234, 0o600]);

  assertEquals(getxattr(p("data"), "user.greeting"), "hi");
  assertEquals((await Deno.lstat(p("data"))).mtime!.getTime(), 7_000_000_500);
  assertEquals((await Deno.lstat(p("implicit/parent"))).mode! & 0o7777, 0o755);
  assertEquals(res.unpackedBytes, 4 + 10 + 7 + 1);
});

Deno.test({ name: "unpack: diff_id is sha256sum of the uncompressed tar", ignore }, async () => {
  await using tmp = await tempDir();
  const tar = await tarBytes(allTypes());
  await Deno.writeFile(`${tmp.path}/layer.tar`, tar);
  const want = "sha256:" + (await run("sha256sum", [`${tmp.path}/layer.tar`])).split(" ")[0];
  for (const [name, bytes] of [["plain", tar], ["gzip", gzip(tar)], ["zstd", zstd(tar)]] as const) {
    const target = `${tmp.path}/${name}`;
    await Deno.mkdir(target);
    const res = await applyLayer(target, chunked(bytes, 4096));
    assertEquals(res.diffID, want, name);
    assertEquals(res.size, tar.length, name);
    assertEquals(await Deno.readTextFile(`${target}/etc/hostname`), "box\n", name);
  }
});

Deno.test(
  { name: "unpack: a layer made by GNU tar (gzip), trailing padding hashed", ignore },
  async () => {
    await using tmp = await tempDir();
    const src = `${tmp.path}/src`;
    await Deno.mkdir(`${src}/a/b`, { recursive: true });
    await Deno.writeTextFile(`${src}/a/b/c`, "from gnu tar");
    await Deno.symlink("b/c", `${src}/a/link`);
    await run("tar", ["--format=pax", "-cf", `${tmp.path}/l.tar`, "-C", src, "."]);
    await run("gzip", ["-k", `${tmp.path}/l.tar`]);
    const want = "sha256:" + (await run("sha256sum", [`${tmp.path}/l.tar`])).split(" ")[0];
    await Deno.mkdir(`${tmp.path}/out`);
    using f = await Deno.open(`${tmp.path}/l.tar.gz`);
    const res = await applyLayer(`${tmp.path}/out`, f.readable);
    assertEquals(res.diffID, want);
    assertEquals(res.size, (await Deno.stat(`${tmp.path}/l.tar`)).size); // GNU pads to 10 KiB
    assertEquals(await Deno.readTextFile(`${tmp.path}/out/a/link`), "from gnu tar");
  },
);

Deno.test(
  { name: "unpack: whiteouts become 0/0 char devices, opaque dirs get the xattr", ignore },
  async () => {
    await using tmp = await tempDir();
    await applyLayer(
      tmp.path,
      chunked(
        await tarBytes([
          dir("d"),
          whiteout("d", "gone"),
          opaque("o"),
          file("o/kept", "k"),
          whiteout("", "top"),
        ]),
      ),
    );
    for (const n of ["d/gone", "top"]) {
      const st = await Deno.lstat(`${tmp.path}/${n}`);
      assert(st.isCharDevice, n);
      assertEquals(st.rdev, 0, n);
    }
    assertEquals(
      getxattr(`${tmp.path}/o`, "trusted.overlay.opaque"),
      "y",
    );
    assertEquals(await Deno.readTextFile(`${tmp.path}/o/kept`), "k");
    for await (const e of Deno.readDir(tmp.path)) assert(!e.name.startsWith(".wh."), e.name);
  },
);

Deno.test({ name: "unpack: duplicate entries replace the earlier one", ignore }, async () => {
  await using tmp = await tempDir();
  await applyLayer(
    tmp.path,
    chunked(
      await tarBytes([
        file("f", "first"),
        file("f", "second"),
        dir("x"),
        file("x/inner", "1"),
        file("x", "now a file"), // a directory replaced by a file
        symlink("s", "f"),
        dir("s"), // a symlink replaced by a directory
        file("s/in", "in"),
        dir("keep", { mode: 0o700 }),
        file("keep/a", "a"),
        dir("keep", { mode: 0o755 }), // a directory entry again: merged, metadata updated
      ]),
    ),
  );
  const p = (n: string) => `${tmp.path}/${n}`;
  assertEquals(await Deno.readTextFile(p("f")), "second");
  assertEquals(await Deno.readTextFile(p("x")), "now a file");
  assert((await Deno.lstat(p("s"))).isDirectory);
  assertEquals(await Deno.readTextFile(p("s/in")), "in");
  assertEquals(await Deno.readTextFile(p("keep/a")), "a");
  assertEquals((await Deno.lstat(p("keep"))).mode! & 0o7777, 0o755);
  assertEquals((await Deno.lstat(p("x"))).mode! & S_IFMT, 0o100000);
});
