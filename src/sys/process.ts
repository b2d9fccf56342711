// Processes without Deno.Command: pipes, pidfds and waitid, for the shim (a subreaper
// that must reap its own children without racing anything) and containerd.
import { cstr, errno, O_CLOEXEC, SysError } from "./libc.ts";

const lib = Deno.dlopen("libc.so.6", {
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  syscall3: { name: "syscall", parameters: ["i64", "i64", "i64", "i64"], result: "i64" },
  waitid: { parameters: ["i32", "u32", "buffer", "i32"], result: "i32", nonblocking: true },
  waitid_sync: { name: "waitid", parameters: ["i32", "u32", "buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
}).symbols;

const SYS_PIDFD_OPEN = 434n;
const P_PID = 1, P_PIDFD = 3, WEXITED = 4, WNOHANG = 1;
const CLD_EXITED = 1;

/** A pipe: [read end, write end], both close-on-exec. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  if (lib.pipe2(new Uint8Array(fds.buffer), O_CLOEXEC) < 0) throw new SysError("pipe2", errno());
  return [fds[0], fds[1]];
}

/** A pidfd for `pid` (a child, or a process reparented to us, even if it already exited). */
export function pidfdOpen(pid: number): number {
  const fd = Number(lib.syscall3(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n));
  if (fd < 0) throw new SysError("pidfd_open", errno(), String(pid));
  return fd;
}

function exitCode(info: Uint8Array<ArrayBuffer>): number {
  const v = new DataView(info.buffer);
  const code = v.getInt32(8, true), status = v.getInt32(24, true);
  return code === CLD_EXITED ? status : 128 + status;
}

/**
 * Waits for the process behind `pidfd` to exit and reaps it (on a pool thread).
 * Resolves to its exit code, 128+n for a death by signal n.
 */
export async function waitPidfd(pidfd: number): Promise<number> {
  const info = new Uint8Array(128);
  for (;;) {
    const r = await lib.waitid(P_PIDFD, pidfd, info, WEXITED);
    if (r === 0) return exitCode(info);
    const e = errno();
    if (e !== 4) throw new SysError("waitid", e, `pidfd ${pidfd}`);
  }
}

/** Reaps `pid` if it has exited: its exit code, or null while it runs. */
export function tryReap(pid: number): number | null {
  const info = new Uint8Array(128);
  if (lib.waitid_sync(P_PID, pid, info, WEXITED | WNOHANG) < 0) {
    throw new SysError("waitid", errno(), String(pid));
  }
  return new DataView(info.buffer).getInt32(16, true) === 0 ? null : exitCode(info);
}

/** Opens a path as a raw fd (close-on-exec). */
export function openRaw(path: string, flags: number, mode = 0o644): number {
  const fd = lib.open(cstr(path), flags | O_CLOEXEC, mode);
  if (fd < 0) throw new SysError("open", errno(), path);
  return fd;
}
