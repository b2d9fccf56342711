// Copy-up: the image's content at a volume's mount path copied into the new, empty volume
// before its first mount, as dockerd does (owner, modes, times and symlinks kept). The
// image path is resolved with openat2(RESOLVE_IN_ROOT) inside the container's (merged,
// read-only) rootfs; every step below works on fds, never follows a symlink, and never
// builds a path from an image's names (SECURITY.md a, c).
import {
  AT_FDCWD,
  Fd,
  lchmodAt,
  lchownAt,
  lstatAt,
  lutimesAt,
  mkdirAt,
  mknodAt,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  openAt,
  openInRoot,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  symlinkAt,
  SysError,
  writeAll,
} from "../../sys/fs.ts";
import { readSync } from "../../sys/libc.ts";
import { mount, MS_RDONLY, unmount } from "../../sys/mount.ts";
import { layerDirs, type SnapshotMount } from "../containers/rootfs_reader.ts";

const MAX_DEPTH = 512;
const MAX_ENTRIES = 1_000_000;

export interface CopyUpTarget {
  /** The mount destination inside the container. */
  path: string;
  /** The volume's _data directory on the host. */
  dataDir: string;
}

function names(dir: Fd): string[] {
  return [...Deno.readDirSync(`/proc/self/fd/${dir.fd}`)].map((e) => e.name);
}

/** Sets owner, mode (after chown, which clears set-id bits) and mtime of `name` in `dir`. */
function copyMeta(dir: Fd, name: string, st: NonNullable<ReturnType<typeof lstatAt>>) {
  lchownAt(dir.fd, name, st.uid, st.gid);
  if ((st.mode & S_IFMT) !== S_IFLNK) lchmodAt(dir.fd, name, st.mode & 0o7777);
  lutimesAt(dir.fd, name, null, st.mtime);
}

function copyFile(src: Fd, dst: Fd, name: string, buf: Uint8Array<ArrayBuffer>) {
  using s = openAt(src.fd, name, O_RDONLY | O_NOFOLLOW);
  using t = openAt(dst.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  for (;;) {
    const n = readSync(s.fd, buf);
    if (n <= 0) break;
    writeAll(t, buf.subarray(0, n));
  }
}

function copyTree(
  src: Fd,
  dst: Fd,
  depth: number,
  count: { n: number },
  buf: Uint8Array<ArrayBuffer>,
) {
  if (depth > MAX_DEPTH) throw new Error(`copy-up: deeper than ${MAX_DEPTH} directories`);
  for (const name of names(src)) {
    if (++count.n > MAX_ENTRIES) throw new Error(`copy-up: more than ${MAX_ENTRIES} entries`);
    const st = lstatAt(src.fd, name);
    if (!st) continue;
    switch (st.mode & S_IFMT) {
      case S_IFDIR: {
        mkdirAt(dst.fd, name, 0o700);
        using s2 = openAt(src.fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        using d2 = openAt(dst.fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        copyTree(s2, d2, depth + 1, count, buf);
        break;
      }
      case S_IFREG:
        copyFile(src, dst, name, buf);
        break;
      case S_IFLNK:
        symlinkAt(Deno.readLinkSync(`/proc/self/fd/${src.fd}/${name}`), dst.fd, name);
        break;
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO:
        mknodAt(dst.fd, name, st.mode, st.rdev);
        break;
      default:
        continue; // sockets are not copied
    }
    copyMeta(dst, name, st);
  }
}

/** Copies `path` of the rootfs held by `root` into the empty directory `dataDir`. */
function copyOne(root: Fd, t: CopyUpTarget) {
  let src: Fd;
  try {
    src = openInRoot(root.fd, t.path);
  } catch (e) {
    // Nothing (or not a directory) at that path in the image: nothing to copy.
    if (e instanceof SysError && (e.code === "ENOENT" || e.code === "ENOTDIR")) return;
    throw e;
  }
  using s = src;
  using d = openAt(AT_FDCWD, t.dataDir, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  if (names(d).length) return; // not empty: Docker copies only into an empty volume
  const st = lstatAt(s.fd, ".");
  if (!st) return;
  copyTree(s, d, 0, { n: 0 }, new Uint8Array(1 << 16));
  copyMeta(d, ".", st);
}

/**
 * Copies each target's image content from the container's snapshot: one layer is used as
 * it is, several are mounted as a read-only overlay on a private directory under `work`.
 */
export async function copyUp(
  mounts: SnapshotMount[],
  targets: CopyUpTarget[],
  work: string,
): Promise<void> {
  if (!targets.length) return;
  const dirs = layerDirs(mounts);
  if (!dirs.length) throw new Error("copy-up: the container's snapshot has no layers");
  let rootPath = dirs[0];
  let mounted = "";
  try {
    if (dirs.length > 1) {
      mounted = await Deno.makeTempDir({ dir: work, prefix: ".copyup-" });
      const data = `lowerdir=${dirs.join(":")}`;
      if (data.length > 4000) throw new Error("copy-up: too many layers for one overlay mount");
      mount("overlay", mounted, "overlay", MS_RDONLY, data);
      rootPath = mounted;
    }
    using root = openAt(AT_FDCWD, rootPath, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    for (const t of targets) {
      try {
        copyOne(root, t);
      } catch (e) {
        throw new Error(`copy-up of ${t.path} into ${t.dataDir}: ${(e as Error).message}`);
      }
    }
  } finally {
    if (mounted) {
      try {
        unmount(mounted, true);
      } catch { /* reported by the rmdir below */ }
      await Deno.remove(mounted).catch(() => {});
    }
  }
}
