// Tar entries of a tree inside a container's root, read fd-relative: every directory is
// opened with O_NOFOLLOW from its parent's fd, files are opened through an O_PATH fd that
// pins the inode checked, symlinks are recorded (never followed). A file that shrinks
// while read (the container races us) is padded, one that grows is cut at its stat size.
import { TypeFlag } from "../tar/tar_header.ts";
import type { TarInput } from "../tar/tar_writer.ts";
import { fileHeader, type IdNames, typeOf } from "./header.ts";
import * as fs from "../../sys/fs.ts";

export type Entry = [TarInput, AsyncIterable<Uint8Array>?];

export interface WalkOptions {
  /** Leaves an entry out (a directory with everything below it). */
  skip?: (name: string, dirFd: number, base: string, st: fs.Stat) => boolean;
  /**
   * The tree is an overlay upper directory: 0/0 char devices become `.wh.<name>` files and
   * an opaque directory gets a `.wh..wh..opq` entry, as moby's overlayWhiteoutConverter.
   */
  overlayWhiteouts?: boolean;
  /** uname/gname of the ids: the host's unless given. */
  names?: IdNames;
}

const CHUNK = 128 << 10;
const OPAQUE_XATTR = "trusted.overlay.opaque";

/**
 * Walks (dir, base) into tar entries named from `name` ("" walks a root's children only),
 * with moby's headers (header.ts). As moby's tarAppender (SeenFiles), a later path of an
 * inode with other links (any non-directory) is a hardlink entry naming the first path.
 */
export async function* walk(
  dir: fs.Fd,
  base: string,
  name: string,
  opts: WalkOptions = {},
): AsyncGenerator<Entry> {
  const links = new Map<string, string>();
  yield* entry(dir.fd, base, name, links, opts);
}

async function* entry(
  dirFd: number,
  base: string,
  name: string,
  links: Map<string, string>,
  opts: WalkOptions,
): AsyncGenerator<Entry> {
  const st = fs.lstatAt(dirFd, base);
  if (!st) return; // removed meanwhile
  const type = typeOf(st);
  if (!type) return; // sockets are skipped, as Docker's archive does
  if (name !== "" && opts.skip?.(name, dirFd, base, st)) return;
  if (type === TypeFlag.dir) {
    yield* directory(dirFd, base, name, st, links, opts);
    return;
  }
  const h = fileHeader(dirFd, base, name, st, opts.names);
  if (type === TypeFlag.symlink) h.linkname = Deno.readLinkSync(`/proc/self/fd/${dirFd}/${base}`);
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) {
      h.type = TypeFlag.link;
      h.linkname = first;
    } else links.set(key, name);
  }
  if (opts.overlayWhiteouts && type === TypeFlag.char && st.rdev === 0n) {
    // moby renames the entry after its hardlink check: a whiteout sharing the overlay's
    // whiteout inode keeps the linkname of the first one, as a regular file.
    const slash = name.lastIndexOf("/");
    h.name = `${name.slice(0, slash + 1)}.wh.${name.slice(slash + 1)}`;
    yield [{ ...h, type: TypeFlag.file, mode: 0o600, size: 0, devmajor: 0, devminor: 0 }];
    return;
  }
  if (h.type === TypeFlag.file) {
    yield [{ ...h, size: st.size }, body(dirFd, base, st)];
    return;
  }
  yield [h];
}

async function* directory(
  dirFd: number,
  base: string,
  name: string,
  st: fs.Stat,
  links: Map<string, string>,
  opts: WalkOptions,
): AsyncGenerator<Entry> {
  if (name !== "") {
    const h = fileHeader(dirFd, base, name, st, opts.names);
    yield [h];
    if (opts.overlayWhiteouts && opaque(dirFd, base)) {
      yield [{
        ...h,
        name: `${name}/.wh..wh..opq`,
        type: TypeFlag.file,
        mode: (h.mode ?? 0) & 0o777,
        xattrs: undefined,
      }];
    }
  }
  let sub: fs.Fd;
  try {
    sub = fs.openAt(dirFd, base, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
  } catch {
    return; // replaced by a non-directory meanwhile
  }
  try {
    const names: string[] = [];
    for (const e of Deno.readDirSync(`/proc/self/fd/${sub.fd}`)) names.push(e.name);
    names.sort();
    for (const n of names) {
      yield* entry(sub.fd, n, name === "" ? n : `${name}/${n}`, links, opts);
    }
  } finally {
    sub.close();
  }
}

/** overlayfs marks a directory hiding the lower one's entries with trusted.overlay.opaque=y. */
function opaque(dirFd: number, base: string): boolean {
  try {
    const v = fs.lgetxattrAt(dirFd, base, OPAQUE_XATTR);
    return v?.length === 1 && v[0] === 0x79;
  } catch {
    return false;
  }
}

/** Exactly st.size bytes of the file (base in dirFd), read through the inode we checked. */
async function* body(dirFd: number, base: string, st: fs.Stat): AsyncGenerator<Uint8Array> {
  let left = st.size;
  let file: Deno.FsFile | undefined;
  try {
    using pin = fs.openAt(dirFd, base, fs.O_PATH | fs.O_NOFOLLOW);
    const proc = `/proc/self/fd/${pin.fd}`;
    const now = Deno.statSync(proc);
    if (now.isFile && BigInt(now.ino ?? 0) === st.ino) file = Deno.openSync(proc, { read: true });
  } catch { /* gone or swapped: zeros */ }
  try {
    const buf = new Uint8Array(CHUNK);
    while (file && left > 0) {
      const n = await file.read(buf.subarray(0, Math.min(CHUNK, left)));
      if (n === null || n === 0) break;
      left -= n;
      yield buf.slice(0, n);
    }
  } finally {
    file?.close();
  }
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    left -= n;
    yield new Uint8Array(n);
  }
}
