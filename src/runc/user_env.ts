// HOME for the container's process, as runc sets it: kept when process.env has it,
// otherwise the user's home from the rootfs's /etc/passwd (read inside the rootfs,
// symlinks resolved in it), or "/" when the uid has no entry.
import { readInRoot } from "../sys/libc.ts";
import type { Process } from "./config.ts";

export function homeOf(passwd: string | null, uid: number): string {
  for (const line of (passwd ?? "").split("\n")) {
    const f = line.split(":");
    if (f.length >= 6 && f[2] === String(uid) && f[5]) return f[5];
  }
  return "/";
}

/** `p` with HOME appended to its env when it has none. */
export function withHome(p: Process, rootfs: string): Process {
  const env = p.env ?? [];
  if (env.some((e) => e.startsWith("HOME="))) return p;
  const home = homeOf(readInRoot(rootfs, "/etc/passwd"), p.user.uid);
  return { ...p, env: [...env, `HOME=${home}`] };
}
