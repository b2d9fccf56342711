// Typed bindings over the libc calls Deno lacks. Raw fds only; every fd we open is
// close-on-exec. errno is read right after each synchronous call on the calling thread.

const DEFS = {
  __errno_location: { parameters: [], result: "pointer" },
  read_async: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  waitpid_async: {
    name: "waitpid",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
  /** syscall(nr, a1..a5): one symbol for the calls on the container start path (see raw). */
  syscall6: {
    name: "syscall",
    parameters: ["i64", "i64", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
} as const;

type Symbols = Deno.DynamicLibrary<typeof DEFS>["symbols"];
const bound: Partial<Symbols> = {};
const libs: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];

/**
 * Each symbol is bound on first use: Deno compiles a trampoline per symbol (~0.3 ms), and
 * `engine runc run` needs a third of them.
 */
const sym = new Proxy({} as Symbols, {
  get(_, name: string) {
    const key = name as keyof Symbols;
    if (!bound[key]) {
      const lib = Deno.dlopen("libc.so.6", { [key]: DEFS[key] });
      libs.push(lib);
      // deno-lint-ignore no-explicit-any
      (bound as any)[key] = lib.symbols[key];
    }
    return bound[key];
  },
});

const enc = new TextEncoder();

// x86_64 numbers of the calls made through `raw`.
const SYS_READ = 0, SYS_WRITE = 1, SYS_CLOSE = 3, SYS_FSTAT = 5, SYS_OPENAT = 257;
const SYS_MKNODAT = 259;
const AT_FDCWD = -100;

type RawArg = number | bigint | Uint8Array<ArrayBuffer>;

/**
 * A system call through the one generic `syscall` symbol: each bound FFI symbol costs
 * ~0.3 ms of trampoline compilation, and `runc run` would otherwise bind six for these.
 * Buffers are passed by address; they stay referenced by the caller during the call.
 */
function raw(nr: number, ...args: RawArg[]): number {
  const a = [0n, 0n, 0n, 0n, 0n];
  args.forEach((x, i) => {
    a[i] = x instanceof Uint8Array
      ? BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(x)))
      : BigInt(x);
  });
  return Number(sym.syscall6(BigInt(nr), a[0], a[1], a[2], a[3], a[4]));
}

export const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000, O_PATH = 0o10000000, O_DIRECTORY = 0o200000;
export const WNOHANG = 1;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  24: "EMFILE",
  25: "ENOTTY",
  26: "ETXTBSY",
  28: "ENOSPC",
  30: "EROFS",
  32: "EPIPE",
  36: "ENAMETOOLONG",
  38: "ENOSYS",
  39: "ENOTEMPTY",
  40: "ELOOP",
  74: "EBADMSG",
  95: "EOPNOTSUPP",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  125: "ECANCELED",
};

const ERRNO_TEXT: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  3: "no such process",
  13: "permission denied",
  16: "device or resource busy",
  17: "file exists",
  20: "not a directory",
  21: "is a directory",
  22: "invalid argument",
  36: "file name too long",
  38: "function not implemented",
  40: "too many levels of symbolic links",
  8: "exec format error",
  110: "timed out",
  111: "connection refused",
  125: "operation canceled",
  30: "read-only file system",
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** Go-style text for an errno ("permission denied"), as runc prints it. */
export function errnoText(errno: number): string {
  return ERRNO_TEXT[errno] ?? errnoName(errno);
}

export class SysError extends Error {
  constructor(readonly call: string, readonly errno: number, detail = "") {
    super(`${call}${detail ? " " + detail : ""}: ${errnoText(errno)}`);
    this.name = "SysError";
  }
}

