// The tar header of a file as moby's archiver (pkg/archive FileInfoHeader + addTarFile,
// dockerd 20.10) writes it for commit, export, docker cp and layer diffs: the mode field
// carries the file-type bits (Go's fillGo18FileTypeBits: 0100755, 040755, 020640, …),
// uname/gname are the names of the ids (Go's os/user: empty when there is none),
// the mtime is whole seconds, devices keep their numbers, and security.capability is the
// one xattr copied (ReadSecurityXattrToTarHeader), so a file's capabilities survive.
import { TypeFlag } from "../tar/tar_header.ts";
import type { TarInput } from "../tar/tar_writer.ts";
import * as fs from "../../sys/fs.ts";

/** The xattr moby's archiver carries into the tars it writes. */
export const CAPABILITY_XATTR = "security.capability";

function major(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
function minor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

const TYPES = new Map<number, string>([
  [fs.S_IFDIR, TypeFlag.dir],
  [fs.S_IFREG, TypeFlag.file],
  [fs.S_IFLNK, TypeFlag.symlink],
  [fs.S_IFCHR, TypeFlag.char],
  [fs.S_IFBLK, TypeFlag.block],
  [fs.S_IFIFO, TypeFlag.fifo],
]);

/** The entry type of a stat's file type; undefined for sockets (left out, as moby does). */
export function typeOf(st: fs.Stat): string | undefined {
  return TYPES.get(st.mode & fs.S_IFMT);
}

/**
 * The header of (dirFd, base) as `name`: every field but the linkname of symlinks and
 * hardlinks and the size of regular files, which the walker sets.
 */
export function fileHeader(
  dirFd: number,
  base: string,
  name: string,
  st: fs.Stat,
  names: IdNames = hostNames,
): TarInput {
  const type = typeOf(st) ?? TypeFlag.file;
  const h: TarInput = {
    name,
    type,
    mode: st.mode & (fs.S_IFMT | 0o7777),
    uid: st.uid,
    gid: st.gid,
    uname: names.user(st.uid),
    gname: names.group(st.gid),
    mtime: Math.floor(st.mtime),
  };
  if (type === TypeFlag.char || type === TypeFlag.block) {
    h.devmajor = major(st.rdev);
    h.devminor = minor(st.rdev);
  }
  // Only a regular file can hold file capabilities (the kernel refuses the xattr on others).
  const cap = type === TypeFlag.file ? capability(dirFd, base) : null;
  if (cap) h.xattrs = new Map([[CAPABILITY_XATTR, cap]]);
  return h;
}

/** Errors (a filesystem without xattrs, a name gone meanwhile) mean none, as moby's `_`. */
function capability(dirFd: number, base: string): Uint8Array | null {
  try {
    return fs.lgetxattrAt(dirFd, base, CAPABILITY_XATTR);
  } catch {
    return null;
  }
}

/** The names a tar writer gives to ids (uname/gname). */
export interface IdNames {
  user(uid: number): string;
  group(gid: number): string;
}

/** name:x:id:… lines of a user or group database; the first name of an id wins. */
function parseIds(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 3 || !/^\d+$/.test(f[2])) continue;
    const id = Number(f[2]);
    if (!out.has(id)) out.set(id, f[0]);
  }
  return out;
}

function readText(read: () => string): string {
  try {
    return read();
  } catch {
    return ""; // no database: no names
  }
}

// Go's archive/tar caches the host's names for the life of the process; so do we.
let hostUsers: Map<number, string> | undefined;
let hostGroups: Map<number, string> | undefined;

/** The host's /etc/passwd and /etc/group (commit and build diffs, the CLI's cp). */
export const hostNames: IdNames = {
  user(uid) {
    hostUsers ??= parseIds(readText(() => Deno.readTextFileSync("/etc/passwd")));
    return hostUsers.get(uid) ?? "";
  },
  group(gid) {
    hostGroups ??= parseIds(readText(() => Deno.readTextFileSync("/etc/group")));
    return hostGroups.get(gid) ?? "";
  },
};

const MAX_ID_FILE = 4 << 20;

/**
 * A container's names, for export and cp: dockerd 20.10 writes those tars chrooted in
 * the rootfs (chrootarchive), where glibc finds the container's /etc/passwd and group,
 * then nss-systemd's synthesized root and nobody (Debian's nsswitch: files systemd).
 */
export function rootfsNames(rootFd: number): IdNames {
  // The container's files: a FIFO or a device node there is no database (never opened).
  const read = (path: string) =>
    parseIds(
      new TextDecoder().decode(fs.readRegularInRoot(rootFd, path, MAX_ID_FILE) ?? undefined),
    );
  const users = read("etc/passwd");
  const groups = read("etc/group");
  return {
    user: (uid) => users.get(uid) ?? SYNTHESIZED_USERS.get(uid) ?? "",
    group: (gid) => groups.get(gid) ?? SYNTHESIZED_GROUPS.get(gid) ?? "",
  };
}

const SYNTHESIZED_USERS = new Map([[0, "root"], [65534, "nobody"]]);
const SYNTHESIZED_GROUPS = new Map([[0, "root"], [65534, "nogroup"]]);
