// The filesystem seam of the cgroup managers: everything they touch goes through this
// small interface, so tests can swap in the recording fake (fake_fs.ts).

export interface CgroupFs {
  readFile(path: string): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  /** writeFile on a worker thread: the caller's thread runs on while the kernel waits. */
  writeFileInBackground(path: string, data: string): Promise<void>;
  /**
   * Makes `program` (struct bpf_insn[], see device_filter.ts) the cgroup v2 directory's only
   * device program, replacing any attached before.
   */
  setDeviceProgram(dir: string, program: Uint8Array<ArrayBuffer>, license: string): Promise<void>;
  /** mkdir -p; resolves when the directory exists. */
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** Names of the subdirectories of `path`. */
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/**
 * The real filesystem, over Deno's synchronous APIs: cgroupfs calls do not block on disk,
 * and a thread-pool round trip per file costs more than the call (runc's start path).
 */
const now = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (err) {
    return Promise.reject(err);
  }
};

export const denoFs: CgroupFs = {
  readFile: (path) => now(() => Deno.readTextFileSync(path)),
  // cgroup files take one value per write(2): no truncation games, no append.
  writeFile: (path, data) =>
    now(() => {
      using f = Deno.openSync(path, { write: true });
      const bytes = new TextEncoder().encode(data);
      const n = f.writeSync(bytes);
      if (n !== bytes.length) {
        throw new Error(`short write to ${path}: ${n} of ${bytes.length} bytes`);
      }
    }),
  // The open is quick; the write goes to the thread pool. (Deno.writeTextFile spends ~2.5 ms
  // of the caller's thread before it hands over.)
  writeFileInBackground: async (path, data) => {
    using f = Deno.openSync(path, { write: true });
    await f.write(new TextEncoder().encode(data));
  },
  setDeviceProgram: async (dir, program, license) => {
    const { setDeviceProgram } = await import("../../sys/bpf.ts"); // v2 only
    setDeviceProgram(dir, program, license);
  },
  mkdir: (path) => now(() => Deno.mkdirSync(path, { recursive: true, mode: 0o755 })),
  rmdir: (path) => now(() => Deno.removeSync(path)),
  readdir: (path) =>
    now(() => {
      const names: string[] = [];
      for (const e of Deno.readDirSync(path)) if (e.isDirectory) names.push(e.name);
      return names;
    }),
  exists: (path) =>
    now(() => {
      try {
        Deno.lstatSync(path);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    }),
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
