// /.dockerenv, the file dockerd 20.10's init layer puts in every container (an empty 0755
// root-owned file, whatever the image had there): programs look for it to know they run
// in a Docker container. Written into the new container's writable layer at create; like
// the init layer's other paths it is left out of commit, diff and export's own walk.
// (The init layer's /etc/mtab -> /proc/mounts is not made: its 12 bytes would count in
// the writable layer's size, which dockerd measures without the init layer.)
import * as fs from "../../sys/fs.ts";
import type { SnapshotMount } from "./rootfs_reader.ts";

/** The writable directory of an active snapshot: overlay's upperdir or a rw bind's source. */
function writableDir(mounts: SnapshotMount[]): string | undefined {
  const m = mounts[0];
  if (mounts.length !== 1 || !m) return undefined;
  if (m.type === "overlay") return m.options.find((o) => o.startsWith("upperdir="))?.slice(9);
  if (m.type === "bind" && !m.options.includes("ro")) return m.source;
  return undefined;
}

export function writeDockerenv(mounts: SnapshotMount[]): void {
  const upper = writableDir(mounts);
  if (!upper) throw new Error("/.dockerenv: the container's snapshot has no writable layer");
  using dir = fs.openAt(fs.AT_FDCWD, upper, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
  using f = fs.openAt(dir.fd, ".dockerenv", fs.O_WRONLY | fs.O_CREAT | fs.O_NOFOLLOW, 0o755);
  fs.fchown(f, 0, 0);
  fs.fchmod(f, 0o755);
}
