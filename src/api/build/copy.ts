// COPY/ADD into a step container's rootfs, as the classic builder's copier
// (builder/dockerfile/copy.go): a directory source copies its contents; a file lands in the
// destination when it ends in "/" or is a directory, else at the destination's name;
// everything copied belongs to the --chown identity (default root), a directory's
// destination too when it is made here (an existing one keeps its owner); a symlink source
// is copied as what it points to, under its own name; ADD extracts local tar archives
// (gzip, bzip2, xz or plain) keeping their owners.
// Sources are read fd-relative inside their root (the context directory or a stage's
// rootfs) with walk.ts; what is written goes through the cp extractor (extract.ts), so no
// path of either side leads outside its root.

import { parseGroup, parsePasswd } from "../../containerd/oci/user.ts";
import { type TarInput, tarStream } from "../../lib/tar/tar_writer.ts";
import { TypeFlag } from "../../lib/tar/tar_header.ts";
import { invalidArgument, notFound, wrap } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { checkArchive, extract } from "../../lib/archive/extract.ts";
import { type Entry, walk } from "../../lib/archive/walk.ts";
import { CAPABILITY_XATTR } from "../../lib/archive/header.ts";

export interface Identity {
  uid: number;
  gid: number;
}

export interface CopySource {
  /** O_PATH directory fd of the root the source lives in. */
  root: fs.Fd;
  /** The path inside that root ("" or "." for the root itself). */
  path: string;
  /** How the error names it ("foo.txt"). */
  display: string;
}

export interface CopyOptions {
  /** Owner of what is copied (COPY/ADD always set one: root unless --chown). */
  identity: Identity;
  /** --chown was given (new parent directories of a file then belong to it too). */
  chowned: boolean;
  /** --chmod's mode bits, applied to every copied entry. */
  chmod?: number;
  /** ADD: local archives are extracted. */
  decompress: boolean;
  /** A private directory for spooling the entries. */
  spoolDir: string;
}

const isDir = (st: fs.Stat | null) => !!st && (st.mode & fs.S_IFMT) === fs.S_IFDIR;

function splitPath(path: string): { dir: string; base: string } {
  const clean = path.split("/").filter((p) => p !== "" && p !== ".").join("/");
  const slash = clean.lastIndexOf("/");
  if (clean === "") return { dir: "", base: "." };
  return { dir: clean.slice(0, slash + 1), base: clean.slice(slash + 1) };
}

const MAX_ID_FILE = 4 << 20;

/**
 * Reads a small regular file of the rootfs (resolved inside it); null when absent. A FIFO
 * or a device node there (an image's) is never opened: it would block the daemon or read
 * without end.
 */
function readRootFile(root: fs.Fd, path: string): string | null {
  const data = fs.readRegularInRoot(root.fd, path, MAX_ID_FILE);
  return data === null ? null : new TextDecoder().decode(data);
}

/**
 * --chown's "user[:group]" (a group defaults to the user string, as Docker's
 * parseChownFlag): names from the rootfs's /etc/passwd and /etc/group, numbers as they are.
 */
export function resolveChown(spec: string, root: fs.Fd): Identity {
  const parts = spec.split(":");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw invalidArgument(`invalid chown string format: ${spec}`);
  }
  const [user, group = user] = parts;
  const num = (s: string) => /^\d+$/.test(s) && Number(s) <= 0xfffffffe ? Number(s) : undefined;
  let uid = num(user);
  if (uid === undefined) {
    const text = readRootFile(root, "etc/passwd");
    uid = text === null ? undefined : parsePasswd(text).find((e) => e.name === user)?.uid;
    if (uid === undefined) {
      throw invalidArgument(
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ` +
          `${user}: no such user: ${user}`,
      );
    }
  }
  let gid = num(group);
  if (gid === undefined) {
    const text = readRootFile(root, "etc/group");
    gid = text === null ? undefined : parseGroup(text).find((e) => e.name === group)?.gid;
    if (gid === undefined) {
      throw invalidArgument(
        `unable to convert uid/gid chown string to host mapping: can't find gid for group ` +
          `${group}: no such group: ${group}`,
      );
    }
  }
  return { uid, gid };
}

/**
 * Creates `abs` and its missing parents inside `root` (symlinks resolved inside it), each
 * new one 0755 and owned by `owner`; true when `abs` already existed.
 */
