// docker cp and export: stat (HEAD), tar of a path (GET), extraction (PUT), and the tar
// of the whole rootfs, all fd-relative inside the container's root (rootfs.ts).
import { tarStream } from "../../lib/tar/tar_writer.ts";
import { TypeFlag } from "../../lib/tar/tar_header.ts";
import { internal, invalidArgument } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import type { Container } from "../containers/store.ts";
import type { Daemon } from "../daemon.ts";
import { checkArchive, extract } from "../../lib/archive/extract.ts";
import { goFileMode, goTime, type PathStat } from "./gostat.ts";
import { absPath, cleanAbs, goBase, resolveDestDir, resolvePath } from "./paths.ts";
import { acquireRootfs } from "./rootfs.ts";
import { copyRoot } from "./copy_root.ts";
import { type Entry, walk } from "../../lib/archive/walk.ts";
import { rootfsNames } from "../../lib/archive/header.ts";
import { withInitLayer } from "./init_layer.ts";
import { copyOwner } from "./copy_owner.ts";

/** The files the daemon bind-mounts over the rootfs: cp reads the daemon's copy, as Docker. */
function daemonFile(c: Container, path: string): string | undefined {
  const abs = absPath(path);
  if (abs !== cleanAbs(abs)) return undefined; // "/etc/hosts/" is not the file
  const files: Record<string, string> = {
    "/etc/hostname": c.rec.HostnamePath,
    "/etc/hosts": c.rec.HostsPath,
    "/etc/resolv.conf": c.rec.ResolvConfPath,
  };
  return files[abs] || undefined;
}

async function daemonFileStat(host: string, path: string) {
  const st = await Deno.stat(host);
  const info: PathStat = {
    name: goBase(absPath(path)),
    size: st.size,
    mode: goFileMode(st.mode ?? 0o100644),
    mtime: goTime((st.mtime?.getTime() ?? 0) / 1000),
    linkTarget: "",
  };
  return { st, info };
}

export async function statPath(d: Daemon, c: Container, path: string, name: string) {
  const host = daemonFile(c, path);
  if (host) return (await daemonFileStat(host, path)).info;
  const root = await acquireRootfs(d, c, false);
  try {
    using cr = copyRoot(root.fd, c, path);
    const r = resolvePath(cr.fd, cr.path, name, path, cr.mountPoint);
    r.dir.close();
    return r.info;
  } finally {
    await root.release();
  }
}

/** Runs `cleanup` once the stream ends, fails or is cancelled. */
function finallyStream(inner: ReadableStream<Uint8Array>, cleanup: () => Promise<void>) {
  const reader = inner.getReader();
  let done = false;
  const end = async () => {
    if (done) return;
    done = true;
    await cleanup();
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const r = await reader.read();
        if (r.done) {
          await end();
          ctl.close();
        } else ctl.enqueue(r.value);
      } catch (e) {
        await end();
        ctl.error(e);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
      await end();
    },
  });
}

export async function getArchive(d: Daemon, c: Container, path: string, name: string) {
  const host = daemonFile(c, path);
  const root = await acquireRootfs(d, c, false);
  // dockerd writes the tar chrooted in the rootfs: names come from the container's databases.
  const names = rootfsNames(root.fd.fd);
  if (host) {
    try {
      const { st, info } = await daemonFileStat(host, path);
      const data = await Deno.readFile(host);
      const entry: Entry = [
        {
          name: info.name,
          type: TypeFlag.file,
          size: data.length,
          mode: (st.mode ?? 0o100644) & (fs.S_IFMT | 0o7777),
          uid: st.uid ?? 0,
          gid: st.gid ?? 0,
          uname: names.user(st.uid ?? 0),
          gname: names.group(st.gid ?? 0),
          mtime: Math.floor((st.mtime?.getTime() ?? 0) / 1000),
        },
        (async function* () {
          yield data;
        })(),
      ];
      return { info, stream: tarStream([entry]) };
    } finally {
      await root.release();
    }
  }
  const cr = copyRoot(root.fd, c, path);
  try {
    const r = resolvePath(cr.fd, cr.path, name, path, cr.mountPoint);
    const prefix = r.info.name === "/" ? "." : r.info.name;
    const stream = finallyStream(tarStream(walk(r.dir, r.base, prefix, { names })), async () => {
      r.dir.close();
      cr[Symbol.dispose]();
      await root.release();
    });
    return { info: r.info, stream };
  } catch (e) {
    cr[Symbol.dispose]();
    await root.release();
    throw e;
  }
}

/** Spools the upload, checks every entry, then extracts it under `path`. */
export async function putArchive(
  d: Daemon,
  c: Container,
  path: string,
  name: string,
  body: ReadableStream<Uint8Array>,
  opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
): Promise<void> {
  const chown = opts.copyUIDGID ? await copyOwner(c.rec.Config.User) : undefined;
  await Deno.mkdir(`${d.opts.execRoot}/cp`, { recursive: true, mode: 0o700 });
  const spool = `${d.opts.execRoot}/cp/put-${crypto.randomUUID()}.tar`;
  try {
    {
      using f = await Deno.open(spool, { write: true, createNew: true, mode: 0o600 });
      for await (const chunk of body) {
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    }
    await checkArchive(spool);
    const root = await acquireRootfs(d, c, true);
    try {
      using cr = copyRoot(root.fd, c, path, true);
      // dockerd's words (ErrVolumeReadonly, a plain error: 500).
      if (cr.readOnly) throw internal("mounted volume is marked read-only");
      using dest = resolveDestDir(cr.fd, cr.path, name, path);
      const rootDev = Deno.statSync(`/proc/self/fd/${cr.fd.fd}`).dev;
      if (Deno.statSync(`/proc/self/fd/${dest.fd}`).dev !== rootDev) {
        throw invalidArgument(`${path} is on another mount: not written through`);
      }
      await extract(dest, spool, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, chown });
    } finally {
      await root.release();
    }
  } finally {
    await Deno.remove(spool).catch(() => {});
  }
}

/** The merged rootfs as a tar (docker export), with dockerd's init layer (init_layer.ts). */
export async function exportRootfs(d: Daemon, c: Container): Promise<ReadableStream<Uint8Array>> {
  const root = await acquireRootfs(d, c, false);
  try {
    const dir = fs.openAt(root.fd.fd, ".", fs.O_PATH | fs.O_DIRECTORY);
    return finallyStream(
      tarStream(withInitLayer(
        walk(dir, ".", "", { names: rootfsNames(root.fd.fd) }),
        Date.parse(c.rec.Created) / 1000,
      )),
      async () => {
        dir.close();
        await root.release();
      },
    );
  } catch (e) {
    await root.release();
    throw e;
  }
}
