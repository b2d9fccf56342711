// GET /containers/{id}/changes: the snapshot's upper directory compared with its lower
// layers, with the rules of moby's archive.changes + overlayDeletedFile: a 0/0 char device
// (overlay whiteout) or an opaque directory is a deletion (Kind 2); an entry present in a
// lower layer is a modification (Kind 0), otherwise an addition (Kind 1); a directory
// present below with the same mode and owner is not reported by itself, but the parent of
// every addition or deletion is (once). Paths the runtime creates as mount targets (what
// Docker keeps in its init layer) are left out. Every lookup is fd-relative.
import { layerDirs } from "../containers/rootfs_reader.ts";
import * as fs from "../../sys/fs.ts";
import type { Container } from "../containers/store.ts";
import type { Daemon } from "../daemon.ts";

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** Docker's init layer: mount targets and files the daemon provides. */
const INIT_PATHS = new Set([
  "/dev",
  "/dev/pts",
  "/dev/shm",
  "/dev/console",
  "/dev/mqueue",
  "/proc",
  "/sys",
  "/.dockerenv",
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/hostname",
  "/etc/mtab",
]);

export async function containerChanges(d: Daemon, c: Container): Promise<Change[]> {
  const snap = await d.containerd.containers.snapshot(c.rec.ID);
  const dirs = layerDirs(snap.mounts);
  const m = snap.mounts[0];
  let upper: string | undefined;
  let lowers: string[];
  if (m?.type === "overlay") {
    upper = m.options.find((o) => o.startsWith("upperdir="))?.slice(9) ?? snap.upper;
    lowers = dirs.filter((x) => x !== upper);
  } else {
    upper = snap.upper ?? m?.source;
    lowers = [];
  }
  if (!upper) return [];
  using up = fs.openAt(fs.AT_FDCWD, upper, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
  const lowerFds = lowers.map((l) => fs.openAt(fs.AT_FDCWD, l, fs.O_PATH | fs.O_DIRECTORY));
  try {
    const out: Change[] = [];
    const changedDirs = new Set<string>();
    walkUpper(up.fd, "", lowerFds, out, changedDirs);
    return out;
  } finally {
    for (const f of lowerFds) f.close();
  }
}

function lowerStat(lowers: fs.Fd[], path: string): fs.Stat | null {
  const slash = path.lastIndexOf("/");
  for (const l of lowers) {
    try {
      using dir = fs.openInRoot(l.fd, path.slice(0, slash) || "/");
      const st = fs.lstatAt(dir.fd, path.slice(slash + 1));
      if (st) return st;
    } catch { /* not in this layer */ }
  }
  return null;
}

const isDir = (st: fs.Stat) => (st.mode & fs.S_IFMT) === fs.S_IFDIR;

function walkUpper(
  dirFd: number,
  prefix: string,
  lowers: fs.Fd[],
  out: Change[],
  changedDirs: Set<string>,
): void {
  const names: string[] = [];
  for (const e of Deno.readDirSync(`/proc/self/fd/${dirFd}`)) names.push(e.name);
  names.sort();
  for (const name of names) {
    const path = `${prefix}/${name}`;
    const st = fs.lstatAt(dirFd, name);
    if (!st) continue;
    if (!INIT_PATHS.has(path)) record(dirFd, name, path, st, lowers, out, changedDirs);
    if (isDir(st)) {
      using sub = fs.openAt(dirFd, name, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
      walkUpper(sub.fd, path, lowers, out, changedDirs);
    }
  }
}

function record(
  dirFd: number,
  name: string,
  path: string,
  st: fs.Stat,
  lowers: fs.Fd[],
  out: Change[],
  changedDirs: Set<string>,
): void {
  let kind: 0 | 1 | 2;
  const whiteout = (st.mode & fs.S_IFMT) === fs.S_IFCHR && st.rdev === 0n;
  let opaque = false;
  if (isDir(st)) {
    try {
      const v = fs.lgetxattrAt(dirFd, name, "trusted.overlay.opaque");
      opaque = !!v && v.length === 1 && v[0] === 0x79;
    } catch { /* no xattrs here */ }
  }
  if (whiteout || opaque) kind = 2;
  else {
    const below = lowerStat(lowers, path);
    if (!below) kind = 1;
    else {
      if (
        isDir(below) && isDir(st) && below.mode === st.mode && below.uid === st.uid &&
        below.gid === st.gid
      ) return;
      kind = 0;
    }
  }
  if (isDir(st)) changedDirs.add(path);
  if (kind !== 0) {
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent !== "" && !changedDirs.has(parent)) {
      out.push({ Path: parent, Kind: 0 });
      changedDirs.add(parent);
    }
  }
  out.push({ Path: path, Kind: kind });
}
