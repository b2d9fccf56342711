// A tar extracted into a directory (the daemon's PUT archive, `engine cp` to a local path, build).
// The upload is spooled to a private file and every entry name checked first (no
// absolute names, no ".."), so a hostile archive is refused before anything is written.
// Each entry's parent is then opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)
// relative to the destination directory: nothing lands outside it, no symlink (planted
// by the archive or by the container) is written through, and entries are created with
// *at() calls and O_NOFOLLOW|O_EXCL. No whiteout semantics: `.wh.*` names are plain files.
import { entryComponents } from "../tar/entry_path.ts";
import { type TarHeader, TypeFlag } from "../tar/tar_header.ts";
import { readTar, type TarEntry } from "../tar/tar_reader.ts";
import { invalidArgument, wrap } from "../errors.ts";
import * as fs from "../../sys/fs.ts";

const MAX_ID = 0xfffffffe;

/** Reads the spooled tar once to check every name; throws on the first bad one. */
export async function checkArchive(file: string): Promise<void> {
  using f = await Deno.open(file);
  for await (const { header: h } of readTar(f.readable)) {
    try {
      entryComponents(h.name);
      if (h.type === TypeFlag.link) entryComponents(h.linkname);
      checkIds(h);
      if (![...Object.values(TypeFlag)].includes(h.type as never) || h.type === TypeFlag.cont) {
        throw invalidArgument(`unsupported entry type ${JSON.stringify(h.type)}`);
      }
    } catch (e) {
      throw wrap(e, `archive entry ${JSON.stringify(h.name)}`);
    }
  }
}

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  /** Every entry's owner instead of the archive's (moby's ChownOpts). */
  chown?: { uid: number; gid: number };
}

export async function extract(dest: fs.Fd, file: string, opts: ExtractOptions): Promise<void> {
  using f = await Deno.open(file);
  const ex = new Extractor(dest, opts.noOverwriteDirNonDir);
  try {
    for await (const entry of readTar(f.readable)) {
      if (opts.chown) Object.assign(entry.header, opts.chown);
      try {
        await ex.apply(entry);
      } catch (e) {
        throw wrap(e, `extract ${JSON.stringify(entry.header.name)}`);
      }
    }
    ex.finish();
  } finally {
    ex.close();
  }
}

class Extractor {
  #cache: { path: string; fd: fs.Fd } | null = null;
  #dirTimes: [string, number][] = [];

  constructor(private root: fs.Fd, private noOverwrite: boolean) {}

  async apply({ header: h, body }: TarEntry): Promise<void> {
    const parts = entryComponents(h.name);
    if (parts.length === 0) return; // "./": the destination itself is left as it is
    const base = parts[parts.length - 1];
    const dir = this.#parent(parts.slice(0, -1).join("/")).fd;
    const st = fs.lstatAt(dir, base);
    const isDir = (s: fs.Stat | null) => !!s && (s.mode & fs.S_IFMT) === fs.S_IFDIR;
    if (h.type === TypeFlag.dir) {
      if (st && !isDir(st)) {
        if (this.noOverwrite) {
          throw invalidArgument(`cannot overwrite non-directory ${base} with directory ${h.name}`);
        }
        fs.unlinkAt(dir, base);
      }
      if (!isDir(st)) fs.mkdirAt(dir, base, 0o700);
      fs.lchownAt(dir, base, h.uid, h.gid);
      fs.lchmodAt(dir, base, h.mode & 0o7777);
      setXattrs(dir, base, h);
      this.#dirTimes.push([parts.join("/"), h.mtime]);
      return;
    }
    if (st) {
      if (isDir(st)) {
        if (this.noOverwrite) {
          throw invalidArgument(`cannot overwrite directory ${base} with non-directory ${h.name}`);
        }
        // remove_dir_all never follows symlinks; the magic link names the dir we hold.
        Deno.removeSync(`/proc/self/fd/${dir}/${base}`, { recursive: true });
      } else if (h.type !== TypeFlag.link || !this.#sameAsTarget(dir, base, h)) {
        fs.unlinkAt(dir, base);
      } else return;
    }
    switch (h.type) {
      case TypeFlag.file: {
        using out = fs.openAt(
          dir,
          base,
          fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL | fs.O_NOFOLLOW,
          0o600,
        );
        for await (const chunk of body()) fs.writeAll(out, chunk as Uint8Array<ArrayBuffer>);
        fs.fchown(out, h.uid, h.gid); // before chmod: chown clears setuid bits
        fs.fchmod(out, h.mode & 0o7777);
        setXattrs(dir, base, h);
        break;
      }
      case TypeFlag.symlink:
        fs.symlinkAt(h.linkname, dir, base);
        fs.lchownAt(dir, base, h.uid, h.gid);
        setXattrs(dir, base, h);
        break;
      case TypeFlag.link: {
        const target = entryComponents(h.linkname);
        if (target.length === 0) throw invalidArgument("hardlink to the destination refused");
        using from = fs.openInRoot(this.root.fd, target.slice(0, -1).join("/"), {
          noSymlinks: true,
        });
        fs.linkAt(from.fd, target[target.length - 1], dir, base);
        // moby's createTarFile gives the inode the link entry's owner, mode, xattrs and
        // times (a symlink's only its owner), as for any other entry.
        fs.lchownAt(dir, base, h.uid, h.gid);
        if ((fs.lstatAt(dir, base)!.mode & fs.S_IFMT) === fs.S_IFLNK) return;
        fs.lchmodAt(dir, base, h.mode & 0o7777);
        setXattrs(dir, base, h);
        break;
      }
      case TypeFlag.char:
      case TypeFlag.block:
      case TypeFlag.fifo: {
        const kind = h.type === TypeFlag.char
          ? fs.S_IFCHR
          : h.type === TypeFlag.block
          ? fs.S_IFBLK
          : fs.S_IFIFO;
        const dev = kind === fs.S_IFIFO ? 0n : fs.makedev(h.devmajor, h.devminor);
        fs.mknodAt(dir, base, kind | (h.mode & 0o7777), dev);
        fs.lchownAt(dir, base, h.uid, h.gid);
        fs.lchmodAt(dir, base, h.mode & 0o7777);
        setXattrs(dir, base, h);
        break;
      }
      default:
        return; // PAX/GNU records are folded in by the reader; others were refused
    }
    fs.lutimesAt(dir, base, h.atime ?? h.mtime, h.mtime);
  }

