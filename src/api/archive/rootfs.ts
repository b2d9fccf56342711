// A container's root filesystem as a directory fd, for cp/export: a running container's
// rootfs is containerd's bundle mount (<bundle>/rootfs); a stopped one's snapshot is
// mounted in a private temporary directory (read-only unless writing) and unmounted on
// release. The container's lock is held from acquire to release, so it cannot start,
// stop or be removed meanwhile (a start would mount the same upper directory again).
import { conflict } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { mount, MS_BIND, MS_RDONLY, MS_REC, unmount } from "../../sys/mount.ts";
import type { Container } from "../containers/store.ts";
import type { Daemon } from "../daemon.ts";
import { log } from "../log.ts";

const MS_REMOUNT = 32;

export interface Rootfs {
  /** O_PATH directory fd of the container's "/" (every path is resolved inside it). */
  fd: fs.Fd;
  /** Host path of that directory (for messages and /proc-free dev checks only). */
  path: string;
  /** Closes the fd, unmounts a temporary mount and releases the container's lock. */
  release(): Promise<void>;
}

/** Holds the container's lock and its rootfs until `release()`. */
export function acquireRootfs(d: Daemon, c: Container, writable: boolean): Promise<Rootfs> {
  return new Promise<Rootfs>((resolve, reject) => {
    d.lock.run(c.rec.ID, async () => {
      let opened: { fd: fs.Fd; path: string; cleanup: () => Promise<void> };
      try {
        opened = await open(d, c, writable);
      } catch (e) {
        reject(e);
        return;
      }
      let done!: () => void;
      const released = new Promise<void>((r) => (done = r));
      let once = false;
      resolve({
        fd: opened.fd,
        path: opened.path,
        release: () => {
          if (!once) {
            once = true;
            done();
          }
          return Promise.resolve();
        },
      });
      await released;
      opened.fd.close();
      await opened.cleanup().catch((e) => log("warn", `cp: cleanup: ${(e as Error).message}`));
    }).catch(reject);
  });
}

async function open(d: Daemon, c: Container, writable: boolean) {
  const id = c.rec.ID;
  if (writable && c.host.ReadonlyRootfs) {
    throw conflict("container rootfs is marked read-only");
  }
  if (c.rec.State.Running) {
    const state = await d.containerd.tasks.state(id);
    const path = `${state.bundle}/rootfs`;
    const fd = fs.openAt(fs.AT_FDCWD, path, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
    return { fd, path, cleanup: () => Promise.resolve() };
  }
  const snap = await d.containerd.containers.snapshot(id);
  const dir = `${d.opts.execRoot}/cp/${crypto.randomUUID().slice(0, 12)}`;
  await Deno.mkdir(`${d.opts.execRoot}/cp`, { recursive: true, mode: 0o700 });
  await Deno.mkdir(dir, { mode: 0o700 });
  const cleanup = async () => {
    unmount(dir, true);
    await Deno.remove(dir).catch(() => {});
  };
  try {
    if (snap.mounts.length !== 1) throw conflict(`container ${id}: unexpected rootfs mounts`);
    const m = snap.mounts[0];
    const ro = !writable || m.options.includes("ro");
    if (m.type === "bind") {
      mount(m.source, dir, "", MS_BIND | MS_REC);
      if (ro) mount("", dir, "", MS_REMOUNT | MS_BIND | MS_RDONLY);
    } else {
      const data = m.options.filter((o) => o !== "ro" && o !== "rw").join(",");
      mount(m.source, dir, m.type, ro ? MS_RDONLY : 0, data);
    }
    const fd = fs.openAt(fs.AT_FDCWD, dir, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
    return { fd, path: dir, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
