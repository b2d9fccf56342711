// docker cp: CONTAINER:SRC DEST|- and SRC|- CONTAINER:DEST, with the docker CLI's rules
// (archive.PrepareArchiveCopy / CopyTo): a trailing "/." copies a directory's contents,
// an existing directory receives the source under its own name, anything else is renamed
// to the destination's name in the destination's parent. The container's tar is untrusted:
// it is extracted fd-relative (no "..", no absolute names, never through a symlink).
//
// The tar reader/writer and the fd-relative walker/extractor are shared with the daemon's
// cp (they only use src/sys and src/lib); they would move to src/lib with another user.
import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { humanSize } from "../units.ts";
import { clientFor, writeErr } from "./common.ts";
import { readTar } from "../../lib/tar/tar_reader.ts";
import { TypeFlag } from "../../lib/tar/tar_header.ts";
import { tarStream, TarWriter } from "../../lib/tar/tar_writer.ts";
import { checkArchive, extract } from "../../lib/archive/extract.ts";
import { walk } from "../../lib/archive/walk.ts";
import * as fs from "../../sys/fs.ts";

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const MODE_DIR = 2 ** 31;
const isDirMode = (m: number) => m >= MODE_DIR;

function splitArg(s: string): { container: string; path: string } | undefined {
  if (s.startsWith("/") || s.startsWith(".")) return undefined; // a local path, as docker
  const m = /^([^:]+):(.*)$/.exec(s);
  return m ? { container: m[1], path: m[2] } : undefined;
}

