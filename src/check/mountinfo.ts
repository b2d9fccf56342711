// /proc/self/mountinfo parsing (proc(5)): the mounts the host check looks at.

export interface MountEntry {
  mountPoint: string;
  /** Root of the mount within its filesystem. */
  root: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Undoes mountinfo's octal escapes (\040 for space, \011, \012, \134). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields.length < dash + 3) continue;
    mounts.push({
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      fsType: fields[dash + 1],
      source: unescape(fields[dash + 2]),
      superOptions: (fields[dash + 3] ?? "").split(",").filter((o) => o !== ""),
    });
  }
  return mounts;
}

/** The mount that holds `path` (the last, longest mount point that prefixes it). */
export function mountOf(mounts: MountEntry[], path: string): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const holds = mp === "/" || path === mp || path.startsWith(mp.endsWith("/") ? mp : `${mp}/`);
    if (holds && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
