// The filesystem seam of the cgroup managers: everything they touch goes through this
// small interface, so tests can swap in the recording fake (fake_fs.ts).

export interface CgroupFs {
  readFile(path: string): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  /** mkdir -p; resolves when the directory exists. */
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** Names of the subdirectories of `path`. */
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/** The real filesystem, over Deno APIs. */
export const denoFs: CgroupFs = {
  readFile: (path) => Deno.readTextFile(path),
  // cgroup files take one value per write(2): no truncation games, no append.
  writeFile: async (path, data) => {
    using f = await Deno.open(path, { write: true });
    const bytes = new TextEncoder().encode(data);
    const n = await f.write(bytes);
    if (n !== bytes.length) {
      throw new Error(`short write to ${path}: ${n} of ${bytes.length} bytes`);
    }
  },
  mkdir: (path) => Deno.mkdir(path, { recursive: true, mode: 0o755 }),
  rmdir: (path) => Deno.remove(path),
  readdir: async (path) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(path)) if (e.isDirectory) names.push(e.name);
    return names;
  },
  exists: async (path) => {
    try {
      await Deno.lstat(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  },
};

/** True for the errno a busy cgroup rmdir returns (processes or children left). */
export function isBusy(err: unknown): boolean {
  return err instanceof Deno.errors.Busy ||
    (err instanceof Error && /EBUSY|busy/i.test(err.message));
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
