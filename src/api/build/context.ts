// The build context on the daemon side, as the classic builder's remotecontext: POST
// /build's body (a tar, plain or gzip/bzip2/xz) unpacked into a private directory; the
// Dockerfile found in it; the Dockerfile and .dockerignore removed when .dockerignore names
// them; COPY/ADD sources validated and their wildcards expanded; their checksum for the cache.
//
// Safety: the body is spooled to a private file and every entry checked before anything is
// written (no absolute names, no "..", hardlinks only to earlier entries, no device nodes);
// extraction is fd-relative and never follows a symlink (../archive/extract.ts); sources
// are resolved inside the context with openat2(RESOLVE_IN_ROOT), so a symlink in the
// context pointing outside resolves to a path inside it (and is then usually missing).

import { createHash } from "node:crypto";
import { decompress } from "../../lib/tar/compression.ts";
import { TypeFlag } from "../../lib/tar/tar_header.ts";
import { readTar } from "../../lib/tar/tar_reader.ts";
import { invalidArgument, notFound, wrap } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { checkArchive, extract } from "../../lib/archive/extract.ts";
import { walk } from "../../lib/archive/walk.ts";
import { goMatch } from "./go_match.ts";
import { goClean, PatternMatcher, readDockerignore } from "../../lib/dockerignore.ts";

/** 20 GiB of uncompressed context: far above a sane build, a stop for a hostile one. */
const MAX_CONTEXT_BYTES = 20 * 2 ** 30;

/** A Dockerfile is read whole: a bound on what a hostile context can make the daemon hold. */
const MAX_DOCKERFILE_BYTES = 32 * 2 ** 20;

export interface UnpackedContext extends AsyncDisposable {
  /** The private directory holding the context (mode 0700). */
  dir: string;
  /** Removes the directory (idempotent). */
  cleanup(): Promise<void>;
}

export interface UnpackOptions {
  maxBytes?: number;
  signal?: AbortSignal;
}

const MAGIC_BZIP2 = [0x42, 0x5a, 0x68];
const MAGIC_XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const startsWith = (head: Uint8Array, magic: number[]) => magic.every((b, i) => head[i] === b);

/** The bytes of `body` decompressed: gzip/zstd in-process, bzip2 and xz through their tools. */
async function* uncompressed(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let len = 0;
  let done = false;
  while (len < 6 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else {
      head.push(r.value);
      len += r.value.length;
    }
  }
  const first = new Uint8Array(len);
  head.reduce((off, c) => (first.set(c, off), off + c.length), 0);
  async function* rest() {
    if (first.length) yield first;
    if (!done) { for (let r = await it.next(); !r.done; r = await it.next()) yield r.value; }
  }
  const tool = startsWith(first, MAGIC_BZIP2) ? "bzip2" : startsWith(first, MAGIC_XZ) ? "xz" : "";
  if (!tool) {
    yield* decompress(rest(), { maxBytes });
    return;
  }
  yield* external(tool, rest(), maxBytes);
}

/** `tool -dc` as a filter (bzip2 and xz contexts, which Docker accepts too). */
async function* external(
  tool: string,
  input: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(tool, {
      args: ["-dc"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw invalidArgument(`${tool}-compressed build context: ${tool}: ${(e as Error).message}`);
  }
  const feed = (async () => {
    const w = child.stdin.getWriter();
    try {
      for await (const c of input) await w.write(c);
      await w.close();
    } catch {
      await w.abort().catch(() => {});
    }
  })();
  const stderr = new Response(child.stderr).text();
  let total = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout) {
      total += chunk.length;
      if (total > maxBytes) {
        throw invalidArgument(`build context decompresses to more than ${maxBytes} bytes`);
      }
      yield chunk;
    }
    finished = true;
  } finally {
    if (!finished) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }
    await feed;
    await child.status;
    await stderr;
  }
  const status = await child.status;
  if (!status.success) {
    const err = (await stderr).trim();
    throw invalidArgument(`${tool}-compressed build context: ${err || `exit ${status.code}`}`);
  }
}

/**
 * Second look at the spooled archive: no device nodes; and when the stream stopped inside a
 * block (`tail` bytes into it, the zero padding then added), the last entry must be a file
 * whose data ends exactly there. The docker CLI 28 sends such a tar when the Dockerfile
 * comes from outside the context (no padding, no end marker), and dockerd accepts it.
 */
async function secondLook(file: string, tail: number): Promise<void> {
  using f = await Deno.open(file);
  let last: { type: string; size: number } | undefined;
  for await (const { header: h } of readTar(f.readable)) {
    if (h.type === TypeFlag.char || h.type === TypeFlag.block) {
      throw invalidArgument(`build context: device node ${JSON.stringify(h.name)} refused`);
    }
    last = h;
  }
  if (tail && !(last?.type === TypeFlag.file && last.size % 512 === tail)) {
    throw invalidArgument("build context: unexpected end of the archive");
  }
}

/**
 * Unpacks a POST /build body into a new private directory under `parent`. The body may be
 * a plain, gzip, bzip2 or xz tar; nothing is written outside the new directory, and on any
 * error nothing is left behind.
 */
