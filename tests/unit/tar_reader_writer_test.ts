import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { readTar } from "../../src/lib/tar/tar_reader.ts";
import {
  BLOCK,
  encodePax,
  parseNumeric,
  setChecksum,
  TypeFlag,
} from "../../src/lib/tar/tar_header.ts";
import {
  assertRejects,
  chunked,
  dir,
  file,
  hardlink,
  run,
  setxattr,
  symlink,
  tarBytes,
} from "../helpers/layers.ts";
import { tempDir } from "../helpers/rootfs.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Read {
  name: string;
  type: string;
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  body: string;
  xattrs: Record<string, number[]>;
}

async function readAll(bytes: Uint8Array, chunk = 65536): Promise<Read[]> {
  const out: Read[] = [];
  for await (const { header: h, body } of readTar(chunked(bytes, chunk))) {
    const parts: Uint8Array[] = [];
    for await (const c of body()) parts.push(c.slice());
    out.push({
      name: h.name,
      type: h.type,
      uid: h.uid,
      gid: h.gid,
      mode: h.mode,
      mtime: h.mtime,
      linkname: h.linkname,
      devmajor: h.devmajor,
      devminor: h.devminor,
      body: parts.map((p) => dec.decode(p)).join(""),
      xattrs: Object.fromEntries([...h.xattrs].map(([k, v]) => [k, [...v]])),
    });
  }
  return out;
}

const longDir = "d".repeat(120);
const longName = `${longDir}/${"f".repeat(150)}`; // beyond ustar's prefix/name split
const splitName = `${"p".repeat(90)}/${"n".repeat(90)}`; // fits the ustar prefix split

Deno.test("tar round-trip: every type, long names, PAX uid, fractional mtime, xattrs", async () => {
  const bytes = await tarBytes([
    dir("a", { uid: 1234, gid: 5678, mode: 0o750, mtime: 1000 }),
    file("a/x", "hello", { mode: 0o4755, mtime: 1234.5 }),
    file(longName, "long"),
    file(splitName, "split"),
    symlink("s", "t".repeat(300)),
    hardlink("h", longName),
    [{ name: "c", type: TypeFlag.char, devmajor: 1, devminor: 3, mode: 0o666 }],
    [{ name: "b", type: TypeFlag.block, devmajor: 8, devminor: 300 }],
    [{ name: "p", type: TypeFlag.fifo }],
    file("big", "x", {
      uid: 3_000_000_000,
      gid: 4_000_000,
      xattrs: new Map([["user.k", new Uint8Array([0, 1, 255])], [
        "security.capability",
        new Uint8Array(20).fill(7),
      ]]),
    }),
  ]);
  for (const chunk of [65536, 7, 1]) {
    const got = await readAll(bytes, chunk);
    assertEquals(got.map((e) => e.name), [
      "a/",
      "a/x",
      longName,
      splitName,
      "s",
      "h",
      "c",
      "b",
      "p",
      "big",
    ]);
    assertEquals([got[0].uid, got[0].gid, got[0].mode, got[0].mtime], [1234, 5678, 0o750, 1000]);
    assertEquals([got[1].body, got[1].mode, got[1].mtime], ["hello", 0o4755, 1234.5]);
    assertEquals(got[2].body, "long");
    assertEquals(got[3].body, "split");
    assertEquals([got[4].type, got[4].linkname], [TypeFlag.symlink, "t".repeat(300)]);
    assertEquals([got[5].type, got[5].linkname], [TypeFlag.link, longName]);
    assertEquals([got[6].devmajor, got[6].devminor, got[6].mode], [1, 3, 0o666]);
    assertEquals([got[7].devmajor, got[7].devminor], [8, 300]);
    assertEquals(got[8].type, TypeFlag.fifo);
    assertEquals([got[9].uid, got[9].gid], [3_000_000_000, 4_000_000]);
    assertEquals(got[9].xattrs, {
      "user.k": [0, 1, 255],
      "security.capability": new Array(20).fill(7),
    });
  }
});

Deno.test("tar writer output is read by GNU tar", async () => {
  await using tmp = await tempDir();
  const bytes = await tarBytes([dir("a"), file(longName, "long"), symlink("a/s", "x".repeat(150))]);
  await Deno.writeFile(`${tmp.path}/l.tar`, bytes);
  const list = await run("tar", ["-tf", `${tmp.path}/l.tar`]);
  assertEquals(list.trim().split("\n"), ["a/", longName, "a/s"]);
});

