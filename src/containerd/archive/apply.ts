// applyLayer: unpacks a (compressed or not) layer tar into a snapshot directory, the way
// containerd's overlay applier does: whiteouts become overlay whiteouts, ownership, modes,
// times and xattrs are kept, and nothing is ever written outside the directory.
//
// Every entry's parent is opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
// RESOLVE_NO_SYMLINKS) and the entry is created with *at() calls relative to that fd. A
// symlink anywhere in an entry's parent path is refused (a layer never needs to write
// through one: tar producers record symlinks as leaves), so a planted `a -> /` followed by
// `a/etc/passwd` fails, as do `..`, absolute names and hardlinks that leave the layer.

import { invalidArgument, wrap } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { decompress, type InflateWorkers } from "../../lib/tar/compression.ts";
import {
  entryComponents,
  WHITEOUT_META_PREFIX,
  WHITEOUT_OPAQUE,
  WHITEOUT_PREFIX,
} from "../../lib/tar/entry_path.ts";
import { type TarHeader, TypeFlag } from "../../lib/tar/tar_header.ts";
import { readTar, type TarEntry } from "../../lib/tar/tar_reader.ts";

export interface ApplyOptions {
  /** Cap on the uncompressed stream (SECURITY.md class e); default 100 GiB. */
  maxUncompressedBytes?: number;
  /** Decompression workers shared by the layers of one image. */
  workers?: InflateWorkers;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar stream ("sha256:<hex>"). */
  diffID: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  /** Bytes of regular-file data written. */
  unpackedBytes: number;
  entries: number;
}

const OPAQUE_XATTR = "trusted.overlay.opaque";
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to chown: never a real owner
const enc = new TextEncoder();

export async function applyLayer(
  snapshotDir: string,
  stream: AsyncIterable<Uint8Array>,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  let diffID = "";
  let size = 0;
  async function* sized(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of src) {
      size += c.length;
      yield c;
    }
  }
  using root = fs.openAt(fs.AT_FDCWD, snapshotDir, fs.O_PATH | fs.O_DIRECTORY);
  using ex = new Extractor(root);
  // The diff id is hashed by the decompressor (off the main thread for compressed layers);
  // readTar reads its source to the end, so the hash covers the whole stream.
  const tar = readTar(sized(decompress(stream, {
    maxBytes: opts.maxUncompressedBytes,
    onDigest: (d) => diffID = d,
    workers: opts.workers,
  })));
  for await (const entry of tar) {
    try {
      await ex.apply(entry);
    } catch (e) {
      throw wrap(e, `entry ${JSON.stringify(entry.header.name)}`);
    }
  }
  ex.finish();
  if (!diffID) throw new Error("applyLayer: the decompressor reported no digest");
  return {
    diffID,
    size,
    unpackedBytes: ex.unpackedBytes,
    entries: ex.entries,
  };
}

class Extractor {
  unpackedBytes = 0;
  entries = 0;
  /** The last parent directory opened: tar entries come grouped by directory. */
  #cache: { path: string; fd: fs.Fd } | null = null;
  /** Directory times, set at the end so that creating their contents does not undo them. */
  #dirTimes = new Map<string, [number, number]>();

  constructor(private root: fs.Fd) {}

  async apply({ header: h, body }: TarEntry): Promise<void> {
    this.entries++;
    const parts = entryComponents(h.name);
    if (parts.length === 0) return this.#applyRoot(h);
    const base = parts[parts.length - 1];
    const parentPath = parts.slice(0, -1).join("/");
    if (base.startsWith(WHITEOUT_PREFIX)) return this.#whiteout(parentPath, base);
    checkIds(h);
    const dir = this.#parent(parentPath).fd;
    switch (h.type) {
      case TypeFlag.dir: {
        const st = fs.lstatAt(dir, base);
        if (st && (st.mode & fs.S_IFMT) !== fs.S_IFDIR) this.#remove(dir, base, st);
        if (!st || (st.mode & fs.S_IFMT) !== fs.S_IFDIR) fs.mkdirAt(dir, base, 0o700);
        this.#meta(dir, base, h, true);
        this.#dirTimes.set(parts.join("/"), [h.atime ?? h.mtime, h.mtime]);
        return;
      }
      case TypeFlag.file:
        return await this.#file(dir, base, h, body());
      case TypeFlag.symlink:
        this.#create(dir, base, () => fs.symlinkAt(h.linkname, dir, base));
        this.#meta(dir, base, h, false);
        return;
      case TypeFlag.link:
        return this.#hardlink(dir, base, h);
      case TypeFlag.char:
      case TypeFlag.block:
      case TypeFlag.fifo: {
        const kind = h.type === TypeFlag.char
          ? fs.S_IFCHR
          : h.type === TypeFlag.block
          ? fs.S_IFBLK
          : fs.S_IFIFO;
        const dev = kind === fs.S_IFIFO ? 0n : fs.makedev(h.devmajor, h.devminor);
        this.#create(dir, base, () => fs.mknodAt(dir, base, kind | (h.mode & 0o7777), dev));
        this.#meta(dir, base, h, true);
        return;
      }
      default:
        throw invalidArgument(`unsupported entry type ${JSON.stringify(h.type)}`);
    }
  }