export function mkdirAllInRoot(root: fs.Fd, abs: string, owner: Identity): boolean {
  const parts = abs.split("/").filter((p) => p !== "" && p !== ".");
  let existed = true;
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    try {
      fs.openInRoot(root.fd, prefix).close();
      continue;
    } catch (e) {
      if (e instanceof fs.SysError && e.code === "ENOTDIR") {
        throw invalidArgument(`/${prefix} is not a directory`);
      }
      if (!(e instanceof fs.SysError && e.code === "ENOENT")) throw e;
    }
    using up = fs.openInRoot(root.fd, parts.slice(0, i - 1).join("/"));
    fs.mkdirAt(up.fd, parts[i - 1], 0o755);
    fs.lchownAt(up.fd, parts[i - 1], owner.uid, owner.gid);
    fs.lchmodAt(up.fd, parts[i - 1], 0o755);
    existed = false;
  }
  return existed;
}

function existingDir(root: fs.Fd, abs: string): boolean {
  try {
    using fd = fs.openInRoot(root.fd, abs, { flags: fs.O_PATH });
    return Deno.statSync(`/proc/self/fd/${fd.fd}`).isDirectory;
  } catch {
    return false;
  }
}

/** Walk entries renamed under `prefix`, owned by the identity, with --chmod's mode. */
async function* owned(
  entries: AsyncIterable<Entry>,
  prefix: string,
  o: CopyOptions,
): AsyncGenerator<Entry> {
  for await (const [source, body] of entries) {
    const h = chowned(source);
    const name = prefix && h.name ? `${prefix}/${h.name}` : prefix || h.name;
    const mode = o.chmod !== undefined && h.type !== TypeFlag.symlink ? o.chmod : h.mode;
    const linkname = h.type === TypeFlag.link && prefix ? `${prefix}/${h.linkname}` : h.linkname;
    yield [{ ...h, name, linkname, mode, uid: o.identity.uid, gid: o.identity.gid }, body];
  }
}

/**
 * dockerd's copier chowns every path it copied (fixPermissions), and chown makes the kernel
 * drop a non-directory's setuid bit, its setgid bit when it is group-executable, and its
 * security.capability: a copied file keeps none of them, as dockerd 20.10's COPY.
 */
function chowned(h: TarInput): TarInput {
  if (h.type === TypeFlag.dir || h.type === TypeFlag.symlink) return h;
  let mode = (h.mode ?? 0) & ~0o4000;
  if (mode & 0o010) mode &= ~0o2000;
  const xattrs = new Map(h.xattrs);
  xattrs.delete(CAPABILITY_XATTR);
  return { ...h, mode, xattrs };
}

async function spool(entries: AsyncIterable<Entry>, file: string): Promise<void> {
  using f = await Deno.open(file, { write: true, createNew: true, mode: 0o600 });
  for await (const chunk of tarStream(entries)) {
    let off = 0;
    while (off < chunk.length) off += await f.write(chunk.subarray(off));
  }
}

/** Extracts a spooled tar under the directory `abs` of `root`. */
async function extractAt(root: fs.Fd, abs: string, file: string): Promise<void> {
  using dest = fs.openInRoot(root.fd, abs.replace(/^\/+/, ""));
  await extract(dest, file, { noOverwriteDirNonDir: false });
}

