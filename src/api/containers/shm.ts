// The /dev/shm a container can share (dockerd's setupIpcDirs / UnmountIpcMount): a
// "shareable" container's is a tmpfs the daemon mounts on the host, under the container's
// directory, for the container's run; the container binds it, and so do the containers
// joining its IPC (a mount inside the container's own mount namespace could not be bound by
// them). ShmPath records the directory in force: this tmpfs, the host's /dev/shm with
// --ipc host, the donor's with --ipc container:<id>, none otherwise.
import { internal } from "../../lib/errors.ts";
import { mount, unmount } from "../../sys/mount.ts";
import type { Daemon } from "../daemon.ts";
import { mountPointsOf } from "../volumes/mounts.ts";
import { IPC_MODES } from "./spec.ts";
import type { Container } from "./store.ts";

const MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8;

/** Where a shareable container's tmpfs is mounted. */
export function shmDir(d: Daemon, id: string): string {
  return `${d.store.dir(id)}/mounts/shm`;
}

/** dockerd's HasMountFor: a volume, bind or tmpfs of the user's at `path`. */
export function hasMountFor(c: Container, path: string): boolean {
  return mountPointsOf(c).some((p) => p.Destination === path) ||
    Object.keys(c.host.Tmpfs ?? {}).includes(path);
}

/**
 * Start: a shareable container's tmpfs (ShmSize bytes, mode 1777) mounted afresh, a host one
 * the host's /dev/shm; ShmPath records it. Joiners set theirs when they join (join_ns.ts).
 */
export async function setupShm(d: Daemon, c: Container): Promise<void> {
  const mode = c.host.IpcMode;
  if (!IPC_MODES.includes(mode) && !mode.startsWith("container:")) {
    throw internal(`Invalid IPC mode: ${mode}`); // a system error (500), as dockerd's
  }
  if (mode === "host") {
    c.rec.ShmPath = "/dev/shm";
    return;
  }
  // A user's own /dev/shm is not shared (its joiners are refused, as dockerd's).
  if (mode !== "shareable" || hasMountFor(c, "/dev/shm")) {
    if (!mode.startsWith("container:")) c.rec.ShmPath = "";
    return;
  }
  const dir = shmDir(d, c.rec.ID);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  unmount(dir, true); // a leftover of a crash
  mount(
    "shm",
    dir,
    "tmpfs",
    MS_NOSUID | MS_NODEV | MS_NOEXEC,
    `mode=1777,size=${c.host.ShmSize}`,
  );
  c.rec.ShmPath = dir;
}

/** The run is over: the tmpfs goes (joiners keep their binds of it until they stop). */
export function releaseShm(d: Daemon, c: Container): void {
  if (c.host.IpcMode === "shareable" && c.rec.ShmPath) unmount(shmDir(d, c.rec.ID), true);
}
