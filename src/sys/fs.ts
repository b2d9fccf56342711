// Filesystem calls Deno lacks, over libc through FFI: the *at() family, openat2, device
// nodes, ownership, xattrs. Everything works on raw fds (always O_CLOEXEC) relative to a
// directory we hold, so callers never build host paths from untrusted names.
//
// The resolver (`openInRoot`) is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the
// kernel treats the root fd as "/" for every component, `..` and absolute symlinks
// included, so nothing outside it can be reached. Layer extraction and the runtime share it.
//
// x86_64 Linux only (struct stat layout). Errors are SysError: `mknodat dev/null: EPERM`.

import { EngineError, type ErrorKind } from "../lib/errors.ts";

// open(2) flags (x86_64).
export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
// *at() flags.
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;
// openat2 resolve flags.
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
// File types.
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

const SYS_openat2 = 437n; // the same number on every architecture (added after 424)
const UTIME_OMIT = (1 << 30) - 2;

const lib = Deno.dlopen("libc.so.6", {
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  syscall: { parameters: ["i64", "i32", "buffer", "buffer", "usize"], result: "i64" },
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  mknodat: { parameters: ["i32", "buffer", "u32", "u64"], result: "i32" },
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  fstatat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  fsetxattr: { parameters: ["i32", "buffer", "buffer", "usize", "i32"], result: "i32" },
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
});
const sym = lib.symbols;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  5: "EIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  24: "EMFILE",
  28: "ENOSPC",
  30: "EROFS",
  31: "EMLINK",
  34: "ERANGE",
  36: "ENAMETOOLONG",
  38: "ENOSYS",
  39: "ENOTEMPTY",
  40: "ELOOP",
  61: "ENODATA",
  95: "EOPNOTSUPP",
  122: "EDQUOT",
};
const ERRNO_KINDS: Record<string, ErrorKind> = {
  ENOENT: "not_found",
  EEXIST: "already_exists",
  EINVAL: "invalid_argument",
  ENAMETOOLONG: "invalid_argument",
  ELOOP: "invalid_argument",
  EXDEV: "invalid_argument",
  ENOTDIR: "failed_precondition",
  EISDIR: "failed_precondition",
  ENOTEMPTY: "conflict",
  EBUSY: "conflict",
  EAGAIN: "unavailable",
};

/** A failed libc call: `op path: ECODE (description)`, with the errno kept. */
export class SysError extends EngineError {
  constructor(readonly op: string, readonly path: string, readonly errno: number) {
    const code = errnoName(errno);
    super(ERRNO_KINDS[code] ?? "internal", `${op} ${path}: ${code} (${strerror(errno)})`);
    this.name = "SysError";
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

function strerror(errno: number): string {
  const p = sym.strerror(errno);
  return p ? Deno.UnsafePointerView.getCString(p) : "unknown error";
}

// Read right after the failing call, before anything else can run on this thread.
function errno(): number {
  return new Deno.UnsafePointerView(sym.__errno_location()!).getInt32();
}

const enc = new TextEncoder();
/** NUL-terminated C string. Refuses embedded NULs (they would silently truncate the path). */
function cstr(s: string): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) throw new SysError("encode", JSON.stringify(s), 22);
  const b = new Uint8Array(s.length * 3 + 1);
  const n = enc.encodeInto(s, b).written;
  return b.subarray(0, n + 1);
}

/** Runs a call returning -1 on error, retrying EINTR; throws SysError(op, path). */
function check(op: string, path: string, call: () => number | bigint): number {
  for (;;) {
    const r = Number(call());
    if (r >= 0) return r;
    const e = errno();
    if (e !== 4) throw new SysError(op, path, e);
  }
}

