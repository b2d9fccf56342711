// The container's cgroup, over src/runc/cgroups: created from the spec at create time and
// reopened from the saved state by later verbs (with the /proc/self/cgroup text recorded
// at create, so a relative cgroupsPath resolves to the same directories from any caller).
import { logWarning } from "./log.ts";
import type { Spec } from "./config.ts";
import {
  type CgroupManager,
  DEFAULT_ALLOWED_DEVICES,
  type DeviceRule,
  type LinuxResources,
  NoCgroupManager,
  openCgroupManager,
  type Stats,
} from "./cgroups/mod.ts";
import type { ContainerState } from "./state.ts";

export interface CgroupRecord {
  cgroupsPath?: string;
  /** /proc/self/cgroup of the process that created the container. */
  procCgroup: string;
  /** A rootless container that runs in its creator's cgroup (none could be created). */
  none?: boolean;
}

/** EACCES, EPERM or EROFS: what an unprivileged user gets from cgroupfs without delegation. */
function isPermissionError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof Deno.errors.PermissionDenied) return true;
    if (/permission denied|operation not permitted|read-only file system/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

/** Controller → directory (co-mounted ones share one) turned into directory → controllers. */
export function controllersByDir(paths: Record<string, string>): Map<string, string[]> {
  const byDir = new Map<string, string[]>();
  for (const [controller, dir] of Object.entries(paths)) {
    byDir.set(dir, [...(byDir.get(dir) ?? []), controller]);
  }
  return byDir;
}

export class ContainerCgroup {
  #primed: Promise<void> = Promise.resolve();

  constructor(
    private m: CgroupManager,
    readonly record: CgroupRecord,
    private readonly rootless = false,
  ) {}

  async create(spec: Spec): Promise<void> {
    try {
      await this.m.create();
    } catch (err) {
      // runc's rootless rule: no cgroup is fine, unless limits were asked for
      if (!this.rootless || !isPermissionError(err)) throw err;
      await this.m.destroy().catch(() => {});
      const res = spec.linux?.resources ?? {};
      const limits = Object.entries(res).filter(([k, v]) => k !== "devices" && v != null);
      if (limits.length || spec.linux?.cgroupsPath) {
        throw new Error(
          `rootless container: ${(err as Error).message}: cgroup ${
            limits.length ? "limits" : "path"
          } need a cgroup delegated to this user`,
        );
      }
      this.m = new NoCgroupManager(this.m.path);
      this.record.none = true;
      return;
    }
    // The attach's grace period (CgroupManager.prime) runs while limits are written and the
    // plan compiled; not before the directories exist: it holds cgroup_mutex, which mkdir needs.
    this.#primed = this.m.prime();
    const res = spec.linux?.resources ?? {};
    const devices = [...((res.devices ?? []) as DeviceRule[]), ...DEFAULT_ALLOWED_DEVICES];
    await this.setResources({ ...res, devices } as LinuxResources);
  }

  /** Applies limits; settings this cgroup version cannot apply are logged as warnings. */
  async setResources(res: LinuxResources): Promise<void> {
    const ignored = await this.m.setResources(res);
    if (ignored.length) {
      logWarning(`cgroup settings not applied: ${ignored.join(", ")}`);
    }
  }

  stats(): Promise<Stats> {
    return this.m.stats();
  }

  oomKills(): Promise<number> {
    return this.m.oomKills();
  }

  async apply(pid: number): Promise<void> {
    await this.#primed;
    return this.m.apply(pid);
  }

  /** Controller → directory. */
  paths(): Record<string, string> {
    return this.m.paths();
  }

  /** Hierarchies to show inside the container's cgroup mount: "cpu,cpuacct" → host dir. */
  mountDirs(): Record<string, string> {
    const byDir = controllersByDir(this.m.paths());
    const out: Record<string, string> = {};
    for (const [dir, controllers] of byDir) {
      const name = controllers.filter((c) => c !== "").sort().join(",");
      if (name || byDir.size === 1) out[name] = dir;
    }
    return out;
  }

  procs(): Promise<number[]> {
    return this.m.procs();
  }

  async frozen(): Promise<boolean> {
    return (await this.m.state()) === "frozen";
  }

  freeze(): Promise<void> {
    return this.m.freeze();
  }

  thaw(): Promise<void> {
    return this.m.thaw();
  }

  destroy(): Promise<void> {
    return this.m.destroy();
  }
}

export async function containerCgroup(
  spec: Spec,
  id: string,
  rootless = false,
): Promise<ContainerCgroup> {
  const record: CgroupRecord = {
    cgroupsPath: spec.linux?.cgroupsPath,
    procCgroup: Deno.readTextFileSync("/proc/self/cgroup"),
  };
  return new ContainerCgroup(await openCgroupManager({ ...record, id }), record, rootless);
}

export async function cgroupOf(state: ContainerState): Promise<ContainerCgroup> {
  const m = state.cgroup.none
    ? new NoCgroupManager(state.id)
    : await openCgroupManager({ ...state.cgroup, id: state.id });
  return new ContainerCgroup(m, state.cgroup);
}
