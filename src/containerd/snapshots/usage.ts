// Disk usage of a directory tree, like containerd's fs.DiskUsage: st_blocks × 512 per inode,
// hardlinks counted once, symlinks not followed.

import type { Usage } from "./types.ts";

export async function diskUsage(root: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0;
  let inodes = 0;
  const visit = async (path: string) => {
    const st = await Deno.lstat(path);
    const id = `${st.dev}:${st.ino}`;
    if (!seen.has(id)) {
      seen.add(id);
      inodes++;
      size += (st.blocks ?? 0) * 512;
    }
    if (!st.isDirectory) return;
    for await (const e of Deno.readDir(path)) await visit(`${path}/${e.name}`);
  };
  await visit(root);
  return { size, inodes };
}