function decodeStat(header: string | null): PathStat | undefined {
  if (!header) return undefined;
  try {
    const bin = atob(header);
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

const base = (p: string) => {
  const t = p.replace(/\/+$/, "");
  return t === "" ? "/" : t.slice(t.lastIndexOf("/") + 1);
};
const parent = (p: string) => {
  const t = p.replace(/\/+$/, "");
  const i = t.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : t.slice(0, i);
};
const contentsOnly = (p: string) => p === "." || p.endsWith("/.");

/** Rewrites a tar so that its first path component `from` becomes `to`. */
async function rebaseTo(
  src: AsyncIterable<Uint8Array>,
  file: string,
  from: string,
  to: string,
): Promise<void> {
  using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
  const w = new TarWriter(async (c) => {
    let off = 0;
    while (off < c.length) off += await f.write(c.subarray(off));
  });
  const rebase = (name: string) => {
    const parts = name.split("/");
    if (parts[0] === from) parts[0] = to;
    return parts.join("/");
  };
  for await (const { header, body } of readTar(src)) {
    const linkname = header.type === TypeFlag.link ? rebase(header.linkname) : header.linkname;
    await w.add(
      { ...header, name: rebase(header.name), linkname },
      header.type === TypeFlag.file ? body() : undefined,
    );
  }
  await w.close();
}

async function copyFromContainer(
  inv: Invocation,
  from: { container: string; path: string },
  dst: string,
): Promise<number> {
  using client = clientFor(inv);
  let path = from.path;
  const res = await client.request(
    "GET",
    `/containers/${escapePath(from.container)}/archive`,
    { query: { path } },
  );
  let stat = decodeStat(res.headers.get("x-docker-container-path-stat"));
  let body = res.body!;
  if (inv.flags.bool("follow-link") && stat?.linkTarget) {
    await body.cancel();
    path = stat.linkTarget;
    const again = await client.request(
      "GET",
      `/containers/${escapePath(from.container)}/archive`,
      { query: { path } },
    );
    stat = decodeStat(again.headers.get("x-docker-container-path-stat"));
    body = again.body!;
  }
  if (dst === "-") {
    await body.pipeTo(Deno.stdout.writable, { preventClose: true });
    return 0;
  }
  const srcIsDir = stat ? isDirMode(stat.mode) : false;
  const srcName = stat?.name ?? base(path);
  let dstStat: Deno.FileInfo | undefined;
  try {
    dstStat = await Deno.stat(dst);
  } catch { /* absent */ }
  let into: string;
  let rename: string | undefined;
  if (dstStat?.isDirectory) {
    if (srcIsDir && contentsOnly(path)) {
      into = parent(dst);
      rename = base(dst);
    } else into = dst;
  } else if (dstStat) {
    if (srcIsDir) throw new Error(`cannot copy directory to file: ${dst}`);
    into = parent(dst);
    rename = base(dst);
  } else {
    if (dst.endsWith("/") && !srcIsDir) {
      throw new Error(`destination directory "${dst}" must exist: no such directory`);
    }
    into = parent(dst);
    rename = base(dst);
  }
  const spool = await Deno.makeTempFile({ prefix: "engine-cp-" });
  await Deno.remove(spool);
  try {
    await rebaseTo(body, spool, contentsOnly(path) ? "." : srcName, rename ?? srcName);
    await checkArchive(spool);
    using dir = fs.openAt(fs.AT_FDCWD, into, fs.O_PATH | fs.O_DIRECTORY);
    await extract(dir, spool, { noOverwriteDirNonDir: false });
    if (!inv.flags.bool("quiet")) {
      const size = (await Deno.stat(spool)).size;
      writeErr(`Successfully copied ${humanSize(size, 3)} to ${dst}\n`);
    }
  } finally {
    await Deno.remove(spool).catch(() => {});
  }
  return 0;
}

async function copyToContainer(
  inv: Invocation,
  src: string,
  to: { container: string; path: string },
): Promise<number> {
  using client = clientFor(inv);
  const url = `/containers/${escapePath(to.container)}/archive`;
  const put = (path: string, body: ReadableStream<Uint8Array<ArrayBuffer>>) =>
    client.json("PUT", url, {
      query: {
        path,
        noOverwriteDirNonDir: true,
        copyUIDGID: inv.flags.bool("archive") || undefined,
      },
      body,
      headers: { "Content-Type": "application/x-tar" },
    });
  if (src === "-") {
    await put(to.path, Deno.stdin.readable);
    return 0;
  }
  const head = await client.request("HEAD", url, { query: { path: to.path }, allowError: true });
  await head.body?.cancel();
  if (head.status >= 400 && head.status !== 404) {
    throw new Error(`Error response from daemon: ${head.status} ${head.statusText}`);
  }
  const dstStat = head.status === 404
    ? undefined
    : decodeStat(head.headers.get("x-docker-container-path-stat"));
  const follow = inv.flags.bool("follow-link");
  const local = follow ? await Deno.stat(src) : await Deno.lstat(src);
  let dstDir: string;
  let name: string;
  let srcDir = parent(src), srcBase = base(src);
  if (follow) {
    const real = await Deno.realPath(src);
    srcDir = parent(real);
    srcBase = base(real);
  }
  const dstIsDir = dstStat &&
    (isDirMode(dstStat.mode) || (dstStat.linkTarget !== "" && to.path.endsWith("/")));
  if (dstStat && (isDirMode(dstStat.mode) || dstIsDir)) {
    dstDir = dstStat.linkTarget || to.path;
    name = contentsOnly(src) ? "." : base(src);
    if (contentsOnly(src)) {
      srcDir = src;
      srcBase = ".";
    }
  } else if (dstStat) {
    if (local.isDirectory) throw new Error("cannot copy a directory to a file");
    dstDir = parent(to.path);
    name = base(to.path);
  } else {
    if (to.path.endsWith("/")) {
      throw new Error(
        `Error response from daemon: Could not find the file ${to.path} in container ${to.container}`,
      );
    }
    dstDir = parent(to.path);
    name = base(to.path);
    if (contentsOnly(src)) {
      srcDir = src;
      srcBase = ".";
    }
  }
  using dir = fs.openAt(fs.AT_FDCWD, srcDir, fs.O_PATH | fs.O_DIRECTORY);
  let size = 0;
  const counted = tarStream(walk(dir, srcBase, name === "." ? "" : name)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(c, ctl) {
        size += c.length;
        ctl.enqueue(c);
      },
    }),
  );
  await put(dstDir, counted as ReadableStream<Uint8Array<ArrayBuffer>>);
  if (!inv.flags.bool("quiet")) {
    writeErr(`Successfully copied ${humanSize(size, 3)} to ${to.container}:${to.path}\n`);
  }
  return 0;
}

export async function cp(inv: Invocation): Promise<number> {
  const [src, dst] = inv.args;
  const from = splitArg(src);
  const to = splitArg(dst);
  if (from && to) throw new Error("copying between containers is not supported");
  if (!from && !to) throw new Error("must specify at least one container source");
  if (from) return await copyFromContainer(inv, from, dst);
  return await copyToContainer(inv, src, to!);
}
