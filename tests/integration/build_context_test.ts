// The daemon's build context: hostile tars refused with nothing written outside the private
// directory (and nothing left behind), compressed contexts, the Dockerfile lookup and
// removal, COPY source expansion with Docker's errors, and the cache checksum's behaviour.

import { deepStrictEqual as assertEquals, notDeepStrictEqual, rejects } from "node:assert/strict";
import zlib from "node:zlib";
import { TypeFlag } from "../../src/lib/tar/tar_header.ts";
import { type TarInput, TarWriter } from "../../src/lib/tar/tar_writer.ts";
import {
  checksumSources,
  containsWildcards,
  expandSources,
  readDockerfile,
  removeIgnoredBuildFiles,
  unpackContext,
} from "../../src/api/build/context.ts";
import { goMatch } from "../../src/api/build/go_match.ts";

type Item = [TarInput, string?];

/** Matches an error's message (not its "Name: " prefix). */
const message = (re: RegExp) => (e: Error) => re.test(e.message);

async function tar(items: Item[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const w = new TarWriter((c) => void chunks.push(c.slice()));
  for (const [h, body] of items) {
    const data = body === undefined ? undefined : new TextEncoder().encode(body);
    await w.add({ ...h, size: data?.length ?? h.size }, data);
  }
  await w.close();
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

const file = (name: string, body: string, mode = 0o644): Item => [
  { name, type: TypeFlag.file, mode },
  body,
];
const dir = (name: string): Item => [{ name, type: TypeFlag.dir, mode: 0o755 }];
const symlink = (name: string, target: string): Item => [
  { name, type: TypeFlag.symlink, linkname: target },
];

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function compress(tool: string, bytes: Uint8Array): Promise<Uint8Array> {
  const p = new Deno.Command(tool, { args: ["-c"], stdin: "piped", stdout: "piped" }).spawn();
  const w = p.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  return (await p.output()).stdout;
}

/** A scratch area: `parent` for contexts, `outside` a sibling that must stay empty. */
async function scratch() {
  const base = await Deno.makeTempDir({ prefix: "engine-ctx-test-" });
  const parent = `${base}/contexts`;
  const outside = `${base}/outside`;
  await Deno.mkdir(outside);
  return {
    parent,
    outside,
    async leftovers(): Promise<string[]> {
      const names: string[] = [];
      for await (const e of Deno.readDir(outside)) names.push(`outside/${e.name}`);
      try {
        for await (const e of Deno.readDir(parent)) names.push(`contexts/${e.name}`);
      } catch { /* never created */ }
      return names;
    },
    [Symbol.asyncDispose]: () => Deno.remove(base, { recursive: true }),
  };
}

const refused = async (items: Item[], message: RegExp) => {
  await using s = await scratch();
  const bytes = await tar(items.map(([h, b]) => [
    { ...h, name: h.name.replaceAll("OUTSIDE", s.outside) },
    b,
  ]));
  await rejects(unpackContext(once(bytes), s.parent), message);
  assertEquals(await s.leftovers(), []);
};

Deno.test("hostile contexts are refused before anything is written, and nothing is left", async () => {
  await refused([file("ok", "x"), file("../escape", "x")], /"\.\." refused/);
  await refused([file("a/../../escape", "x")], /"\.\." refused/);
  await refused([file("OUTSIDE/abs", "x")], /absolute path refused/);
  await refused([[{ name: "h", type: TypeFlag.link, linkname: "../x" }]], /"\.\." refused/);
  await refused([[{ name: "h", type: TypeFlag.link, linkname: "/etc/passwd" }]], /absolute/);
  await refused(
    [[{ name: "sda", type: TypeFlag.block, devmajor: 8, devminor: 0, mode: 0o666 }]],
    /device node "sda" refused/,
  );
  await refused([[{ name: "x", type: TypeFlag.file, uid: 2 ** 32 }, "y"]], /uid .* out of range/);
});

Deno.test("a symlink in the context is kept but never written through", async () => {
  await using s = await scratch();
  const bytes = await tar([symlink("link", s.outside), file("link/planted", "x")]);
  await rejects(unpackContext(once(bytes), s.parent), /refusing to write through a symlink/);
  assertEquals(await s.leftovers(), []);
  // a link pointing out is fine by itself; as a COPY source it resolves inside the context
  await using ctx = await unpackContext(once(await tar([symlink("link", s.outside)])), s.parent);
  assertEquals(await Deno.readLink(`${ctx.dir}/link`), s.outside);
  await rejects(
    expandSources(ctx.dir, ["link"], "COPY"),
    message(
      /^COPY failed: file not found in build context or excluded by \.dockerignore: stat link: file does not exist$/,
    ),
  );
});

Deno.test("plain, gzip, bzip2 and xz contexts unpack the same; garbage is refused", async () => {
  await using s = await scratch();
  const bytes = await tar([dir("d"), file("d/f", "hello", 0o600), file("Dockerfile", "FROM x\n")]);
  const forms: [string, Uint8Array][] = [
    ["plain", bytes],
    ["gzip", new Uint8Array(zlib.gzipSync(bytes))],
    ["bzip2", await compress("bzip2", bytes)],
    ["xz", await compress("xz", bytes)],
  ];
  for (const [what, body] of forms) {
    await using ctx = await unpackContext(once(body), s.parent);
    assertEquals([what, await Deno.readTextFile(`${ctx.dir}/d/f`)], [what, "hello"]);
    assertEquals((await Deno.stat(`${ctx.dir}/d/f`)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(ctx.dir)).mode! & 0o777, 0o700);
  }
  await rejects(unpackContext(once(await compress("xz", new Uint8Array(3))), s.parent));
  const truncated = new Uint8Array(zlib.gzipSync(bytes)).slice(0, 40);
  await rejects(unpackContext(once(truncated), s.parent));
  assertEquals(await s.leftovers(), []);
});

Deno.test("a tar cut right after its last file's data is accepted (docker 28 sends one)", async () => {
  await using s = await scratch();
  const full = await tar([file("Dockerfile", "FROM x\n"), file(".dockerfile.x", "FROM y\n")]);
  const dataEnd = full.length - 1024 - (512 - 7); // no padding, no end-of-archive blocks
  await using ctx = await unpackContext(once(full.slice(0, dataEnd)), s.parent);
  assertEquals(await Deno.readTextFile(`${ctx.dir}/.dockerfile.x`), "FROM y\n");
  await using noTrailer = await unpackContext(once(full.slice(0, full.length - 1024)), s.parent);
  assertEquals(await Deno.readTextFile(`${noTrailer.dir}/Dockerfile`), "FROM x\n");
  // cut inside the data: refused (zero padding would otherwise complete it)
  await rejects(unpackContext(once(full.slice(0, dataEnd - 3)), s.parent), /unexpected end/);
  await rejects(unpackContext(once(full.slice(0, dataEnd - 512)), s.parent), /bad checksum/);
});

Deno.test("the decompressed size is capped", async () => {
  await using s = await scratch();
  const bytes = await tar([file("big", "x".repeat(100_000))]);
  await rejects(
    unpackContext(once(new Uint8Array(zlib.gzipSync(bytes))), s.parent, { maxBytes: 10_000 }),
    /more than 10000 bytes/,
  );
  await rejects(
    unpackContext(once(await compress("xz", bytes)), s.parent, { maxBytes: 10_000 }),
    /more than 10000 bytes/,
  );
  assertEquals(await s.leftovers(), []);
});

Deno.test("the Dockerfile: named, lower-case fallback, missing; ignored build files removed", async () => {
  await using s = await scratch();
  await using ctx = await unpackContext(
    once(
      await tar([
        file("dockerfile", "FROM a\n"),
        file("sub/Dockerfile.dev", "FROM b\n"),
        file(".dockerignore", "# x\n.dockerignore\nsub/Dockerfile.dev\n"),
      ]),
    ),
    s.parent,
  );
  assertEquals(await readDockerfile(ctx.dir, "Dockerfile"), {
    name: "dockerfile",
    text: "FROM a\n",
  });
  assertEquals((await readDockerfile(ctx.dir, "sub/Dockerfile.dev")).text, "FROM b\n");
  await rejects(
    readDockerfile(ctx.dir, "nope"),
    message(/^Cannot locate specified Dockerfile: nope$/),
  );
  // ".." stops at the context's root: this names the context's own dockerfile
  assertEquals((await readDockerfile(ctx.dir, "../../dockerfile")).text, "FROM a\n");
  await removeIgnoredBuildFiles(ctx.dir, "sub/Dockerfile.dev");
  const left = [...Deno.readDirSync(ctx.dir)].map((e) => e.name).sort();
  assertEquals(left, ["dockerfile", "sub"]);
  assertEquals([...Deno.readDirSync(`${ctx.dir}/sub`)], []);
});

Deno.test("COPY sources: wildcards, leading / and ./, escapes refused, Docker's errors", async () => {
  await using s = await scratch();
  await using ctx = await unpackContext(
    once(
      await tar([
        file("a1", "1"),
        file("a2", "2"),
        file("b", "3"),
        dir("d"),
        file("d/x", "4"),
        file("d/a3", "5"),
        symlink("dl", "d"),
        file("*lit", "6"),
      ]),
    ),
    s.parent,
  );
  const ex = (srcs: string[]) => expandSources(ctx.dir, srcs, "COPY");
  assertEquals(await ex(["a*"]), ["a1", "a2"]);
  assertEquals(await ex(["*/a?"]), ["d/a3"]);
  assertEquals(await ex(["/a1", "./b", "dl/x", "d/../a1"]), ["a1", "b", "dl/x", "d/../a1"]);
  assertEquals(await ex(["nomatch*", "a1"]), ["a1"]);
  assertEquals(await ex(["[ab]?"]), ["a1", "a2"]);
  // an escaped wildcard is no wildcard, and (as in Docker) it is not unescaped either
  await rejects(ex(["\\*lit"]), message(/stat \\\*lit: file does not exist$/));
  await rejects(ex(["nomatch*"]), message(/^COPY failed: no source files were specified$/));
  await rejects(ex(["["]), /no source files were specified/);
  await rejects(
    ex(["../a1"]),
    message(/^COPY failed: forbidden path outside the build context: \.\.\/a1 \(\)$/),
  );
  await rejects(ex(["d/../../a1"]), /forbidden path outside the build context: d\/\.\.\/\.\.\/a1/);
  await rejects(
    expandSources(ctx.dir, ["./missing"], "ADD"),
    message(
      /^ADD failed: file not found in build context or excluded by \.dockerignore: stat missing: file does not exist$/,
    ),
  );
});

Deno.test("the checksum follows content, mode, owner and names; not mtimes", async () => {
  await using s = await scratch();
  const items = [dir("d"), file("d/x", "4"), file("d/y", "5"), file("f", "6"), symlink("fl", "f")];
  const sums = async (items: Item[], srcs: string[]) => {
    await using ctx = await unpackContext(once(await tar(items)), s.parent);
    return await checksumSources(ctx.dir, srcs);
  };
  const base = await sums(items, ["d"]);
  assertEquals(base.startsWith("dir:"), true);
  assertEquals((await sums(items, ["f"])).startsWith("file:"), true);
  assertEquals((await sums(items, ["f", "d"])).startsWith("multi:"), true);
  assertEquals(await sums(items, ["fl"]), await sums(items, ["f"])); // a source symlink is followed
  assertEquals(await sums(items, ["."]), await sums(items, [""]));
  // unchanged tree, other mtimes: same
  const later = items.map(([h, b]) => [{ ...h, mtime: 1_700_000_000 }, b] as Item);
  assertEquals(await sums(later, ["d"]), base);
  // content, mode, owner, a rename inside the directory: different
  const changed = (f: (it: Item) => Item) => sums(items.map(f), ["d"]);
  notDeepStrictEqual(await changed(([h, b]) => [h, h.name === "d/x" ? "X" : b]), base);
  notDeepStrictEqual(
    await changed(([h, b]) => [h.name === "d/x" ? { ...h, mode: 0o600 } : h, b]),
    base,
  );
  notDeepStrictEqual(await changed(([h, b]) => [h.name === "d/x" ? { ...h, uid: 7 } : h, b]), base);
  notDeepStrictEqual(
    await changed(([h, b]) => [h.name === "d/x" ? { ...h, name: "d/z" } : h, b]),
    base,
  );
  assertEquals(await s.leftovers(), []);
});

Deno.test("filepath.Match and containsWildcards", () => {
  const cases: [string, string, boolean][] = [
    ["*", "abc", true],
    ["*", "a/b", false],
    ["*/b", "a/b", true],
    ["a*b*c", "axxbyyc", true],
    ["a*b", "a/b", false],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[a-c]x", "bx", true],
    ["[^a-c]x", "bx", false],
    ["[\\]]", "]", true],
    ["\\*", "*", true],
    ["\\*", "x", false],
    ["a[", "a", false],
    ["*x", "xxx", true],
    ["*.go", "main.go", true],
    ["ab*", "ab", true],
  ];
  for (const [p, n, want] of cases) assertEquals([p, n, goMatch(p, n)], [p, n, want]);
  assertEquals(containsWildcards("a\\*b"), false);
  assertEquals(containsWildcards("a[b"), true);
  assertEquals(containsWildcards("plain/path"), false);
});
