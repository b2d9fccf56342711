// cgroup v1: one directory per hierarchy (cpu and cpuacct may share one), including the
// named name=systemd hierarchy. The freezer, devices, pids and memory controllers have
// their files in their own hierarchy; cpuset needs cpus/mems copied down before use.

import { failedPrecondition, wrap } from "../../lib/errors.ts";
import type { CgroupFs } from "./fs.ts";
import { hierarchyDir, type V1Hierarchy } from "./layout.ts";
import type { CgroupManager, FreezerState, LinuxResources } from "./manager.ts";
import { removeTree, treePids, waitFor } from "./tree.ts";
import { setV1Resources } from "./v1_resources.ts";
import type { Stats } from "./stats_types.ts";

const FREEZE_TIMEOUT_MS = 5_000;

interface Dir {
  hierarchy: V1Hierarchy;
  /** Directory of the cgroup's parent in this hierarchy's mount. */
  mountpoint: string;
  dir: string;
}

export class V1Manager implements CgroupManager {
  readonly #dirs: Dir[];
  /** Our own cgroup directory in the first hierarchy (for prime). */
  readonly #ownDir: string | undefined;

  constructor(
    private readonly fs: CgroupFs,
    hierarchies: V1Hierarchy[],
    readonly path: string,
    own: Map<string, string>,
  ) {
    this.#dirs = hierarchies.map((h) => ({
      hierarchy: h,
      mountpoint: h.mountpoint,
      dir: hierarchyDir(h.mountpoint, h.root, path, own.get(h.controllers.join(",")) ?? "/"),
    }));
    const first = hierarchies[0];
    const ownPath = first && own.get(first.controllers.join(","));
    this.#ownDir = ownPath ? hierarchyDir(first.mountpoint, first.root, ownPath) : undefined;
  }

  paths(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.#dirs) {
      for (const c of d.hierarchy.controllers) out[c.replace(/^name=/, "")] = d.dir;
    }
    return out;
  }

  /** The directory of `controller`'s hierarchy, or undefined when it is not mounted. */
  dirOf(controller: string): string | undefined {
    return this.#dirs.find((d) => d.hierarchy.controllers.includes(controller))?.dir;
  }

  async create(): Promise<void> {
    for (const d of this.#dirs) {
      try {
        await this.fs.mkdir(d.dir);
        if (d.hierarchy.controllers.includes("cpuset")) await this.#initCpuset(d);
      } catch (err) {
        throw wrap(err, `cgroups: create ${d.dir} (${d.hierarchy.controllers.join(",")})`);
      }
    }
  }

  /** A new cpuset cgroup has empty cpus/mems, and joining it fails: copy them down. */
  async #initCpuset(d: Dir): Promise<void> {
    const rel = d.dir.slice(d.mountpoint.length).split("/").filter(Boolean);
    let parent = d.mountpoint;
    for (const name of rel) {
      const dir = `${parent}/${name}`;
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        const current = (await this.fs.readFile(`${dir}/${file}`)).trim();
        if (current) continue;
        const value = (await this.fs.readFile(`${parent}/${file}`)).trim();
        await this.fs.writeFile(`${dir}/${file}`, value);
      }
      parent = dir;
    }
  }

  prime(): Promise<void> {
    if (!this.#ownDir) return Promise.resolve();
    return this.fs.writeFileInBackground(`${this.#ownDir}/cgroup.procs`, String(Deno.pid))
      .catch(() => {});
  }

  async apply(pid: number): Promise<void> {
    for (const d of this.#dirs) {
      try {
        await this.fs.writeFile(`${d.dir}/cgroup.procs`, String(pid));
      } catch (err) {
        throw wrap(err, `cgroups: add pid ${pid} to ${d.dir}`);
      }
    }
  }

  async procs(): Promise<number[]> {
    const pids = new Set<number>();
    for (const d of this.#dirs) await treePids(this.fs, d.dir, pids);
    return [...pids].sort((a, b) => a - b);
  }

  #freezer(): string {
    const dir = this.dirOf("freezer");
    if (!dir) throw failedPrecondition("cgroups: the freezer controller is not mounted");
    return `${dir}/freezer.state`;
  }

  async #setFreezer(want: "FROZEN" | "THAWED"): Promise<boolean> {
    const file = this.#freezer();
    const write = () => this.fs.writeFile(file, want);
    try {
      await write();
      return await waitFor(
        async () => (await this.fs.readFile(file)).trim() === want,
        FREEZE_TIMEOUT_MS,
        write,
      );
    } catch (err) {
      throw wrap(err, `cgroups: write ${want} to ${file}`);
    }
  }

  async freeze(): Promise<void> {
    if (await this.#setFreezer("FROZEN")) return;
    await this.#setFreezer("THAWED"); // like runc: do not leave it half frozen
    throw failedPrecondition(`cgroups: ${this.#freezer()} did not reach FROZEN`);
  }

  async thaw(): Promise<void> {
    if (!(await this.#setFreezer("THAWED"))) {
      throw failedPrecondition(`cgroups: ${this.#freezer()} did not reach THAWED`);
    }
  }

  async state(): Promise<FreezerState> {
    const dir = this.dirOf("freezer");
    if (!dir) return "thawed";
    const s = (await this.fs.readFile(`${dir}/freezer.state`).catch(() => "THAWED")).trim();
    return s === "THAWED" ? "thawed" : "frozen"; // FREEZING counts as frozen, as in runc
  }

  async destroy(): Promise<void> {
    const errors: string[] = [];
    for (const d of this.#dirs) {
      await removeTree(this.fs, d.dir).catch((err) => errors.push(err.message));
    }
    if (errors.length) throw failedPrecondition(errors.join("; "));
  }

  setResources(r: LinuxResources): Promise<string[]> {
    return setV1Resources({ fs: this.fs, dirOf: (c) => this.dirOf(c) }, r);
  }

  async stats(): Promise<Stats> {
    const { v1Stats } = await import("./stats_v1.ts"); // not on the create path
    return v1Stats(this.fs, (c) => this.dirOf(c));
  }

  async oomKills(): Promise<number> {
    const dir = this.dirOf("memory");
    if (!dir) return 0;
    const text = await this.fs.readFile(`${dir}/memory.oom_control`);
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }
}