Deno.test("reads GNU long names/links ('L'/'K') and PAX from GNU tar", async () => {
  await using tmp = await tempDir();
  const src = `${tmp.path}/src`;
  await Deno.mkdir(`${src}/${longDir}`, { recursive: true });
  await Deno.writeTextFile(`${src}/${longName}`, "gnu");
  await Deno.symlink("y".repeat(200), `${src}/sym`);
  setxattr(`${src}/${longName}`, "user.test", "val");
  for (const format of ["gnu", "pax"]) {
    const tarPath = `${tmp.path}/${format}.tar`;
    await run("tar", [`--format=${format}`, "--xattrs", "-cf", tarPath, "-C", src, "."]);
    const got = await readAll(await Deno.readFile(tarPath), 100);
    const f = got.find((e) => e.name === `./${longName}`);
    assert(f, `${format}: long name missing: ${got.map((e) => e.name)}`);
    assertEquals(f.body, "gnu");
    assertEquals(f.xattrs["user.test"], [..."val"].map((c) => c.charCodeAt(0)), format);
    assertEquals(got.find((e) => e.name === "./sym")?.linkname, "y".repeat(200));
  }
});

Deno.test("base-256 numeric fields", () => {
  const b = new Uint8Array(12);
  b[0] = 0x80;
  b[11] = 0x01;
  b[10] = 0x02;
  assertEquals(parseNumeric(b, 0, 12, "size"), 0x0201);
  const neg = new Uint8Array(8).fill(0xff);
  assertEquals(parseNumeric(neg, 0, 8, "mtime"), -1);
  assertEquals(parseNumeric(enc.encode("0000755\0"), 0, 8, "mode"), 0o755);
  assertEquals(parseNumeric(enc.encode("   12 \0 "), 0, 8, "uid"), 0o12);
});

/** A raw header block for hostile-input tests. */
function rawHeader(name: string, type: string, size: number): Uint8Array {
  const b = new Uint8Array(BLOCK);
  b.set(enc.encode(name).subarray(0, 100), 0);
  b.set(enc.encode("0000644\0"), 100);
  b.set(enc.encode(size.toString(8).padStart(11, "0") + "\0"), 124);
  b[156] = type.charCodeAt(0);
  b.set(enc.encode("ustar\x0000"), 257);
  setChecksum(b);
  return b;
}

function pad(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.length / BLOCK) * BLOCK);
  out.set(b);
  return out;
}

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, off), off += p.length;
  return out;
};

Deno.test("caps: oversized PAX header, long names, malformed PAX, bad checksum, truncation", async () => {
  const bigPax = rawHeader("pax", "x", (1 << 20) + 1);
  await assertRejects(() => readAll(cat(bigPax, new Uint8Array(2 << 20))), "exceeds the cap");

  const paxName = encodePax([["path", "n".repeat(5000)]]);
  await assertRejects(
    () => readAll(cat(rawHeader("pax", "x", paxName.length), pad(paxName), rawHeader("f", "0", 0))),
    "longer than 4096",
  );

  const longL = enc.encode("l".repeat(5000) + "\0");
  await assertRejects(
    () =>
      readAll(
        cat(rawHeader("././@LongLink", "L", longL.length), pad(longL), rawHeader("f", "0", 0)),
      ),
    "longer than 4096",
  );

  const badPax = enc.encode("99 path=x\n");
  await assertRejects(
    () => readAll(cat(rawHeader("pax", "x", badPax.length), pad(badPax), rawHeader("f", "0", 0))),
    "malformed PAX",
  );

  const corrupt = rawHeader("f", "0", 0);
  corrupt[0] ^= 1;
  await assertRejects(() => readAll(corrupt), "bad checksum");

  const truncated = cat(rawHeader("f", "0", 1000), new Uint8Array(100));
  await assertRejects(() => readAll(truncated), "unexpected end of stream");

  let many = new Uint8Array(0);
  const rec = encodePax([["comment", "x"]]);
  for (let i = 0; i < 20; i++) many = cat(many, rawHeader("pax", "x", rec.length), pad(rec));
  await assertRejects(() => readAll(many), "too many extended headers");
});

Deno.test("unread bodies are skipped; the stream after the end marker is drained", async () => {
  const bytes = cat(
    await tarBytes([file("a", "x".repeat(3000)), file("b", "yy")]),
    new Uint8Array(4096),
  );
  const names: string[] = [];
  for await (const e of readTar(chunked(bytes, 333))) {
    names.push(e.header.name);
    if (e.header.name === "a") {
      for await (const _ of e.body()) break; // read one chunk, abandon the rest
    }
  }
  assertEquals(names, ["a", "b"]);
});
