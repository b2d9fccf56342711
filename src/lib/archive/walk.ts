// Tar entries of a tree inside a container's root, read fd-relative: every directory is
// opened with O_NOFOLLOW from its parent's fd, files are opened through an O_PATH fd that
// pins the inode checked, symlinks are recorded (never followed). A file that shrinks
// while read (the container races us) is padded, one that grows is cut at its stat size.
import { TypeFlag } from "../tar/tar_header.ts";
import type { TarInput } from "../tar/tar_writer.ts";
import * as fs from "../../sys/fs.ts";

export type Entry = [TarInput, AsyncIterable<Uint8Array>?];

const CHUNK = 128 << 10;

function major(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
function minor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

/** Walks (dir, base) into tar entries named from `name` ("" walks a root's children only). */
export async function* walk(dir: fs.Fd, base: string, name: string): AsyncGenerator<Entry> {
  const links = new Map<string, string>();
  yield* entry(dir.fd, base, name, links);
}

async function* entry(
  dirFd: number,
  base: string,
  name: string,
  links: Map<string, string>,
): AsyncGenerator<Entry> {
  const st = fs.lstatAt(dirFd, base);
  if (!st) return; // removed meanwhile
  const common = {
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtime),
  };
  switch (st.mode & fs.S_IFMT) {
    case fs.S_IFDIR: {
      if (name !== "") yield [{ ...common, name, type: TypeFlag.dir }];
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
        for (const n of names) yield* entry(sub.fd, n, name === "" ? n : `${name}/${n}`, links);
      } finally {
        sub.close();
      }
      return;
    }
    case fs.S_IFREG: {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        const first = links.get(key);
        if (first !== undefined) {
          yield [{ ...common, name, type: TypeFlag.link, linkname: first }];
          return;
        }
        links.set(key, name);
      }
      yield [{ ...common, name, type: TypeFlag.file, size: st.size }, body(dirFd, base, st)];
      return;
    }
    case fs.S_IFLNK: {
      const linkname = Deno.readLinkSync(`/proc/self/fd/${dirFd}/${base}`);
      yield [{ ...common, name, type: TypeFlag.symlink, linkname }];
      return;
    }
    case fs.S_IFCHR:
    case fs.S_IFBLK:
    case fs.S_IFIFO: {
      const t = st.mode & fs.S_IFMT;
      const type = t === fs.S_IFCHR
        ? TypeFlag.char
        : t === fs.S_IFBLK
        ? TypeFlag.block
        : TypeFlag.fifo;
      yield [{
        ...common,
        name,
        type,
        devmajor: t === fs.S_IFIFO ? 0 : major(st.rdev),
        devminor: t === fs.S_IFIFO ? 0 : minor(st.rdev),
      }];
      return;
    }
    default:
      return; // sockets are skipped, as Docker's archive does
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
