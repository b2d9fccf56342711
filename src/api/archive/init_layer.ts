// dockerd's init layer in `docker export`: between the image and the container's layer,
// dockerd 20.10 (daemon/initlayer) always puts empty 0755 files at /.dockerenv,
// /etc/resolv.conf, /etc/hosts, /etc/hostname and /dev/console, 0755 directories at
// /dev/pts, /dev/shm, /proc and /sys, and /etc/mtab -> /proc/mounts (replacing what the
// image had there), so its export lists them. Our runtime makes only the mount targets it
// needs, in the container's own layer: the export stream presents those paths as dockerd's
// init layer has them, in the walk's order.
import { TypeFlag } from "../../lib/tar/tar_header.ts";
import type { Entry } from "../../lib/archive/walk.ts";

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

type Kind = "dir" | "file" | "/proc/mounts";

const INIT: [string, Kind][] = [
  [".dockerenv", "file"],
  ["dev", "dir"],
  ["dev/console", "file"],
  ["dev/pts", "dir"],
  ["dev/shm", "dir"],
  ["etc", "dir"],
  ["etc/hostname", "file"],
  ["etc/hosts", "file"],
  ["etc/mtab", "/proc/mounts"],
  ["etc/resolv.conf", "file"],
  ["proc", "dir"],
  ["sys", "dir"],
];

/** The parents of the init paths: kept as the rootfs has them when it has them. */
const PARENTS = new Set(["dev", "etc"]);

/** filepath.Walk's order: component by component, a directory before its contents. */
function walkOrder(a: string, b: string): number {
  const x = a.split("/"), y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

function initEntry(name: string, kind: Kind, mtime: number): Entry {
  const common = { name, uid: 0, gid: 0, uname: "root", gname: "root", mtime };
  if (kind === "dir") return [{ ...common, type: TypeFlag.dir, mode: S_IFDIR | 0o755 }];
  if (kind === "file") return [{ ...common, type: TypeFlag.file, mode: S_IFREG | 0o755 }];
  return [{ ...common, type: TypeFlag.symlink, mode: S_IFLNK | 0o777, linkname: kind }];
}

/**
 * The rootfs walk (names relative, no "./") with the init layer's entries: those paths
 * (and everything a rootfs had below the files among them) are replaced, missing ones
 * inserted; `created` (the container's creation, seconds) is their mtime.
 */
export async function* withInitLayer(
  entries: AsyncIterable<Entry>,
  created: number,
): AsyncGenerator<Entry> {
  const mtime = Math.floor(created);
  let next = 0;
  const pending = (name: string) => next < INIT.length && walkOrder(INIT[next][0], name) <= 0;
  for await (const e of entries) {
    const name = e[0].name.replace(/\/$/, "");
    while (pending(name)) {
      const [path, kind] = INIT[next++];
      if (path === name && PARENTS.has(path) && e[0].type === TypeFlag.dir) {
        yield e;
        break;
      }
      yield initEntry(path, kind, mtime);
    }
    if (INIT.some(([p, k]) => name === p || (k !== "dir" && name.startsWith(`${p}/`)))) {
      continue;
    }
    yield e;
  }
  while (next < INIT.length) {
    const [path, kind] = INIT[next++];
    yield initEntry(path, kind, mtime);
  }
}
