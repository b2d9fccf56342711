// Mount options of config.json → mount(2) flags, propagation and data, as runc reads them.

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 1 << 15,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** mount_setattr(2)'s MOUNT_ATTR_* bits, for the recursive options. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70, // MOUNT_ATTR__ATIME: relatime (0), noatime, strictatime
  RELATIME: 0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

/** option → [clear?, flag] */
const FLAGS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  suid: [true, MS.NOSUID],
  nosuid: [false, MS.NOSUID],
  dev: [true, MS.NODEV],
  nodev: [false, MS.NODEV],
  exec: [true, MS.NOEXEC],
  noexec: [false, MS.NOEXEC],
  sync: [false, MS.SYNCHRONOUS],
  async: [true, MS.SYNCHRONOUS],
  dirsync: [false, MS.DIRSYNC],
  remount: [false, MS.REMOUNT],
  mand: [false, MS.MANDLOCK],
  nomand: [true, MS.MANDLOCK],
  atime: [true, MS.NOATIME],
  noatime: [false, MS.NOATIME],
  diratime: [true, MS.NODIRATIME],
  nodiratime: [false, MS.NODIRATIME],
  bind: [false, MS.BIND],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  norelatime: [true, MS.RELATIME],
  strictatime: [false, MS.STRICTATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosymfollow: [false, MS.NOSYMFOLLOW],
  symfollow: [true, MS.NOSYMFOLLOW],
  lazytime: [false, MS.LAZYTIME],
  nolazytime: [true, MS.LAZYTIME],
  iversion: [false, MS.I_VERSION],
  noiversion: [true, MS.I_VERSION],
  silent: [false, MS.SILENT],
  loud: [true, MS.SILENT],
  acl: [false, MS.POSIXACL],
  noacl: [true, MS.POSIXACL],
};

/**
 * The recursive options: applied with mount_setattr(AT_RECURSIVE) to the mount and every
 * mount below it (an rbind's submounts included), as runc does. option → [clear?, attr]
 */
const RECURSIVE: Record<string, [boolean, number]> = {
  rro: [false, MOUNT_ATTR.RDONLY],
  rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID],
  rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV],
  rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC],
  rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME],
  rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rrelatime: [false, MOUNT_ATTR.RELATIME],
  rnorelatime: [true, MOUNT_ATTR.RELATIME],
  rnoatime: [false, MOUNT_ATTR.NOATIME],
  ratime: [true, MOUNT_ATTR.NOATIME],
  rstrictatime: [false, MOUNT_ATTR.STRICTATIME],
  rnostrictatime: [true, MOUNT_ATTR.STRICTATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
  rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/**
 * The access-time options: one field of the mount's attributes, changed by clearing all of
 * MOUNT_ATTR__ATIME (setting the new mode with it; clearing alone leaves relatime).
 */
const RECURSIVE_ATIME = new Set([
  "rrelatime",
  "rnorelatime",
  "rnoatime",
  "ratime",
  "rstrictatime",
  "rnostrictatime",
]);

/** runc's extension: a tmpfs starts with a copy of what the directory held beneath it. */
const COPY_UP = "tmpcopyup";

/** Every option name this runtime understands (`runc features`' mountOptions). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [
  ...Object.keys(FLAGS),
  ...Object.keys(PROPAGATION),
  ...Object.keys(RECURSIVE),
  COPY_UP,
].sort();

export interface ParsedOptions {
  flags: number;
  propagation: number[];
  data: string;
  /** MOUNT_ATTR_* bits to set and clear recursively; both 0 when no recursive option. */
  recursiveSet: number;
  recursiveClear: number;
  /** tmpcopyup: applied to tmpfs mounts only, as runc. */
  copyUp: boolean;
}

export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0, recursiveSet = 0, recursiveClear = 0, copyUp = false;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    const r = RECURSIVE[o];
    if (f) flags = f[0] ? flags & ~f[1] : flags | f[1];
    else if (o in PROPAGATION) propagation.push(PROPAGATION[o]);
    else if (o === COPY_UP) copyUp = true;
    else if (r) {
      const [clear, attr] = r;
      const isAtime = RECURSIVE_ATIME.has(o);
      if (clear) recursiveClear |= isAtime ? MOUNT_ATTR.ATIME_MASK : attr;
      else {
        recursiveSet |= attr;
        // An access-time mode is set by clearing the whole atime field with it.
        if (isAtime) recursiveClear |= MOUNT_ATTR.ATIME_MASK;
      }
    } else data.push(o);
  }
  return { flags, propagation, data: data.join(","), recursiveSet, recursiveClear, copyUp };
}
