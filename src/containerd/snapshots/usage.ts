// Usage of a snapshot's directory tree as dockerd's overlay2 reports a layer's size
// (pkg/directory.Size): the apparent size of every entry but directories (files, symlinks'
// target lengths), each inode once. Not containerd's st_blocks: `docker images`,
// `history` and `system df` show these bytes, and dockerd's add up the files.

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
      if (!st.isDirectory) size += st.size;
    }
    if (!st.isDirectory) return;
    for await (const e of Deno.readDir(path)) await visit(`${path}/${e.name}`);
  };
  await visit(root);
  return { size, inodes };
}
