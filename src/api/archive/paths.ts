// Container paths as Docker's cp resolves them (container.ResolvePath / StatPath): the
// path is made absolute and cleaned, keeping a trailing "/" or "/."; its directory is
// resolved inside the container's root following symlinks there (openat2 RESOLVE_IN_ROOT),
// and the last element is taken as it is (a symlink is not followed unless the path ends
// with a separator). Nothing is ever joined into a host path.
import { invalidArgument, notFound } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { type PathStat, pathStat } from "./gostat.ts";

/** Go's filepath.Clean on an absolute path. */
export function cleanAbs(path: string): string {
  const out: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return "/" + out.join("/");
}

/** filepath.Join("/", path) with Docker's PreserveTrailingDotOrSeparator. */
export function absPath(path: string): string {
  if (path.includes("\0")) throw invalidArgument("path contains a NUL byte");
  let abs = cleanAbs(path);
  if ((path.endsWith("/.") || path === ".") && !abs.endsWith("/.")) {
    abs = abs === "/" ? "/." : `${abs}/.`;
  } else if (path.endsWith("/") && !abs.endsWith("/")) abs += "/";
  return abs;
}

/** Go's filepath.Base. */
export function goBase(path: string): string {
  const t = path.replace(/\/+$/, "");
  if (t === "") return path === "" ? "." : "/";
  return t.slice(t.lastIndexOf("/") + 1);
}

export interface Resolved {
  /** The parent directory (or the target itself when `base` is "."). */
  dir: fs.Fd;
  /** The entry's name in `dir`; "." when the path named a directory itself. */
  base: string;
  stat: fs.Stat;
  info: PathStat;
}

export function fileNotFound(path: string, container: string) {
  return notFound(`Could not find the file ${path} in container ${container}`);
}

function missing(e: unknown): boolean {
  return e instanceof fs.SysError && (e.code === "ENOENT" || e.code === "ENOTDIR");
}

/**
 * Resolves `path` for stat/GET (the last element not followed). `shown` is the path the
 * user gave when `path` is relative to a mount's source (copy_root.ts), `mountPoint` that
 * mount's destination: names and link targets are reported as the container sees them.
 */
export function resolvePath(
  rootFd: fs.Fd,
  path: string,
  container: string,
  shown = path,
  mountPoint = "",
): Resolved {
  const abs = absPath(path);
  const slash = abs.lastIndexOf("/");
  const dirPath = abs.slice(0, slash + 1);
  let base = abs.slice(slash + 1);
  if (base === "") base = ".";
  let dir: fs.Fd;
  try {
    dir = fs.openInRoot(rootFd.fd, dirPath);
  } catch (e) {
    if (missing(e)) throw fileNotFound(shown, container);
    throw e;
  }
  try {
    const st = fs.lstatAt(dir.fd, base);
    if (!st) throw fileNotFound(shown, container);
    let linkTarget = "";
    if ((st.mode & fs.S_IFMT) === fs.S_IFLNK) {
      linkTarget = cleanAbs(mountPoint + followLink(rootFd, dir, base, abs));
    }
    return { dir, base, stat: st, info: pathStat(goBase(absPath(shown)), st, linkTarget) };
  } catch (e) {
    dir.close();
    throw e;
  }
}

/** Where a symlink leads, as a path inside the container (Docker's linkTarget). */
function followLink(root: fs.Fd, dir: fs.Fd, base: string, abs: string): string {
  try {
    using fd = fs.openInRoot(root.fd, abs, { flags: fs.O_PATH });
    const host = Deno.readLinkSync(`/proc/self/fd/${fd.fd}`);
    const top = Deno.readLinkSync(`/proc/self/fd/${root.fd}`);
    if (host === top) return "/";
    if (host.startsWith(top + "/")) return host.slice(top.length);
  } catch { /* dangling: fall back to the link's text */ }
  const text = Deno.readLinkSync(`/proc/self/fd/${dir.fd}/${base}`);
  const parent = Deno.readLinkSync(`/proc/self/fd/${dir.fd}`);
  const rootHost = Deno.readLinkSync(`/proc/self/fd/${root.fd}`);
  const inside = parent.startsWith(rootHost) ? parent.slice(rootHost.length) : "/";
  return cleanAbs(text.startsWith("/") ? text : `${inside}/${text}`);
}

/** Resolves an extraction directory (the last element followed, inside the root). */
export function resolveDestDir(
  rootFd: fs.Fd,
  path: string,
  container: string,
  shown = path,
): fs.Fd {
  const abs = absPath(path);
  let fd: fs.Fd;
  try {
    fd = fs.openInRoot(rootFd.fd, abs, { flags: fs.O_PATH });
  } catch (e) {
    if (missing(e)) throw fileNotFound(shown, container);
    throw e;
  }
  if (!Deno.statSync(`/proc/self/fd/${fd.fd}`).isDirectory) {
    fd.close();
    throw invalidArgument("extraction point is not a directory");
  }
  return fd;
}