  /** Sets deferred directory times; a directory replaced meanwhile is skipped. */
  finish(): void {
    for (const [path, [atime, mtime]] of this.#dirTimes) {
      const parts = path === "" ? [] : path.split("/");
      try {
        if (parts.length === 0) {
          fs.lutimesAt(this.root.fd, ".", atime, mtime);
          continue;
        }
        const dir = this.#parent(parts.slice(0, -1).join("/"), false).fd;
        const st = fs.lstatAt(dir, parts[parts.length - 1]);
        if (st && (st.mode & fs.S_IFMT) === fs.S_IFDIR) {
          fs.lutimesAt(dir, parts[parts.length - 1], atime, mtime);
        }
      } catch (e) {
        if (!(e instanceof fs.SysError && ["ENOENT", "ENOTDIR"].includes(e.code))) {
          throw wrap(e, `set times of ${JSON.stringify(path)}`);
        }
      }
    }
  }

  [Symbol.dispose](): void {
    this.#cache?.fd.close();
    this.#cache = null;
  }

  /** The "./" entry: the snapshot directory's own metadata. */
  #applyRoot(h: TarHeader): void {
    if (h.type !== TypeFlag.dir) throw invalidArgument("the root can only be a directory");
    checkIds(h);
    this.#meta(this.root.fd, ".", h, true);
    this.#dirTimes.set("", [h.atime ?? h.mtime, h.mtime]);
  }

  /** Opens (creating missing directories, unless `create` is false) an entry's parent. */
  #parent(path: string, create = true): fs.Fd {
    if (this.#cache?.path === path) return this.#cache.fd;
    this.#cache?.fd.close();
    this.#cache = null;
    let fd: fs.Fd;
    try {
      fd = fs.openInRoot(this.root.fd, path, { noSymlinks: true });
    } catch (e) {
      if (!(create && e instanceof fs.SysError && e.code === "ENOENT")) throw refusal(e, path);
      fd = this.#mkdirs(path);
    }
    this.#cache = { path, fd };
    return fd;
  }

  /** Creates the missing directories of `path` (0755, as tar does), one component at a time. */
  #mkdirs(path: string): fs.Fd {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      try {
        fs.openInRoot(this.root.fd, prefix, { noSymlinks: true }).close();
      } catch (e) {
        if (!(e instanceof fs.SysError && e.code === "ENOENT")) throw refusal(e, prefix);
        using dir = fs.openInRoot(this.root.fd, parts.slice(0, i - 1).join("/"), {
          noSymlinks: true,
        });
        fs.mkdirAt(dir.fd, parts[i - 1], 0o755);
      }
    }
    return fs.openInRoot(this.root.fd, path, { noSymlinks: true });
  }

  async #file(dir: number, base: string, h: TarHeader, body: AsyncGenerator<Uint8Array>) {
    const flags = fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL | fs.O_NOFOLLOW;
    let file: fs.Fd | undefined;
    this.#create(dir, base, () => {
      file = fs.openAt(dir, base, flags, 0o600);
    });
    using f = file!;
    for await (const chunk of body) {
      fs.writeAll(f, chunk as Uint8Array<ArrayBuffer>);
      this.unpackedBytes += chunk.length;
    }
    // chown first: it clears setuid/setgid bits that chmod then sets.
    fs.fchown(f, h.uid, h.gid);
    fs.fchmod(f, h.mode & 0o7777);
    for (const [key, value] of h.xattrs) {
      checkXattr(key, value, h);
      ignoreUnsupported(() => fs.fsetxattr(f, key, value as Uint8Array<ArrayBuffer>));
    }
    fs.lutimesAt(dir, base, h.atime ?? h.mtime, h.mtime);
  }

  #hardlink(dir: number, base: string, h: TarHeader): void {
    let target: string[];
    try {
      target = entryComponents(h.linkname);
    } catch (e) {
      throw wrap(e, `hardlink target ${JSON.stringify(h.linkname)}`);
    }
    if (target.length === 0) throw invalidArgument("hardlink to the root refused");
    const targetParent = target.slice(0, -1).join("/");
    const absent = () =>
      invalidArgument(`hardlink target ${JSON.stringify(h.linkname)} is not in the layer`);
    let from: fs.Fd;
    try {
      from = fs.openInRoot(this.root.fd, targetParent, { noSymlinks: true });
    } catch (e) {
      throw e instanceof fs.SysError && e.code === "ENOENT" ? absent() : refusal(e, targetParent);
    }
    using _ = from;
    const targetBase = target[target.length - 1];
    if (!fs.lstatAt(from.fd, targetBase)) throw absent();
    this.#create(dir, base, () => fs.linkAt(from.fd, targetBase, dir, base));
    // As containerd's and moby's createTarFile: the inode takes the link entry's owner,
    // mode (unless it is a symlink), xattrs and times.
    const symlink = (fs.lstatAt(dir, base)!.mode & fs.S_IFMT) === fs.S_IFLNK;
    this.#meta(dir, base, h, !symlink);
  }

  /** `.wh.<name>` becomes a 0/0 char device; `.wh..wh..opq` marks the parent opaque. */
  #whiteout(parentPath: string, base: string): void {
    const dir = this.#parent(parentPath).fd;
    if (base === WHITEOUT_OPAQUE) {
      fs.lsetxattrAt(dir, ".", OPAQUE_XATTR, enc.encode("y"));
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return;
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === "" || name === "." || name === "..") {
      throw invalidArgument(`invalid whiteout ${JSON.stringify(base)}`);
    }
    this.#create(dir, name, () => fs.mknodAt(dir, name, fs.S_IFCHR, fs.makedev(0, 0)));
  }

  /** Runs `make`; if the name exists, removes it (duplicates replace, as in tar) and retries. */
  #create(dir: number, base: string, make: () => void): void {
    try {
      make();
    } catch (e) {
      if (!(e instanceof fs.SysError && e.code === "EEXIST")) throw e;
      const st = fs.lstatAt(dir, base);
      if (st) this.#remove(dir, base, st);
      make();
    }
  }

  #remove(dir: number, base: string, st: fs.Stat): void {
    if ((st.mode & fs.S_IFMT) !== fs.S_IFDIR) return fs.unlinkAt(dir, base);
    // Rust's remove_dir_all (behind Deno.remove) walks with openat/O_NOFOLLOW and never
    // follows a symlink; /proc/self/fd/<dir> names exactly the directory we hold.
    Deno.removeSync(`/proc/self/fd/${dir}/${base}`, { recursive: true });
  }

  /** Ownership, mode (not for symlinks), xattrs, and times (directories: in finish()). */
  #meta(dir: number, base: string, h: TarHeader, chmod: boolean): void {
    fs.lchownAt(dir, base, h.uid, h.gid);
    if (chmod) fs.lchmodAt(dir, base, h.mode & 0o7777);
    for (const [key, value] of h.xattrs) {
      checkXattr(key, value, h);
      ignoreUnsupported(() => fs.lsetxattrAt(dir, base, key, value as Uint8Array<ArrayBuffer>));
    }
    if (h.type !== TypeFlag.dir) fs.lutimesAt(dir, base, h.atime ?? h.mtime, h.mtime);
  }
}

