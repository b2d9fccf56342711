// cgroup v2: one unified directory. Creating it enables every available controller in
// each ancestor's cgroup.subtree_control (as runc does); the freezer is cgroup.freeze
// with cgroup.events reporting `frozen 1` once it has settled. Resources: v2_resources.ts
// (device rules: an eBPF program, device_filter.ts).

import { failedPrecondition, wrap } from "../../lib/errors.ts";
import type { CgroupFs } from "./fs.ts";
import { cleanPath, hierarchyDir } from "./layout.ts";
import type { CgroupManager, FreezerState, LinuxResources } from "./manager.ts";
import { removeTree, treePids, waitFor } from "./tree.ts";
import { setV2Resources } from "./v2_resources.ts";
import type { Stats } from "./stats_types.ts";

const FREEZE_TIMEOUT_MS = 5_000;

export class V2Manager implements CgroupManager {
  readonly dir: string;
  readonly #mountpoint: string;
  readonly #ownDir: string;

  constructor(
    private readonly fs: CgroupFs,
    unified: { mountpoint: string; root: string },
    readonly path: string,
    own: string,
  ) {
    this.#mountpoint = cleanPath(unified.mountpoint);
    this.dir = hierarchyDir(this.#mountpoint, unified.root, path, own);
    this.#ownDir = hierarchyDir(this.#mountpoint, unified.root, own);
  }

  paths(): Record<string, string> {
    return { "": this.dir };
  }

  async create(): Promise<void> {
    const rel = this.dir.slice(this.#mountpoint.length).split("/").filter(Boolean);
    const root = this.#mountpoint;
    const available = (await this.#read(`${root}/cgroup.controllers`)).split(/\s+/).filter(Boolean);
    let current = root;
    for (let i = 0; i < rel.length; i++) {
      // enable controllers in `current` for its children, then step down into the child
      if (available.length) await this.#enable(current, available);
      current = `${current}/${rel[i]}`;
      try {
        await this.fs.mkdir(current);
      } catch (err) {
        throw wrap(err, `cgroups: mkdir ${current}`);
      }
    }
  }

  async #enable(dir: string, controllers: string[]): Promise<void> {
    const file = `${dir}/cgroup.subtree_control`;
    try {
      await this.fs.writeFile(file, controllers.map((c) => `+${c}`).join(" "));
    } catch {
      // one by one: some may be unavailable (rootless, threaded); the set* calls report it
      for (const c of controllers) await this.fs.writeFile(file, `+${c}`).catch(() => {});
    }
  }

  async #read(file: string): Promise<string> {
    try {
      return await this.fs.readFile(file);
    } catch (err) {
      throw wrap(err, `cgroups: read ${file}`);
    }
  }

  async #write(file: string, value: string): Promise<void> {
    try {
      await this.fs.writeFile(file, value);
    } catch (err) {
      throw wrap(err, `cgroups: write ${JSON.stringify(value)} to ${file}`);
    }
  }

  prime(): Promise<void> {
    return this.fs.writeFileInBackground(`${this.#ownDir}/cgroup.procs`, String(Deno.pid))
      .catch(() => {});
  }

  apply(pid: number): Promise<void> {
    return this.#write(`${this.dir}/cgroup.procs`, String(pid));
  }

  async procs(): Promise<number[]> {
    return [...await treePids(this.fs, this.dir)].sort((a, b) => a - b);
  }

  async #frozen(): Promise<boolean> {
    const events = await this.#read(`${this.dir}/cgroup.events`);
    return /^frozen 1$/m.test(events);
  }

  async #setFreeze(frozen: boolean): Promise<boolean> {
    await this.#write(`${this.dir}/cgroup.freeze`, frozen ? "1" : "0");
    return waitFor(async () => (await this.#frozen()) === frozen, FREEZE_TIMEOUT_MS);
  }

  async freeze(): Promise<void> {
    if (await this.#setFreeze(true)) return;
    await this.#setFreeze(false);
    throw failedPrecondition(`cgroups: ${this.dir} did not report frozen 1 in cgroup.events`);
  }

  async thaw(): Promise<void> {
    if (!(await this.#setFreeze(false))) {
      throw failedPrecondition(`cgroups: ${this.dir} did not report frozen 0 in cgroup.events`);
    }
  }

  async state(): Promise<FreezerState> {
    const want = (await this.fs.readFile(`${this.dir}/cgroup.freeze`).catch(() => "0")).trim();
    if (want === "1") return "frozen";
    return (await this.fs.exists(`${this.dir}/cgroup.events`)) && (await this.#frozen())
      ? "frozen"
      : "thawed";
  }

  destroy(): Promise<void> {
    return removeTree(this.fs, this.dir);
  }

  setResources(r: LinuxResources): Promise<string[]> {
    return setV2Resources(this.fs, this.dir, r);
  }

  async stats(): Promise<Stats> {
    const { v2Stats } = await import("./stats_v2.ts"); // not on the create path
    return v2Stats(this.fs, this.dir);
  }

  async oomKills(): Promise<number> {
    const text = await this.fs.readFile(`${this.dir}/memory.events`);
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }
}