/** An owned raw fd; `using fd = …` closes it at the end of the scope. */
export class Fd {
  #fd: number;
  constructor(fd: number, readonly path: string) {
    this.#fd = fd;
  }
  get fd(): number {
    if (this.#fd < 0) throw new SysError("use", this.path, 9);
    return this.#fd;
  }
  close(): void {
    if (this.#fd < 0) return;
    sym.close(this.#fd); // close(2) releases the fd even when it reports an error
    this.#fd = -1;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** openat(2) relative to `dirFd` (AT_FDCWD for the cwd); O_CLOEXEC is always added. */
export function openAt(dirFd: number, path: string, flags: number, mode = 0): Fd {
  const fd = check("openat", path, () => sym.openat(dirFd, cstr(path), flags | O_CLOEXEC, mode));
  return new Fd(fd, path);
}

export interface ResolveOptions {
  /** open(2) flags for the result; default O_PATH | O_DIRECTORY. O_CLOEXEC is always added. */
  flags?: number;
  mode?: number;
  /** Fail with ELOOP on any symlink in the path instead of following it inside the root. */
  noSymlinks?: boolean;
}

/**
 * Opens `path` inside the directory `rootFd` with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): `..`, absolute paths and symlinks are all resolved as if
 * `rootFd` were "/", so the result is always inside it. "" or "." is the root itself.
 */
export function openInRoot(rootFd: number, path: string, opts: ResolveOptions = {}): Fd {
  let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (opts.noSymlinks) resolve |= RESOLVE_NO_SYMLINKS;
  const how = new BigUint64Array([
    BigInt((opts.flags ?? (O_PATH | O_DIRECTORY)) | O_CLOEXEC),
    BigInt(opts.mode ?? 0),
    BigInt(resolve),
  ]);
  const p = cstr(path === "" ? "." : path);
  const howBytes = new Uint8Array(how.buffer);
  // The kernel answers EAGAIN when a rename raced the lookup: retry a few times.
  for (let attempt = 0;; attempt++) {
    try {
      return new Fd(
        check("openat2", path, () => sym.syscall(SYS_openat2, rootFd, p, howBytes, 24n)),
        path,
      );
    } catch (e) {
      if (!(e instanceof SysError && e.errno === 11 && attempt < 16)) throw e;
    }
  }
}

/**
 * A small regular file at `path` inside `rootFd` (resolved as openInRoot does), or null when
 * it is missing, not a regular file or larger than `max` bytes. The root is a container's or
 * an image's: the file is pinned with O_PATH and checked before it is opened, since opening a
 * FIFO would block this thread (the whole daemon) and a device node would be read from the
 * host's side (/dev/zero without end, a disk). At most `max` bytes are read.
 */
export function readRegularInRoot(rootFd: number, path: string, max: number): Uint8Array | null {
  let pin: Fd;
  try {
    pin = openInRoot(rootFd, path, { flags: O_PATH });
  } catch {
    return null;
  }
  try {
    const proc = `/proc/self/fd/${pin.fd}`;
    const st = Deno.statSync(proc);
    if (!st.isFile || st.size > max) return null;
    using f = Deno.openSync(proc, { read: true });
    const buf = new Uint8Array(st.size + 1); // one more: a file that grew is cut there
    let n = 0;
    while (n < buf.length) {
      const got = f.readSync(buf.subarray(n));
      if (got === null || got === 0) break;
      n += got;
    }
    return buf.slice(0, Math.min(n, max));
  } finally {
    pin.close();
  }
}

export function mkdirAt(dirFd: number, name: string, mode: number): void {
  check("mkdirat", name, () => sym.mkdirat(dirFd, cstr(name), mode));
}

/** glibc's makedev(3). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) |
    (mi & 0xffn);
}

/** mknodat(2); `mode` includes the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknodAt(dirFd: number, name: string, mode: number, dev = 0n): void {
  check("mknodat", name, () => sym.mknodat(dirFd, cstr(name), mode, dev));
}

/** lchown relative to dirFd (never follows a symlink in the last component). */
export function lchownAt(dirFd: number, name: string, uid: number, gid: number): void {
  check("fchownat", name, () => sym.fchownat(dirFd, cstr(name), uid, gid, AT_SYMLINK_NOFOLLOW));
}

/** chmod relative to dirFd without following a final symlink (EOPNOTSUPP on a symlink). */
export function lchmodAt(dirFd: number, name: string, mode: number): void {
  check("fchmodat", name, () => sym.fchmodat(dirFd, cstr(name), mode, AT_SYMLINK_NOFOLLOW));
}

export function fchown(fd: Fd, uid: number, gid: number): void {
  check("fchown", fd.path, () => sym.fchown(fd.fd, uid, gid));
}

export function fchmod(fd: Fd, mode: number): void {
  check("fchmod", fd.path, () => sym.fchmod(fd.fd, mode));
}

export function symlinkAt(target: string, dirFd: number, name: string): void {
  check("symlinkat", name, () => sym.symlinkat(cstr(target), dirFd, cstr(name)));
}

/** linkat(2) without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself. */
export function linkAt(oldDirFd: number, oldName: string, newDirFd: number, newName: string): void {
  check(
    "linkat",
    `${newName} -> ${oldName}`,
    () => sym.linkat(oldDirFd, cstr(oldName), newDirFd, cstr(newName), 0),
  );
}

/** unlinkat(2); `dir: true` removes an empty directory (AT_REMOVEDIR). */
export function unlinkAt(dirFd: number, name: string, dir = false): void {
  check("unlinkat", name, () => sym.unlinkat(dirFd, cstr(name), dir ? AT_REMOVEDIR : 0));
}

export function renameAt(
  oldDirFd: number,
  oldName: string,
  newDirFd: number,
  newName: string,
): void {
  check(
    "renameat",
    `${oldName} -> ${newName}`,
    () => sym.renameat(oldDirFd, cstr(oldName), newDirFd, cstr(newName)),
  );
}

/** A time in seconds (fractions kept to the nanosecond), or null to leave it unchanged. */
export type Time = number | null;

function timespec(t: Time, out: BigInt64Array, at: number): void {
  if (t === null) {
    out[at] = 0n;
    out[at + 1] = BigInt(UTIME_OMIT);
    return;
  }
  const sec = Math.floor(t);
  out[at] = BigInt(sec);
  out[at + 1] = BigInt(Math.min(999_999_999, Math.round((t - sec) * 1e9)));
}

/** utimensat(2) with AT_SYMLINK_NOFOLLOW (sets a symlink's own times). */
export function lutimesAt(dirFd: number, name: string, atime: Time, mtime: Time): void {
  const ts = new BigInt64Array(4);
  timespec(atime, ts, 0);
  timespec(mtime, ts, 2);
  const buf = new Uint8Array(ts.buffer);
  check("utimensat", name, () => sym.utimensat(dirFd, cstr(name), buf, AT_SYMLINK_NOFOLLOW));
}

export interface Stat {
  dev: bigint;
  ino: bigint;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: number;
  blocks: number;
  mtime: number;
}

/** fstatat(2) with AT_SYMLINK_NOFOLLOW; null when the name does not exist. */
export function lstatAt(dirFd: number, name: string): Stat | null {
  const buf = new Uint8Array(144); // struct stat on x86_64
  const r = sym.fstatat(dirFd, cstr(name), buf, AT_SYMLINK_NOFOLLOW);
  if (r !== 0) {
    const e = errno();
    if (e === 2) return null;
    throw new SysError("fstatat", name, e);
  }
  const v = new DataView(buf.buffer);
  return {
    dev: v.getBigUint64(0, true),
    ino: v.getBigUint64(8, true),
    nlink: Number(v.getBigUint64(16, true)),
    mode: v.getUint32(24, true),
    uid: v.getUint32(28, true),
    gid: v.getUint32(32, true),
    rdev: v.getBigUint64(40, true),
    size: Number(v.getBigInt64(48, true)),
    blocks: Number(v.getBigInt64(64, true)),
    mtime: Number(v.getBigInt64(88, true)) + Number(v.getBigInt64(96, true)) / 1e9,
  };
}

/** write(2) until all of `data` is written. */
export function writeAll(fd: Fd, data: Uint8Array<ArrayBuffer>): void {
  let off = 0;
  while (off < data.length) {
    const chunk = off === 0 ? data : data.subarray(off);
    off += check("write", fd.path, () => sym.write(fd.fd, chunk, BigInt(chunk.length)));
  }
}

// xattrs of a name relative to a directory fd go through /proc/self/fd/<dirFd>/<name>:
// the magic link resolves to exactly the directory we hold, and the l*xattr calls do not
// follow a symlink in the last component. Needs /proc mounted.
function procPath(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

export function lsetxattrAt(
  dirFd: number,
  name: string,
  key: string,
  value: Uint8Array<ArrayBuffer>,
): void {
  check(
    "lsetxattr",
    `${name} (${key})`,
    () => sym.lsetxattr(cstr(procPath(dirFd, name)), cstr(key), value, BigInt(value.length), 0),
  );
}

export function fsetxattr(fd: Fd, key: string, value: Uint8Array<ArrayBuffer>): void {
  check(
    "fsetxattr",
    `${fd.path} (${key})`,
    () => sym.fsetxattr(fd.fd, cstr(key), value, BigInt(value.length), 0),
  );
}

/**
 * lgetxattr's buffer (XATTR_SIZE_MAX), shared: the call is synchronous, and a 64 KiB
 * allocation per call cost ~0.1 ms, more than the syscall (archive walks read
 * security.capability of every file).
 */
const xattrBuf = new Uint8Array(65536);

/** lgetxattr of a name relative to dirFd; null when the attribute is not set (ENODATA). */
export function lgetxattrAt(dirFd: number, name: string, key: string): Uint8Array | null {
  const path = cstr(procPath(dirFd, name));
  const k = cstr(key);
  const buf = xattrBuf;
  const r = Number(sym.lgetxattr(path, k, buf, BigInt(buf.length)));
  if (r < 0) {
    const e = errno();
    if (e === 61) return null;
    throw new SysError("lgetxattr", `${name} (${key})`, e);
  }
  return buf.slice(0, r);
}

/** llistxattr of a name relative to dirFd. */
export function llistxattrAt(dirFd: number, name: string): string[] {
  const path = cstr(procPath(dirFd, name));
  const buf = new Uint8Array(65536);
  const n = check("llistxattr", name, () => sym.llistxattr(path, buf, BigInt(buf.length)));
  return new TextDecoder().decode(buf.subarray(0, n)).split("\0").filter((s) => s !== "");
}