function checkIds(h: TarHeader): void {
  for (const [what, id] of [["uid", h.uid], ["gid", h.gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw invalidArgument(`${what} ${id} out of range`);
    }
  }
}

/**
 * overlayfs reads trusted.overlay.* (opaque, redirect, metacopy): a layer must not set
 * them, except a directory's opaque=y, which says what `.wh..wh..opq` says (an
 * overlay-style layer; dockerd applies it too).
 */
function checkXattr(key: string, value: Uint8Array, h: TarHeader): void {
  if (!key.startsWith("trusted.overlay.")) return;
  const opaque = key === OPAQUE_XATTR && h.type === TypeFlag.dir && value.length === 1 &&
    value[0] === 0x79;
  if (!opaque) throw invalidArgument(`xattr ${key} refused`);
}

/** A filesystem without xattr support (or the namespace) is not a reason to fail the layer. */
function ignoreUnsupported(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof fs.SysError && e.code === "EOPNOTSUPP")) throw e;
  }
}

/** Explains resolution failures: ELOOP means a symlink in the path, EXDEV an escape. */
function refusal(e: unknown, path: string): unknown {
  if (e instanceof fs.SysError && (e.code === "ELOOP" || e.code === "EXDEV")) {
    return invalidArgument(`refusing to resolve ${JSON.stringify(path)} through a symlink`);
  }
  return e;
}
