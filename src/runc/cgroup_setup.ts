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
  openCgroupManager,
  type Stats,
} from "./cgroups/mod.ts";
import type { ContainerState } from "./state.ts";

export interface CgroupRecord {
  cgroupsPath?: string;
  /** /proc/self/cgroup of the process that created the container. */
  procCgroup: string;
}

export class ContainerCgroup {
  constructor(private m: CgroupManager, readonly record: CgroupRecord) {}

  async create(spec: Spec): Promise<void> {
    await this.m.create();
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

  /** See CgroupManager.prime: call early in create, then join with apply. */
  prime(): Promise<void> {
    return this.m.prime();
  }

  apply(pid: number): Promise<void> {
    return this.m.apply(pid);
  }

  /** Controller → directory. */
  paths(): Record<string, string> {
    return this.m.paths();
  }

  /** Hierarchies to show inside the container's cgroup mount: "cpu,cpuacct" → host dir. */
  mountDirs(): Record<string, string> {
    const byDir = new Map<string, string[]>();
    for (const [controller, dir] of Object.entries(this.m.paths())) {
      byDir.set(dir, [...(byDir.get(dir) ?? []), controller]);
    }
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

export async function containerCgroup(spec: Spec, id: string): Promise<ContainerCgroup> {
  const record = {
    cgroupsPath: spec.linux?.cgroupsPath,
    procCgroup: await Deno.readTextFile("/proc/self/cgroup"),
  };
  return new ContainerCgroup(await openCgroupManager({ ...record, id }), record);
}

export async function cgroupOf(state: ContainerState): Promise<ContainerCgroup> {
  return new ContainerCgroup(
    await openCgroupManager({ ...state.cgroup, id: state.id }),
    state.cgroup,
  );
}
