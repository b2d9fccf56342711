// User mounts (-v/--mount binds, --tmpfs), /dev/shm size, as dockerd's WithMounts builds
// them (moby daemon/oci_linux.go WithMounts; volume/mounts ConvertTmpfsOptions;
// moby/sys/mount MergeTmpfsOptions). Host paths come already resolved from the daemon
// (named volumes → their _data directory); nothing here touches the filesystem.

import type { Mount } from "../../runc/config.ts";
import { invalidArgument } from "../../lib/errors.ts";
import { cleanPath } from "./process.ts";
import { linuxOf, type SpecOpt } from "./spec.ts";

export type Propagation = "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave";
const PROPAGATIONS = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];

export interface BindMount {
  type?: "bind";
  source: string;
  destination: string;
  /** Mode options as in `-v src:dst:ro,rslave`: ro/rw and one propagation. */
  options?: string[];
  readonly?: boolean;
  /** Read-only through every submount too: "rro" (mount_setattr) instead of "ro". */
  recursiveReadonly?: boolean;
  propagation?: Propagation;
  /** --mount bind-nonrecursive: "bind" instead of "rbind". */
  nonRecursive?: boolean;
}

export interface TmpfsMount {
  type: "tmpfs";
  destination: string;
  /** tmpfs-size in bytes (rendered with Docker's g/m/k suffix when it divides evenly). */
  size?: number;
  /** tmpfs-mode, e.g. 0o1777. */
  mode?: number;
  readonly?: boolean;
  /** Raw options as in `--tmpfs /run:rw,size=64m,uid=1000`. */
  options?: string[];
}

export type MountRequest = BindMount | TmpfsMount;

const MAX_MOUNTS = 256;

function checkDestination(dest: string): string {
  if (!dest.startsWith("/") || dest.includes("\0")) {
    throw invalidArgument(
      `invalid mount config: destination ${JSON.stringify(dest)} must be absolute`,
    );
  }
  const clean = cleanPath(dest);
  if (clean === "/") throw invalidArgument("invalid mount config: destination can't be '/'");
  return clean;
}

function bindMount(m: BindMount): Mount {
  if (!m.source.startsWith("/") || m.source.includes("\0")) {
    throw invalidArgument(
      `invalid mount config: bind source ${JSON.stringify(m.source)} must be absolute`,
    );
  }
  let readonly = m.readonly ?? false;
  let propagation: string = m.propagation ?? "rprivate";
  for (const o of m.options ?? []) {
    if (o === "ro") readonly = true;
    else if (o === "rw") readonly = false;
    else if (PROPAGATIONS.includes(o)) propagation = o;
    else throw invalidArgument(`invalid mode for bind ${m.destination}: ${JSON.stringify(o)}`);
  }
  if (!PROPAGATIONS.includes(propagation)) {
    throw invalidArgument(`invalid propagation mode: ${JSON.stringify(propagation)}`);
  }
  const options = [m.nonRecursive ? "bind" : "rbind"];
  if (readonly) options.push(m.recursiveReadonly ? "rro" : "ro");
  options.push(propagation);
  return { destination: checkDestination(m.destination), type: "bind", source: m.source, options };
}

/** Mount flags: options sharing a key override each other (the later one wins). */
const FLAG_KEYS: Record<string, string> = {
  ro: "rdonly",
  rw: "rdonly",
  suid: "nosuid",
  nosuid: "nosuid",
  dev: "nodev",
  nodev: "nodev",
  exec: "noexec",
  noexec: "noexec",
  sync: "sync",
  async: "sync",
  dirsync: "dirsync",
  mand: "mand",
  nomand: "mand",
  atime: "noatime",
  noatime: "noatime",
  diratime: "nodiratime",
  nodiratime: "nodiratime",
  relatime: "relatime",
  norelatime: "relatime",
  strictatime: "strictatime",
  nostrictatime: "strictatime",
  ...Object.fromEntries(PROPAGATIONS.map((p) => [p, "propagation"])),
};
const TMPFS_DATA = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"];