export function errno(): number {
  const p = sym.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = enc.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

function check(call: string, r: number | bigint, detail = ""): number {
  if (Number(r) < 0) throw new SysError(call, errno(), detail);
  return Number(r);
}

export function open(path: string, flags: number, mode = 0): number {
  return check("open", raw(SYS_OPENAT, AT_FDCWD, cstr(path), flags | O_CLOEXEC, mode), path);
}

export function close(fd: number): void {
  raw(SYS_CLOSE, fd);
}

export function write(fd: number, data: Uint8Array<ArrayBuffer>): number {
  return check("write", raw(SYS_WRITE, fd, data, data.length));
}

export function readSync(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  return check("read", raw(SYS_READ, fd, buf, buf.length));
}

/** read(2) on a blocking pool thread: for pipes and sockets the event loop must not wait on. */
export async function read(fd: number, buf: Uint8Array<ArrayBuffer>): Promise<number> {
  const n = Number(await sym.read_async(fd, buf, BigInt(buf.length)));
  if (n < 0) throw new SysError("read", 0, `fd ${fd}`);
  return n;
}

/** Sends a signal; false when the process is gone (ESRCH). */
export function kill(pid: number, signal: number): boolean {
  if (sym.kill(pid, signal) === 0) return true;
  const e = errno();
  if (e === 3) return false;
  throw new SysError("kill", e, String(pid));
}

/** Decodes a wait status the way a shell reports it: the exit code, or 128 + signal. */
export function exitCodeOf(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

/** waitpid(pid, WNOHANG): the exit code, or null while it runs. */
export function tryWait(pid: number): number | null {
  const st = new Int32Array(1);
  const r = sym.waitpid(pid, new Uint8Array(st.buffer), WNOHANG);
  if (r === 0) return null;
  check("waitpid", r, String(pid));
  return exitCodeOf(st[0]);
}

/** waitpid(pid, 0) on a pool thread; resolves to the exit code (128+n for a signal). */
export async function wait(pid: number): Promise<number> {
  const st = new Int32Array(1);
  for (;;) {
    const r = await sym.waitpid_async(pid, new Uint8Array(st.buffer), 0);
    if (r === pid) return exitCodeOf(st[0]);
    if (r < 0) throw new SysError("waitpid", 0, String(pid));
  }
}

export const PR_SET_CHILD_SUBREAPER = 36;

export function prctl(option: number, arg2 = 0n): void {
  check("prctl", sym.prctl(option, arg2, 0n, 0n, 0n));
}

export function setChildSubreaper(): void {
  prctl(PR_SET_CHILD_SUBREAPER, 1n);
}

/** Hands the free pages inside glibc's heaps back to the kernel (malloc_trim(0)). */
export function mallocTrim(): void {
  sym.malloc_trim(0n);
}

/** Connects a stream unix socket to `path`; returns the fd. */
export function connectUnix(path: string): number {
  const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000;
  const addr = new Uint8Array(110);
  const p = enc.encode(path);
  if (p.length >= 108) throw new SysError("connect", 36, path);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(p, 2);
  const fd = check("socket", sym.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sym.connect(fd, addr, 2 + p.length + 1) < 0) {
    const e = errno();
    close(fd);
    throw new SysError("connect", e, path);
  }
  return fd;
}

/** A connected pair of stream unix sockets, both close-on-exec. */
export function socketpair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", sym.socketpair(1, 1 | O_CLOEXEC, 0, new Uint8Array(fds.buffer)));
  return [fds[0], fds[1]];
}

export function mkfifo(path: string, mode: number): void {
  const S_IFIFO = 0o10000;
  check("mkfifo", raw(SYS_MKNODAT, AT_FDCWD, cstr(path), S_IFIFO | mode, 0), path);
}

export function isatty(fd: number): boolean {
  return sym.isatty(fd) === 1;
}

/** TIOCGWINSZ on fd: [rows, cols], or null when fd is no terminal. */
export function winsize(fd: number): [number, number] | null {
  const ws = new Uint16Array(4);
  if (sym.ioctl(fd, 0x5413n, new Uint8Array(ws.buffer)) < 0) return null;
  return [ws[0], ws[1]];
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check("ioctl TIOCSWINSZ", sym.ioctl(fd, 0x5414n, new Uint8Array(ws.buffer)));
}

const SYS_OPENAT2 = 437;
export const RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;

/** openat2(2) relative to `dir` (an absolute path, opened here) with `resolve` flags. */
export function openat2(dir: string, path: string, flags: number, resolve: number): number {
  const dirfd = open(dir, O_PATH | O_DIRECTORY);
  try {
    const how = new BigUint64Array([BigInt(flags | O_CLOEXEC), 0n, BigInt(resolve)]);
    const r = raw(SYS_OPENAT2, dirfd, cstr(path), new Uint8Array(how.buffer), 24);
    return check("openat2", r, `${dir}/${path}`);
  } finally {
    close(dirfd);
  }
}

const SYS_FCNTL = 72, F_GETFD = 1, FD_CLOEXEC = 1;

/**
 * Did this process get `fd` from whoever exec'd it? Open and not close-on-exec: every fd
 * the runtime (Deno) opens itself is close-on-exec, and one that was cannot have survived
 * the exec.
 */
export function isInheritedFd(fd: number): boolean {
  const flags = raw(SYS_FCNTL, fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) === 0;
}

/** Whether `fd` (an O_PATH fd will do) is a regular file: fstat's st_mode at offset 24. */
function isRegular(fd: number): boolean {
  const st = new Uint8Array(144);
  if (raw(SYS_FSTAT, fd, st) < 0) return false;
  return (new DataView(st.buffer).getUint32(24, true) & 0o170000) === 0o100000;
}

/**
 * Reads a whole (small) regular file of `root` resolved inside it, or null when it cannot be
 * read. The root is the container's: its file is pinned with O_PATH and opened only when
 * it is a regular file, since opening a FIFO would block this thread (the whole daemon or
 * shim) and a device node would read the host's device.
 */
export function readInRoot(root: string, path: string, max = 1 << 20): string | null {
  let fd: number;
  try {
    const pin = openat2(
      root,
      path.replace(/^\/+/, ""),
      O_PATH,
      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    );
    try {
      if (!isRegular(pin)) return null;
      fd = open(`/proc/self/fd/${pin}`, O_RDONLY | O_NONBLOCK);
    } finally {
      close(pin);
    }
  } catch {
    return null;
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(65536);
      const n = raw(SYS_READ, fd, buf, buf.length);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > max) return null;
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    close(fd);
  }
}
