// A recording fake of CgroupFs: an in-memory tree of directories and files that logs
// every mutation in order, so managers are unit-tested without root or a kernel.

import type { CgroupFs } from "./fs.ts";

export type FsOp =
  | { op: "write"; path: string; data: string }
  | { op: "mkdir"; path: string }
  | { op: "rmdir"; path: string }
  | { op: "bpf"; path: string; license: string };

export class FakeCgroupFs implements CgroupFs {
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>(["/"]);
  readonly ops: FsOp[] = [];
  /** The device program attached to each cgroup directory (setDeviceProgram). */
  readonly devicePrograms = new Map<string, Uint8Array>();
  /** Called on each write; may update other files (e.g. cgroup.events after cgroup.freeze). */
  onWrite?: (path: string, data: string, fs: FakeCgroupFs) => void;
  /** Paths whose rmdir fails with EBUSY this many more times. */
  readonly busy = new Map<string, number>();

  /** Seeds a file (and its parent directories) without recording an op. */
  seed(path: string, data = ""): this {
    this.seedDir(parent(path));
    this.files.set(path, data);
    return this;
  }

  seedDir(path: string): this {
    for (let p = path; p !== "/" && !this.dirs.has(p); p = parent(p)) this.dirs.add(p);
    return this;
  }

  readFile(path: string): Promise<string> {
    const data = this.files.get(path);
    if (data === undefined) {
      return Promise.reject(new Deno.errors.NotFound(`fake: no file ${path}`));
    }
    return Promise.resolve(data);
  }

  writeFile(path: string, data: string): Promise<void> {
    if (!this.dirs.has(parent(path))) {
      return Promise.reject(new Deno.errors.NotFound(`fake: no directory for ${path}`));
    }
    this.ops.push({ op: "write", path, data });
    this.files.set(path, data);
    this.onWrite?.(path, data, this);
    return Promise.resolve();
  }

  writeFileInBackground(path: string, data: string): Promise<void> {
    return this.writeFile(path, data);
  }

  setDeviceProgram(dir: string, program: Uint8Array, license: string): Promise<void> {
    if (!this.dirs.has(dir)) {
      return Promise.reject(new Deno.errors.NotFound(`fake: no cgroup ${dir}`));
    }
    this.ops.push({ op: "bpf", path: dir, license });
    this.devicePrograms.set(dir, program);
    return Promise.resolve();
  }

  mkdir(path: string): Promise<void> {
    const missing: string[] = [];
    for (let p = path; p !== "/" && !this.dirs.has(p); p = parent(p)) missing.unshift(p);
    for (const p of missing) {
      this.dirs.add(p);
      this.ops.push({ op: "mkdir", path: p });
    }
    return Promise.resolve();
  }

  rmdir(path: string): Promise<void> {
    if (!this.dirs.has(path)) {
      return Promise.reject(new Deno.errors.NotFound(`fake: no dir ${path}`));
    }
    const left = this.busy.get(path) ?? 0;
    if (left > 0) {
      this.busy.set(path, left - 1);
      return Promise.reject(new Deno.errors.Busy(`fake: EBUSY ${path}`));
    }
    if ([...this.dirs].some((d) => parent(d) === path && d !== path)) {
      return Promise.reject(new Deno.errors.Busy(`fake: ${path} has children`));
    }
    this.dirs.delete(path);
    for (const f of [...this.files.keys()]) if (parent(f) === path) this.files.delete(f);
    this.ops.push({ op: "rmdir", path });
    return Promise.resolve();
  }

  readdir(path: string): Promise<string[]> {
    if (!this.dirs.has(path)) {
      return Promise.reject(new Deno.errors.NotFound(`fake: no dir ${path}`));
    }
    const names = [...this.dirs].filter((d) => d !== path && parent(d) === path);
    return Promise.resolve(names.map((d) => d.slice(d.lastIndexOf("/") + 1)));
  }

  exists(path: string): Promise<boolean> {
    return Promise.resolve(this.dirs.has(path) || this.files.has(path));
  }

  /** The recorded writes, as `path=data` strings (handy for assertions). */
  writes(): string[] {
    return this.ops.flatMap((o) => (o.op === "write" ? [`${o.path}=${o.data}`] : []));
  }
}

function parent(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
