// Listening unix sockets as raw fds, for receiving fds (SCM_RIGHTS): Deno's own
// listeners cannot. Path-based only, never abstract (SECURITY.md class d).
import { close, errno, O_CLOEXEC, SysError } from "./libc.ts";

const lib = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32", nonblocking: true },
}).symbols;

function sockaddr(path: string): Uint8Array<ArrayBuffer> {
  const p = new TextEncoder().encode(path);
  if (p.length >= 108) throw new SysError("bind", 36, path);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, 1, true);
  addr.set(p, 2);
  return addr;
}

/** Listens on a new unix socket at `path` (mode 0600); returns its fd. */
export function listenUnix(path: string): number {
  const fd = lib.socket(1, 1 | O_CLOEXEC, 0);
  if (fd < 0) throw new SysError("socket", errno());
  const addr = sockaddr(path);
  if (lib.bind(fd, addr, addr.length) < 0 || lib.listen(fd, 4) < 0) {
    const e = errno();
    close(fd);
    throw new SysError("bind", e, path);
  }
  Deno.chmodSync(path, 0o600);
  return fd;
}

/** Accepts one connection (on a pool thread); returns its fd. */
export async function accept(fd: number): Promise<number> {
  const c = await lib.accept4(fd, null, null, O_CLOEXEC);
  if (c < 0) throw new SysError("accept", 0, `fd ${fd}`);
  return c;
}