  /** A hardlink entry naming the file it already is (tar re-extraction): nothing to do. */
  #sameAsTarget(dir: number, base: string, h: TarHeader): boolean {
    try {
      const target = entryComponents(h.linkname);
      using from = fs.openInRoot(this.root.fd, target.slice(0, -1).join("/"), {
        noSymlinks: true,
      });
      const a = fs.lstatAt(from.fd, target[target.length - 1]);
      const b = fs.lstatAt(dir, base);
      return !!a && !!b && a.ino === b.ino && a.dev === b.dev;
    } catch {
      return false;
    }
  }

  finish(): void {
    for (const [path, mtime] of this.#dirTimes.reverse()) {
      const parts = path.split("/");
      try {
        using dir = fs.openInRoot(this.root.fd, parts.slice(0, -1).join("/"), {
          noSymlinks: true,
        });
        fs.lutimesAt(dir.fd, parts[parts.length - 1], mtime, mtime);
      } catch { /* replaced meanwhile */ }
    }
  }

  close(): void {
    this.#cache?.fd.close();
    this.#cache = null;
  }

  #parent(path: string): fs.Fd {
    if (this.#cache?.path === path) return this.#cache.fd;
    this.close();
    const parts = path === "" ? [] : path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      try {
        fs.openInRoot(this.root.fd, prefix, { noSymlinks: true }).close();
      } catch (e) {
        if (!(e instanceof fs.SysError && e.code === "ENOENT")) throw refusal(e, prefix);
        using up = fs.openInRoot(this.root.fd, parts.slice(0, i - 1).join("/"), {
          noSymlinks: true,
        });
        fs.mkdirAt(up.fd, parts[i - 1], 0o755);
      }
    }
    let fd: fs.Fd;
    try {
      fd = fs.openInRoot(this.root.fd, path, { noSymlinks: true });
    } catch (e) {
      throw refusal(e, path);
    }
    this.#cache = { path, fd };
    return fd;
  }
}

/**
 * The entry's xattrs, as moby's createTarFile sets them: one the filesystem refuses
 * (EOPNOTSUPP, or EPERM as overlayfs answers for its own trusted.overlay.* keys) is left
 * out; those keys are never written, so an archive cannot mark a directory opaque.
 */
function setXattrs(dir: number, base: string, h: TarHeader): void {
  for (const [key, value] of h.xattrs) {
    if (key.startsWith("trusted.overlay.")) continue;
    try {
      fs.lsetxattrAt(dir, base, key, value as Uint8Array<ArrayBuffer>);
    } catch (e) {
      if (!(e instanceof fs.SysError && ["EOPNOTSUPP", "EPERM"].includes(e.code))) throw e;
    }
  }
}

function checkIds(h: TarHeader): void {
  for (const [what, id] of [["uid", h.uid], ["gid", h.gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw invalidArgument(`${what} ${id} out of range`);
    }
  }
}

function refusal(e: unknown, path: string): unknown {
  if (e instanceof fs.SysError && (e.code === "ELOOP" || e.code === "EXDEV")) {
    return invalidArgument(`refusing to write through a symlink at ${JSON.stringify(path)}`);
  }
  if (e instanceof fs.SysError && e.code === "ENOTDIR") {
    return invalidArgument(`${JSON.stringify(path)} is not a directory`);
  }
  return e;
}
