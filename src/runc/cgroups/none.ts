// The cgroup of a rootless container that could not have one: without a delegated cgroup
// (cgroup v1, or v2 without systemd's delegation) an unprivileged user cannot create cgroups,
// and runc then runs the container in the caller's cgroup, with no limits. Every operation
// is a no-op; procs, freeze and stats say why they cannot work.
import { failedPrecondition } from "../../lib/errors.ts";
import type { CgroupManager, FreezerState, LinuxResources, Stats } from "./manager.ts";

const WHY = "rootless container without a cgroup (no cgroup delegation for this user)";

export class NoCgroupManager implements CgroupManager {
  constructor(readonly path: string) {}
  create(): Promise<void> {
    return Promise.resolve();
  }
  prime(): Promise<void> {
    return Promise.resolve();
  }
  apply(_pid: number): Promise<void> {
    return Promise.resolve();
  }
  procs(): Promise<number[]> {
    return Promise.reject(failedPrecondition(`cannot list processes: ${WHY}`));
  }
  freeze(): Promise<void> {
    return Promise.reject(failedPrecondition(`cannot pause: ${WHY}`));
  }
  thaw(): Promise<void> {
    return Promise.reject(failedPrecondition(`cannot resume: ${WHY}`));
  }
  state(): Promise<FreezerState> {
    return Promise.resolve("thawed");
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
  paths(): Record<string, string> {
    return {};
  }
  setResources(r: LinuxResources): Promise<string[]> {
    const limits = Object.keys(r).filter((k) => k !== "devices");
    if (limits.length) {
      return Promise.reject(failedPrecondition(`cannot set ${limits.join(", ")}: ${WHY}`));
    }
    return Promise.resolve([]);
  }
  stats(): Promise<Stats> {
    return Promise.reject(failedPrecondition(`no statistics: ${WHY}`));
  }
  oomKills(): Promise<number> {
    return Promise.resolve(0);
  }
}