export async function unpackContext(
  body: AsyncIterable<Uint8Array>,
  parent: string,
  opts: UnpackOptions = {},
): Promise<UnpackedContext> {
  await Deno.mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "context-" });
  await Deno.chmod(dir, 0o700);
  let removed = false;
  const cleanup = async () => {
    if (removed) return;
    removed = true;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const spool = `${dir}.tar`;
  try {
    const out = await Deno.open(spool, { write: true, createNew: true, mode: 0o600 });
    let size = 0;
    try {
      for await (const chunk of uncompressed(body, opts.maxBytes ?? MAX_CONTEXT_BYTES)) {
        opts.signal?.throwIfAborted();
        let off = 0;
        while (off < chunk.length) off += await out.write(chunk.subarray(off));
        size += chunk.length;
      }
      const pad = new Uint8Array(size % 512 ? 512 - (size % 512) : 0);
      for (let off = 0; off < pad.length;) off += await out.write(pad.subarray(off));
    } finally {
      out.close();
    }
    await checkArchive(spool);
    await secondLook(spool, size % 512);
    using root = fs.openAt(fs.AT_FDCWD, dir, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
    await extract(root, spool, { noOverwriteDirNonDir: false });
  } catch (e) {
    await cleanup();
    throw wrap(e, "build context");
  } finally {
    await Deno.remove(spool).catch(() => {});
  }
  return { dir, cleanup, [Symbol.asyncDispose]: cleanup };
}

/** The context's O_PATH root fd (closed by the caller, `using`). */
function openRoot(dir: string): fs.Fd {
  return fs.openAt(fs.AT_FDCWD, dir, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
}

/** A path opened inside the root (symlinks followed inside it), or null when missing. */
function resolve(root: fs.Fd, path: string): fs.Fd | null {
  try {
    return fs.openInRoot(root.fd, path, { flags: fs.O_PATH });
  } catch (e) {
    if (e instanceof fs.SysError && (e.code === "ENOENT" || e.code === "ENOTDIR")) return null;
    throw e;
  }
}

/**
 * The Dockerfile's text: `name` inside the context (symlinks resolved inside it), with
 * Docker's fallback from "Dockerfile" to "dockerfile". Returns the name actually used.
 */
export async function readDockerfile(
  dir: string,
  name: string,
): Promise<{ name: string; text: string }> {
  using root = openRoot(dir);
  for (const candidate of name === "Dockerfile" ? [name, "dockerfile"] : [name]) {
    using fd = resolve(root, candidate);
    if (!fd) continue;
    const st = await Deno.stat(`/proc/self/fd/${fd.fd}`);
    if (!st.isFile) throw invalidArgument(`the Dockerfile (${candidate}) is not a regular file`);
    if (st.size > MAX_DOCKERFILE_BYTES) {
      throw invalidArgument(`the Dockerfile (${candidate}) is larger than 32 MiB`);
    }
    return { name: candidate, text: await Deno.readTextFile(`/proc/self/fd/${fd.fd}`) };
  }
  throw notFound(`Cannot locate specified Dockerfile: ${name}`);
}

/**
 * The classic builder's removeDockerfile: once the Dockerfile is read, it and .dockerignore
 * leave the context when .dockerignore names them (so `COPY . /` does not copy them).
 */
export async function removeIgnoredBuildFiles(dir: string, dockerfile: string): Promise<void> {
  using root = openRoot(dir);
  let text: string;
  {
    using fd = resolve(root, ".dockerignore");
    if (!fd) return;
    // A FIFO here would hold this build (and a blocking-pool thread) forever.
    const st = await Deno.stat(`/proc/self/fd/${fd.fd}`);
    if (!st.isFile) throw invalidArgument("the .dockerignore is not a regular file");
    if (st.size > MAX_DOCKERFILE_BYTES) {
      throw invalidArgument("the .dockerignore is larger than 32 MiB");
    }
    text = await Deno.readTextFile(`/proc/self/fd/${fd.fd}`);
  }
  const pm = new PatternMatcher(readDockerignore(text));
  for (const file of [".dockerignore", dockerfile]) {
    if (!pm.matches(file)) continue;
    const parts = goClean(file).split("/");
    using parent = resolve(root, parts.slice(0, -1).join("/"));
    if (parent) fs.unlinkAt(parent.fd, parts[parts.length - 1]);
  }
}

/** Docker's containsWildcards: `*`, `?` or `[` not escaped by a backslash. */
export function containsWildcards(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "\\") i++;
    else if (path[i] === "*" || path[i] === "?" || path[i] === "[") return true;
  }
  return false;
}

/** Every path of the context, relative, in filepath.Walk's (lexical) order. */
async function contextPaths(root: fs.Fd): Promise<string[]> {
  const out: string[] = [];
  for await (const [h] of walk(root, ".", "")) out.push(h.name.replace(/\/$/, ""));
  return out;
}

/**
 * COPY/ADD sources as the classic builder's copier takes them: a leading "/" and "./"
 * dropped, paths leaving the context refused, wildcards (filepath.Match per path, `*`
 * never crossing "/") expanded against the whole context in lexical order, and every
 * resulting path checked to exist (symlinks resolved inside the context). `instruction`
 * ("COPY"/"ADD") prefixes the errors, as Docker's "COPY failed: …".
 */
