// Docker's ContainerPathStat, as the X-Docker-Container-Path-Stat header carries it:
// base64 of {"name","size","mode","mtime","linkTarget"} with `mode` in Go's FileMode bits.
import * as fs from "../../sys/fs.ts";

// Go's os.FileMode type bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHARDEV = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/** st_mode → Go's FileMode (as os.Lstat's Mode()). */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  switch (mode & fs.S_IFMT) {
    case fs.S_IFDIR:
      m += MODE_DIR;
      break;
    case fs.S_IFLNK:
      m += MODE_SYMLINK;
      break;
    case fs.S_IFBLK:
      m += MODE_DEVICE;
      break;
    case fs.S_IFCHR:
      m += MODE_DEVICE + MODE_CHARDEV;
      break;
    case fs.S_IFIFO:
      m += MODE_PIPE;
      break;
    case fs.S_IFSOCK:
      m += MODE_SOCKET;
      break;
  }
  if (mode & 0o4000) m += MODE_SETUID;
  if (mode & 0o2000) m += MODE_SETGID;
  if (mode & 0o1000) m += MODE_STICKY;
  return m;
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped, UTC). */
export function goTime(seconds: number): string {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  const frac = nanos ? "." + String(nanos).padStart(9, "0").replace(/0+$/, "") : "";
  return `${base}${frac}Z`;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export function pathStat(name: string, st: fs.Stat, linkTarget: string): PathStat {
  return { name, size: st.size, mode: goFileMode(st.mode), mtime: goTime(st.mtime), linkTarget };
}

export function statHeader(s: PathStat): Record<string, string> {
  const json = JSON.stringify(s);
  const bytes = new TextEncoder().encode(json);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return { "X-Docker-Container-Path-Stat": btoa(bin) };
}
