// Hostile layers (SECURITY.md class a): each is refused with an error naming the entry,
// and nothing outside the snapshot directory changes — neither the test's sandbox around
// it nor the host's /etc/passwd.

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { applyLayer } from "../../src/containerd/archive/apply.ts";
import {
  assertRejects,
  chunked,
  dir,
  type Entry,
  file,
  gzip,
  hardlink,
  sha256,
  symlink,
  tarBytes,
  whiteout,
} from "../helpers/layers.ts";
import { missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(root());

interface Snapshot {
  passwd: string;
  nlink: number;
  mtime: number;
  outside: string[];
}

/** What must not change: the host's /etc/passwd and everything around the snapshot dir. */
async function observe(sandbox: string, snapRel: string): Promise<Snapshot> {
  const st = await Deno.lstat("/etc/passwd");
  const outside: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      if (`${rel}${e.name}` === snapRel) continue;
      outside.push(`${rel}${e.name}`);
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${rel}${e.name}/`);
    }
  };
  await walk(sandbox, "");
  return {
    passwd: sha256(await Deno.readFile("/etc/passwd")),
    nlink: st.nlink!,
    mtime: st.mtime!.getTime(),
    outside: outside.sort(),
  };
}

/** Applies `entries` into <sandbox>/a/b/snap and expects a refusal mentioning `includes`. */
async function refused(entries: Entry[], includes: string): Promise<string> {
  await using tmp = await tempDir();
  const snap = `${tmp.path}/a/b/snap`;
  await Deno.mkdir(snap, { recursive: true });
  await Deno.writeTextFile(`${tmp.path}/a/victim`, "untouched");
  const before = await observe(tmp.path, "a/b/snap");
  const err = await assertRejects(
    async () => await applyLayer(snap, chunked(await tarBytes(entries))),
    includes,
  );
  assertEquals(
    await observe(tmp.path, "a/b/snap"),
    before,
    "something outside the snapshot changed",
  );
  assertEquals(await Deno.readTextFile(`${tmp.path}/a/victim`), "untouched");
  return err.message;
}

Deno.test({ name: "hostile: ../ escapes are refused", ignore }, async () => {
  const msg = await refused([file("../evil", "x")], '"../evil"');
  assert(msg.includes('".." refused'), msg);
  await refused([file("ok/../../../victim", "x")], "ok/../../../victim");
  await refused([dir("x"), file("x/../../victim", "x")], "x/../../victim");
});

Deno.test({ name: "hostile: absolute names are refused", ignore }, async () => {
  await refused([file("/etc/x", "x")], '"/etc/x": absolute path refused');
});

Deno.test({ name: "hostile: writing through a planted absolute symlink", ignore }, async () => {
  const msg = await refused([symlink("a", "/"), file("a/etc/passwd", "pwned")], "a/etc/passwd");
  assert(msg.includes("through a symlink"), msg);
  await refused([symlink("a", "/etc"), dir("a/sub")], "a/sub");
  await refused([symlink("a", "/etc"), whiteout("a", "passwd")], "a/.wh.passwd");
});

Deno.test(
  { name: "hostile: writing through a relative symlink that climbs out", ignore },
  async () => {
    await refused([symlink("b", "../../.."), file("b/x", "x")], "b/x");
    await refused([symlink("b", "../.."), file("b/victim", "x")], "b/victim");
    // A symlink deeper in the path, not only at the top.
    await refused([dir("d"), symlink("d/up", "../../"), file("d/up/victim", "x")], "d/up/victim");
  },
);

Deno.test({ name: "hostile: hardlinks to outside the layer", ignore }, async () => {
  await refused([hardlink("h", "../../etc/passwd")], '"h"');
  await refused([hardlink("h", "/etc/passwd")], "absolute path refused");
  // Through a symlink to the host's /etc.
  await refused([symlink("e", "/etc"), hardlink("h", "e/passwd")], "through a symlink");
  // To something the layer never created.
  await refused([hardlink("h", "etc/passwd")], "not in the layer");
});

Deno.test({ name: "hostile: overlay xattrs, bad ids, bogus whiteouts", ignore }, async () => {
  await refused(
    [file("f", "x", { xattrs: new Map([["trusted.overlay.redirect", new Uint8Array([47])]]) })],
    "trusted.overlay.redirect refused",
  );
  await refused([file("f", "x", { uid: 0xffffffff })], "uid 4294967295 out of range");
  await refused([file(".wh...", "")], "invalid whiteout");
});

Deno.test({ name: "safe look-alikes: symlinks are stored, never followed", ignore }, async () => {
  await using tmp = await tempDir();
  const before = await observe(tmp.path, "snap");
  const snap = `${tmp.path}/snap`;
  await Deno.mkdir(snap);
  await applyLayer(
    snap,
    chunked(
      await tarBytes([
        symlink("passwd", "/etc/passwd"),
        file("passwd", "replaced, not written through"), // a duplicate replaces the symlink
        symlink("p2", "/etc/passwd"),
        hardlink("h", "p2"), // a hardlink to the symlink itself
        symlink("up", "../../../.."),
        [{ name: "null", type: "3", devmajor: 1, devminor: 3 }],
      ]),
    ),
  );
  assertEquals(await observe(tmp.path, "snap"), before);
  assertEquals(await Deno.readTextFile(`${snap}/passwd`), "replaced, not written through");
  assert((await Deno.lstat(`${snap}/h`)).isSymlink);
  assertEquals(await Deno.readLink(`${snap}/up`), "../../../..");
});

Deno.test(
  { name: "hostile: a refused layer stops reading and releases its source", ignore },
  async () => {
    await using tmp = await tempDir();
    // Incompressible, so that the decompressor's backpressure holds most of it unread.
    const noise = new Uint8Array(4 << 20);
    for (let i = 0; i < noise.length; i += 65536) {
      crypto.getRandomValues(
        noise.subarray(i, i + 65536),
      );
    }
    const blob = gzip(await tarBytes([file("big", noise), file("../x", "x"), file("big2", noise)]));
    let released = false, readAll = false;
    async function* source() {
      try {
        yield* chunked(blob, 65536);
        readAll = true;
      } finally {
        released = true;
      }
    }
    await Deno.mkdir(`${tmp.path}/snap`);
    await assertRejects(() => applyLayer(`${tmp.path}/snap`, source()), '"../x"');
    assertEquals([released, readAll], [true, false]);
  },
);
