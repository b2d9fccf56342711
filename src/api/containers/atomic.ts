// Atomic file writes: temp file + fsync + rename (+ fsync of the directory).

export async function writeAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode });
  try {
    const bytes = new TextEncoder().encode(data);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  } finally {
    f.close();
  }
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch { /* some filesystems refuse fsync on a directory */ }
}
