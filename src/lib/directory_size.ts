// Usage of a directory tree as dockerd measures a layer (overlay2's diff size) and, for
// /system/df, a container's writable layer and a volume (pkg/directory.Size): the apparent
// size of every entry but directories (files, symlinks' target lengths), each inode once.
// Not containerd's st_blocks: `docker images`, `history` and `system df` show these bytes.
// As directory.Size, an entry removed during the walk (a running container's) is skipped;
// a missing root is an error.

/** Bytes and inodes of a tree (a snapshot's Usage). */
export async function diskUsage(root: string): Promise<{ size: number; inodes: number }> {
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
    for await (const e of Deno.readDir(path)) await visit(`${path}/${e.name}`).catch(vanished);
  };
  await visit(root);
  return { size, inodes };
}

function vanished(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}

/** diskUsage's bytes, or -1 when the tree cannot be read (as /system/df shows it). */
export async function directorySize(root: string): Promise<number> {
  try {
    return (await diskUsage(root)).size;
  } catch {
    return -1;
  }
}