/** The decompressed bytes of a local archive, or null when `file` is not a tar archive. */
async function archiveTar(file: string, spoolFile: string): Promise<boolean> {
  const head = new Uint8Array(512);
  let n: number;
  {
    using f = await Deno.open(file);
    n = (await f.read(head)) ?? 0;
  }
  const tool = head[0] === 0x1f && head[1] === 0x8b
    ? "gzip"
    : head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68
    ? "bzip2"
    : head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58
    ? "xz"
    : undefined;
  if (tool) {
    using out = await Deno.open(spoolFile, { write: true, createNew: true, mode: 0o600 });
    using input = await Deno.open(file);
    const child = new Deno.Command(tool, {
      args: ["-dc"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const feeding = input.readable.pipeTo(child.stdin).catch(() => {});
    for await (const chunk of child.stdout) {
      let off = 0;
      while (off < chunk.length) off += await out.write(chunk.subarray(off));
    }
    await feeding;
    if (!(await child.status).success) return false;
  } else {
    if (n < 512) return false;
    await Deno.copyFile(file, spoolFile);
  }
  return await isTar(spoolFile);
}

/** A ustar/gnu header with a valid checksum in the first block. */
async function isTar(file: string): Promise<boolean> {
  const h = new Uint8Array(512);
  using f = await Deno.open(file);
  if (((await f.read(h)) ?? 0) < 512) return false;
  const stored = parseInt(new TextDecoder().decode(h.subarray(148, 156)).replace(/\0.*$/, ""), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return Number.isFinite(stored) && stored === sum;
}

/** The source's path with its symlinks resolved inside its root (as it is when missing). */
function resolvedPath(src: CopySource): string {
  let fd: fs.Fd;
  try {
    fd = fs.openInRoot(src.root.fd, src.path, { flags: fs.O_PATH });
  } catch {
    return src.path;
  }
  try {
    const real = Deno.readLinkSync(`/proc/self/fd/${fd.fd}`);
    const top = Deno.readLinkSync(`/proc/self/fd/${src.root.fd}`);
    if (real === top) return "";
    if (!real.startsWith(`${top}/`)) throw invalidArgument(`${src.display}: outside its root`);
    return real.slice(top.length + 1);
  } finally {
    fd.close();
  }
}

/** Copies each source to `dest` (absolute, a trailing "/" kept) in the rootfs `root`. */
export async function copySources(
  root: fs.Fd,
  sources: CopySource[],
  dest: string,
  o: CopyOptions,
): Promise<void> {
  const ROOT_ID = { uid: 0, gid: 0 };
  let n = 0;
  const spoolFile = () => `${o.spoolDir}/copy-${crypto.randomUUID()}-${n++}.tar`;
  const files: string[] = [];
  try {
    for (const src of sources) {
      // The source itself is followed inside its root (as Docker); what is below is not.
      const { dir, base } = splitPath(resolvedPath(src));
      let dirFd: fs.Fd;
      try {
        dirFd = fs.openInRoot(src.root.fd, dir, { noSymlinks: true });
      } catch {
        throw notFound(
          `file not found in build context or excluded by .dockerignore: ` +
            `stat ${src.display}: file does not exist`,
        );
      }
      try {
        const st = fs.lstatAt(dirFd.fd, base);
        if (!st) {
          throw notFound(
            `file not found in build context or excluded by .dockerignore: ` +
              `stat ${src.display}: file does not exist`,
          );
        }
        if (isDir(st)) {
          const existed = existingDir(root, dest);
          mkdirAllInRoot(root, dest, ROOT_ID);
          const destParts = splitPath(dest);
          using parent = fs.openInRoot(root.fd, destParts.dir);
          // A destination made here belongs to the identity; an existing one keeps its owner.
          if (!existed) fs.lchownAt(parent.fd, destParts.base, o.identity.uid, o.identity.gid);
          const file = spoolFile();
          files.push(file);
          await spool(owned(walk(dirFd, base, ""), "", o), file);
          await extractAt(root, dest, file);
          continue;
        }
        if (o.decompress && (st.mode & fs.S_IFMT) === fs.S_IFREG) {
          const tar = spoolFile();
          files.push(tar);
          using pin = fs.openAt(dirFd.fd, base, fs.O_PATH | fs.O_NOFOLLOW);
          if (await archiveTar(`/proc/self/fd/${pin.fd}`, tar)) {
            await checkArchive(tar).catch((e) => {
              throw wrap(e, `ADD ${src.display}`);
            });
            mkdirAllInRoot(root, dest, ROOT_ID);
            await extractAt(root, dest, tar);
            continue;
          }
        }
        const intoDir = dest.endsWith("/") || existingDir(root, dest);
        // A symlink source is copied as what it points to, under its own name (Docker's).
        const name = splitPath(src.path).base;
        const target = intoDir ? `${dest.replace(/\/+$/, "")}/${name}` : dest;
        const t = splitPath(target);
        mkdirAllInRoot(root, t.dir || "/", o.chowned ? o.identity : ROOT_ID);
        const file = spoolFile();
        files.push(file);
        await spool(owned(walk(dirFd, base, t.base), "", o), file);
        await extractAt(root, t.dir || "/", file);
      } finally {
        dirFd.close();
      }
    }
  } finally {
    for (const f of files) await Deno.remove(f).catch(() => {});
  }
}
