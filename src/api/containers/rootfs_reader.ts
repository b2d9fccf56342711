// Reads a small file of a container's rootfs before it runs (its /etc/passwd for --user):
// each layer of its snapshot is searched from the top, resolved inside that layer.
import { readInRoot } from "../../sys/libc.ts";
import type { RootfsReader } from "../../containerd/oci/mod.ts";

export interface SnapshotMount {
  type: string;
  source: string;
  options: string[];
}

export function layerDirs(mounts: SnapshotMount[]): string[] {
  const dirs: string[] = [];
  for (const m of mounts) {
    if (m.type === "bind") dirs.push(m.source);
    if (m.type !== "overlay") continue;
    const upper = m.options.find((o) => o.startsWith("upperdir="));
    if (upper) dirs.push(upper.slice(9));
    const lower = m.options.find((o) => o.startsWith("lowerdir="));
    if (lower) dirs.push(...lower.slice(9).split(":"));
  }
  return dirs;
}

export function snapshotReader(mounts: SnapshotMount[]): RootfsReader {
  const dirs = layerDirs(mounts);
  return (path) => {
    for (const dir of dirs) {
      const text = readInRoot(dir, path, 4 << 20);
      if (text !== null) return text;
    }
    return null;
  };
}
