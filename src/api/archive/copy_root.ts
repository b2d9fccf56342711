// docker cp through a container's volumes and bind mounts, as dockerd's (it mounts them over
// the rootfs for the copy): a path under a mount point is resolved inside the mount's source,
// not in the rootfs beneath the mount point, where a write would be hidden from the container.
// The path's directory is first resolved inside the rootfs (its symlinks followed there, as
// the container sees them), then matched against the mount points; inside a source,
// resolution stays inside the source. tmpfs mounts live only in the container's namespace
// and are not reached, as with dockerd; nor are file binds (-v /host/file:/path).
import * as fs from "../../sys/fs.ts";
import type { Container } from "../containers/store.ts";
import { mountPointsOf } from "../volumes/mounts.ts";
import { absPath, cleanAbs } from "./paths.ts";

export interface CopyRoot {
  /** The directory `path` is resolved in: the rootfs or a mount's source. */
  fd: fs.Fd;
  /** The path inside it (absolute, a trailing "/" or "/." kept). */
  path: string;
  /** The mount point's destination, "" for the rootfs (link targets are reported under it). */
  mountPoint: string;
  /** A read-only volume or bind: nothing is written through it. */
  readOnly: boolean;
  [Symbol.dispose](): void;
}

/**
 * Where `raw` (a path in the container) is resolved for a copy. `followLast`: its last
 * element is followed too (an extraction directory); otherwise only with a trailing "/".
 */
export function copyRoot(root: fs.Fd, c: Container, raw: string, followLast = false): CopyRoot {
  const abs = absPath(raw);
  const trailing = abs.endsWith("/.") ? "/." : abs.endsWith("/") && abs !== "/" ? "/" : "";
  const real = realPath(root, cleanAbs(abs), followLast || trailing !== "");
  const under = (dest: string) => real === dest || real.startsWith(dest + "/");
  const points = mountPointsOf(c)
    .filter((p) => p.Type !== "tmpfs" && p.Source && p.Destination !== "/" && under(p.Destination))
    .sort((a, b) => b.Destination.length - a.Destination.length);
  for (const p of points) {
    let source: fs.Fd;
    try {
      source = fs.openAt(fs.AT_FDCWD, p.Source, fs.O_PATH | fs.O_DIRECTORY | fs.O_NOFOLLOW);
    } catch {
      continue; // gone, or a file bind: the rootfs's path
    }
    const rest = real.slice(p.Destination.length);
    return {
      fd: source,
      path: rest === "" ? "/." : rest + trailing,
      mountPoint: p.Destination,
      readOnly: !p.RW,
      [Symbol.dispose]: () => source.close(),
    };
  }
  return { fd: root, path: abs, mountPoint: "", readOnly: false, [Symbol.dispose]: () => {} };
}

/**
 * `clean` resolved inside the root as the container would (the deepest part that exists,
 * symlinks followed inside the root); unless `followLast`, the last element is kept as it is:
 * a symlink there is what is copied, not what it names.
 */
function realPath(root: fs.Fd, clean: string, followLast: boolean): string {
  if (clean === "/") return clean;
  const cut = followLast ? clean.length : clean.lastIndexOf("/");
  const parts = clean.slice(0, cut).split("/").filter(Boolean);
  const base = clean.slice(cut + 1);
  const rootHost = Deno.readLinkSync(`/proc/self/fd/${root.fd}`);
  for (let i = parts.length; i >= 0; i--) {
    let host: string;
    try {
      using fd = fs.openInRoot(root.fd, "/" + parts.slice(0, i).join("/"), { flags: fs.O_PATH });
      host = Deno.readLinkSync(`/proc/self/fd/${fd.fd}`);
    } catch {
      continue;
    }
    const inside = host === rootHost
      ? ""
      : host.startsWith(rootHost + "/")
      ? host.slice(rootHost.length)
      : undefined;
    if (inside === undefined) return clean;
    return cleanAbs([inside, ...parts.slice(i), base].join("/"));
  }
  return clean;
}
