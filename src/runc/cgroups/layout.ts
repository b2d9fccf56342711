// Where the cgroup hierarchies are: parsed from /proc/self/mountinfo (v1 controllers each
// on their own mount, or co-mounted like cpu,cpuacct; a cgroup2 mount either at the top
// (pure v2) or beside v1 (hybrid)), plus our own cgroup from /proc/self/cgroup, and the
// mapping of an OCI `linux.cgroupsPath` to a cgroup path the way runc's cgroupfs driver
// does it.

import { invalidArgument } from "../../lib/errors.ts";

export interface V1Hierarchy {
  /** Controllers of the hierarchy, e.g. ["cpu", "cpuacct"] or ["name=systemd"]. */
  controllers: string[];
  mountpoint: string;
  /** The cgroup the mount shows as its root (field 4 of mountinfo), usually "/". */
  root: string;
}

export interface CgroupLayout {
  /** "v2": only cgroup2 mounted at the top; "v1": v1 hierarchies (a cgroup2 mount may sit beside them). */
  mode: "v1" | "v2";
  v1: V1Hierarchy[];
  /** The cgroup2 mount, when there is one (in v1 mode: hybrid's /sys/fs/cgroup/unified). */
  unified?: { mountpoint: string; root: string };
}

/** Parses /proc/self/mountinfo text into the cgroup layout. */
export function parseMountinfo(text: string): CgroupLayout {
  const v1: V1Hierarchy[] = [];
  let unified: CgroupLayout["unified"];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(" ");
    const [fstype, , superOpts = ""] = line.slice(sep + 3).split(" ");
    const root = unescapeMount(pre[3]), mountpoint = unescapeMount(pre[4]);
    if (fstype === "cgroup2") {
      unified ??= { mountpoint, root };
    } else if (fstype === "cgroup") {
      const controllers = superOpts.split(",").filter((o) =>
        o !== "rw" && o !== "ro" && !V1_OPTIONS.has(o)
      );
      const key = controllers.join(",");
      if (!v1.some((h) => h.controllers.join(",") === key)) {
        v1.push({ controllers, mountpoint, root });
      }
    }
  }
  const mode = v1.length === 0 && unified ? "v2" : "v1";
  if (v1.length === 0 && !unified) {
    throw invalidArgument("no cgroup filesystem in /proc/self/mountinfo");
  }
  return { mode, v1, unified };
}

const V1_OPTIONS = new Set(["noprefix", "clone_children", "cpuset_v2_mode", "xattr", "nsdelegate"]);

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/self/cgroup: hierarchy controllers (or "" for v2) → cgroup path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[1], m[2]);
  }
  return own;
}

/**
 * The cgroup path of a container, before it is joined to a hierarchy:
 * - "" → the container id, relative (runc's default for the cgroupfs driver);
 * - `slice:prefix:name` (systemd form) → `/<expanded slice>/<prefix>-<name>.scope`,
 *   e.g. `system.slice:docker:abc` → `/system.slice/docker-abc.scope`;
 * - an absolute path → cleaned; a relative one → cleaned, still relative (it is joined
 *   to our own cgroup in each hierarchy, as runc does).
 */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string): string {
  if (!cgroupsPath) return id;
  const parts = cgroupsPath.split(":");
  if (parts.length === 3 && !cgroupsPath.includes("/")) {
    const [slice, prefix, name] = parts;
    if (!name) throw invalidArgument(`cgroupsPath ${JSON.stringify(cgroupsPath)}: empty name`);
    const unit = name.endsWith(".slice")
      ? name
      : prefix
      ? `${prefix}-${name}.scope`
      : `${name}.scope`;
    return cleanPath(`${expandSlice(slice || "system.slice")}/${unit}`);
  }
  if (parts.length > 1 && !cgroupsPath.includes("/")) {
    throw invalidArgument(
      `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${
        JSON.stringify(cgroupsPath)
      } instead`,
    );
  }
  return cleanPath(cgroupsPath);
}

/** systemd's slice expansion: `a-b-c.slice` → `/a.slice/a-b.slice/a-b-c.slice`, `-.slice` → `/`. */
export function expandSlice(slice: string): string {
  if (!slice.endsWith(".slice") || slice.includes("/")) {
    throw invalidArgument(`invalid slice name ${JSON.stringify(slice)}`);
  }
  if (slice === "-.slice") return "/";
  const stem = slice.slice(0, -".slice".length);
  if (stem.startsWith("-") || stem.endsWith("-") || stem.includes("--")) {
    throw invalidArgument(`invalid slice name ${JSON.stringify(slice)}`);
  }
  let path = "", prefix = "";
  for (const part of stem.split("-")) {
    prefix = prefix ? `${prefix}-${part}` : part;
    path += `/${prefix}.slice`;
  }
  return path;
}

/** Lexical clean like Go's filepath.Clean, keeping a path relative if it was. */
export function cleanPath(path: string): string {
  const abs = path.startsWith("/");
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (!seg || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(seg);
  }
  const joined = out.join("/");
  return abs ? `/${joined}` : joined || ".";
}

/**
 * The directory of cgroup `path` in a hierarchy mounted at `mountpoint` showing cgroup
 * `root`; a relative `path` hangs below `own` (our own cgroup in that hierarchy).
 */
export function hierarchyDir(mountpoint: string, root: string, path: string, own = "/"): string {
  let cg = path.startsWith("/") ? path : cleanPath(`${own}/${path}`);
  if (root !== "/" && (cg === root || cg.startsWith(root + "/"))) cg = cg.slice(root.length) || "/";
  const dir = cleanPath(`${mountpoint}/${cg}`);
  if (!dir.startsWith(mountpoint)) {
    throw invalidArgument(`cgroup path ${JSON.stringify(path)} escapes ${mountpoint}`);
  }
  return dir;
}