/** MergeTmpfsOptions: drops "defaults", keeps the last of each flag group and data key. */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const option of [...options].reverse()) {
    if (option === "defaults") continue;
    let key = FLAG_KEYS[option];
    if (key === undefined) {
      const eq = option.indexOf("=");
      const name = eq < 0 ? option : option.slice(0, eq);
      const value = eq < 0 ? "" : option.slice(eq + 1);
      if (eq < 0 || !TMPFS_DATA.includes(name) || !/^[\w.:%+-]+$/.test(value)) {
        throw invalidArgument(`invalid tmpfs option ${JSON.stringify(option)}`);
      }
      key = "=" + name;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(option);
  }
  return out;
}

/** ConvertTmpfsOptions: size with the largest of g/m/k that divides it, mode in octal. */
function tmpfsSizeOption(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw invalidArgument(`invalid tmpfs size ${bytes}: must be a positive number of bytes`);
  }
  for (const [suffix, div] of [["g", 2 ** 30], ["m", 2 ** 20], ["k", 2 ** 10]] as const) {
    if (bytes % div === 0) return `size=${bytes / div}${suffix}`;
  }
  return `size=${bytes}`;
}

function tmpfsMount(m: TmpfsMount): Mount {
  const data: string[] = [];
  if (m.readonly) data.push("ro");
  if (m.mode !== undefined) {
    if (!Number.isInteger(m.mode) || m.mode < 0 || m.mode > 0o7777) {
      throw invalidArgument(`invalid tmpfs mode ${m.mode}`);
    }
    data.push(`mode=${m.mode.toString(8)}`);
  }
  if (m.size !== undefined) data.push(tmpfsSizeOption(m.size));
  data.push(...(m.options ?? []));
  const options = mergeTmpfsOptions(["noexec", "nosuid", "nodev", "rprivate", ...data]);
  return { destination: checkDestination(m.destination), type: "tmpfs", source: "tmpfs", options };
}

const depth = (dest: string) => dest.split("/").length;

/**
 * Adds the user's mounts after the defaults: a user mount replaces the default at the same
 * destination, a user /dev replaces every default under /dev; user mounts are ordered by
 * depth so parents come first. Shared/slave propagation sets rootfsPropagation as Docker.
 */
export function withMounts(requests: MountRequest[]): SpecOpt {
  return (spec) => {
    if (requests.length > MAX_MOUNTS) throw invalidArgument(`more than ${MAX_MOUNTS} mounts`);
    const user = requests.map((r) => r.type === "tmpfs" ? tmpfsMount(r) : bindMount(r));
    const dests = new Set<string>();
    for (const m of user) {
      if (dests.has(m.destination)) {
        throw invalidArgument(`Duplicate mount point: ${m.destination}`);
      }
      dests.add(m.destination);
    }
    user.sort((a, b) => depth(a.destination) - depth(b.destination));
    const userDev = dests.has("/dev");
    const kept = (spec.mounts ?? []).filter((m) =>
      !dests.has(m.destination) && !(userDev && m.destination.startsWith("/dev/"))
    );
    spec.mounts = [...kept, ...user];
    const linux = linuxOf(spec);
    for (const m of user) {
      const p = m.options!.find((o) => PROPAGATIONS.includes(o));
      const root = linux.rootfsPropagation ?? "";
      if ((p === "shared" || p === "rshared") && !root.endsWith("shared")) {
        linux.rootfsPropagation = "shared";
      } else if ((p === "slave" || p === "rslave") && !/shared|slave/.test(root)) {
        linux.rootfsPropagation = "rslave";
      }
    }
  };
}

/** --shm-size in bytes on the default /dev/shm mount (0 keeps Docker's 64 MiB). */
export function withShmSize(bytes: number): SpecOpt {
  return (spec) => {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw invalidArgument(`invalid shm size ${bytes}: SHM size can not be less than 0`);
    }
    if (bytes === 0) return;
    const shm = spec.mounts?.find((m) => m.destination === "/dev/shm" && m.source === "shm");
    if (!shm) throw invalidArgument("shm size: the container has no private /dev/shm");
    shm.options = [...(shm.options ?? []).filter((o) => !o.startsWith("size=")), `size=${bytes}`];
  };
}