export async function expandSources(
  dir: string,
  sources: string[],
  instruction: string,
): Promise<string[]> {
  using root = openRoot(dir);
  const failed = (msg: string) => `${instruction} failed: ${msg}`;
  let all: string[] | undefined;
  const out: string[] = [];
  for (const orig of sources) {
    const cleaned = goClean(orig);
    if (cleaned === ".." || cleaned.startsWith("../")) {
      throw invalidArgument(failed(`forbidden path outside the build context: ${orig} ()`));
    }
    let path = orig.length > 1 && orig.startsWith("/") ? orig.slice(1) : orig;
    if (path.startsWith("./")) path = path.slice(2);
    if (!containsWildcards(path)) {
      out.push(path);
      continue;
    }
    all ??= await contextPaths(root);
    out.push(...all.filter((rel) => goMatch(path, rel)));
  }
  if (out.length === 0) throw invalidArgument(failed("no source files were specified"));
  for (const path of out) {
    using fd = resolve(root, path);
    if (!fd) {
      throw notFound(
        failed(
          `file not found in build context or excluded by .dockerignore: stat ${path}: file does not exist`,
        ),
      );
    }
  }
  return out;
}

const sha256 = () => createHash("sha256");

/** The resolved path of an O_PATH fd, relative to the root's real path. */
function relativeTo(rootReal: string, fd: fs.Fd): string {
  const real = Deno.readLinkSync(`/proc/self/fd/${fd.fd}`);
  if (real === rootReal) return "";
  if (!real.startsWith(`${rootReal}/`)) throw invalidArgument(`${real} is outside the context`);
  return real.slice(rootReal.length + 1);
}

/**
 * One entry's hash, the fields of tarsum's v1 header (name, mode, uid, gid, size, type,
 * link target, device numbers; not the mtime) followed by the file's bytes.
 */
async function entryHash(
  h: {
    name: string;
    type: string;
    mode?: number;
    uid?: number;
    gid?: number;
    size?: number;
    linkname?: string;
    devmajor?: number;
    devminor?: number;
  },
  body?: AsyncIterable<Uint8Array>,
): Promise<string> {
  const hash = sha256();
  const fields: [string, string | number][] = [
    ["name", h.name],
    ["mode", h.mode ?? 0],
    ["uid", h.uid ?? 0],
    ["gid", h.gid ?? 0],
    ["size", h.size ?? 0],
    ["typeflag", h.type],
    ["linkname", h.linkname ?? ""],
    ["uname", ""],
    ["gname", ""],
    ["devmajor", h.devmajor ?? 0],
    ["devminor", h.devminor ?? 0],
  ];
  for (const [k, v] of fields) hash.update(`${k}${v}`);
  if (body) { for await (const chunk of body) hash.update(chunk); }
  return hash.digest("hex");
}

/**
 * The classic builder's source hash for the cache key of COPY/ADD, over sources already
 * expanded (expandSources): a file gives "file:<hash>" of its header fields (path relative
 * to the context, mode, owner, size, type, link target) and bytes; a directory gives
 * "dir:<hash>" of the sorted hashes of everything under it (and itself unless it is the
 * context root); several sources give "multi:<hash>" of theirs. Symlinks named as sources
 * are followed inside the context (as Docker); symlinks met inside a directory are hashed
 * as links. Modification times are not hashed (as Docker's tarsum v1).
 */
export async function checksumSources(dir: string, sources: string[]): Promise<string> {
  using root = openRoot(dir);
  const rootReal = Deno.realPathSync(dir);
  const one = async (path: string): Promise<string> => {
    using fd = resolve(root, path);
    if (!fd) throw notFound(`stat ${path}: file does not exist`);
    const rel = relativeTo(rootReal, fd);
    const slash = rel.lastIndexOf("/");
    using parent = fs.openInRoot(root.fd, slash < 0 ? "" : rel.slice(0, slash), {
      noSymlinks: true,
    });
    const base = rel === "" ? "." : rel.slice(slash + 1);
    const st = fs.lstatAt(parent.fd, base);
    if (!st) throw notFound(`stat ${path}: file does not exist`);
    const sums: string[] = [];
    for await (const [h, body] of walk(parent, base, rel)) {
      sums.push(await entryHash(h, body));
    }
    if ((st.mode & fs.S_IFMT) !== fs.S_IFDIR) return `file:${sums[0]}`;
    sums.sort();
    return `dir:${sha256().update(sums.join(",")).digest("hex")}`;
  };
  const hashes: string[] = [];
  for (const s of sources) hashes.push(await one(s));
  if (hashes.length === 1) return hashes[0];
  return `multi:${sha256().update(hashes.join(",")).digest("hex")}`;
}

/** `remote=` (a git URL or a tarball URL as the context): not fetched by this daemon. */
export function remoteContextError(remote: string): Error {
  return invalidArgument(
    `remote build contexts are not supported (remote=${JSON.stringify(remote)}): ` +
      `send the context as a tar in the request body`,
  );
}
