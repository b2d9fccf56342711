// The cgroup manager used by `engine runc`: one interface, a v1 and a v2 implementation,
// picked from /proc/self/mountinfo. Resource limits: v1_resources.ts and v2_resources.ts;
// statistics: stats_v1.ts and stats_v2.ts.

import { invalidArgument, wrap } from "../../lib/errors.ts";
import type { LinuxResources } from "./resources.ts";
import type { Stats } from "./stats_types.ts";
import { type CgroupFs, denoFs } from "./fs.ts";
import {
  type CgroupLayout,
  parseMountinfo,
  parseProcCgroup,
  resolveCgroupsPath,
  type V1Hierarchy,
} from "./layout.ts";
import { V1Manager } from "./v1.ts";
import { V2Manager } from "./v2.ts";

export type { LinuxResources, Stats };

export type FreezerState = "frozen" | "thawed";

export interface CgroupManager {
  /** The cgroup path (absolute, relative to each hierarchy's root). */
  readonly path: string;
  /** mkdir the cgroup in every hierarchy. */
  create(): Promise<void>;
  /**
   * Starts, in the background, a no-op attach: our own pid written to our own cgroup. The
   * first cgroup.procs write after a quiet spell waits for an RCU grace period (the kernel's
   * cgroup_threadgroup_rwsem, 5-12 ms here) and the next ones within ~15 ms do not: paid
   * while the plan is compiled, it is off the path of the container's join. The wait holds
   * cgroup_mutex: start it after the cgroup is created. Never fails.
   */
  prime(): Promise<void>;
  /** Moves `pid` into the cgroup (every hierarchy). */
  apply(pid: number): Promise<void>;
  /** Every pid in the cgroup and its descendants, sorted, without duplicates. */
  procs(): Promise<number[]>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  state(): Promise<FreezerState>;
  /** rmdir the cgroup (and sub-cgroups), retrying briefly on EBUSY; kills nothing. */
  destroy(): Promise<void>;
  /**
   * Controller → directory, for runc state's `cgroup_paths`: v1 has one key per controller
   * ("name=systemd" as "systemd") and "" for hybrid's unified mount; v2 has only "".
   */
  paths(): Record<string, string>;
  /**
   * Applies limits (0 or absent: leave as is); returns the settings it does not apply
   * (keys it does not handle, or that have no file on this cgroup version).
   */
  setResources(resources: LinuxResources): Promise<string[]>;
  /** runc's cgroup statistics (`runc events --stats`'s data). */
  stats(): Promise<Stats>;
  /** How many processes the OOM killer has killed in the cgroup so far. */
  oomKills(): Promise<number>;
}

export interface OpenOptions {
  /** The spec's `linux.cgroupsPath` (absolute, relative, or `slice:prefix:name`). */
  cgroupsPath?: string;
  /** Container id: the cgroup name when cgroupsPath is empty. */
  id: string;
  fs?: CgroupFs;
  /** Text of /proc/self/mountinfo and /proc/self/cgroup (read through `fs` when absent). */
  mountinfo?: string;
  procCgroup?: string;
}

/** Detects the layout and returns the manager for the container's cgroup. */
export async function openCgroupManager(opts: OpenOptions): Promise<CgroupManager> {
  const fs = opts.fs ?? denoFs;
  const read = async (given: string | undefined, path: string) => {
    try {
      return given ?? await fs.readFile(path);
    } catch (err) {
      throw wrap(err, `cgroups: read ${path}`);
    }
  };
  const layout: CgroupLayout = parseMountinfo(await read(opts.mountinfo, "/proc/self/mountinfo"));
  const own = parseProcCgroup(await read(opts.procCgroup, "/proc/self/cgroup"));
  const path = resolveCgroupsPath(opts.cgroupsPath, opts.id);
  if (path === "/" || path === "." || path.startsWith("..")) {
    throw invalidArgument(`cgroups: refusing cgroup path ${JSON.stringify(opts.cgroupsPath)}`);
  }
  return layout.mode === "v2"
    ? new V2Manager(fs, layout.unified!, path, own.get("") ?? "/")
    : new V1Manager(fs, hybrid(layout), path, own);
}

/** v1 hierarchies, plus hybrid's cgroup2 mount as controller "" (runc joins it too). */
function hybrid(layout: CgroupLayout): V1Hierarchy[] {
  const u = layout.unified;
  return u ? [...layout.v1, { controllers: [""], ...u }] : layout.v1;
}

/** Sends `signal` to every process of the cgroup; returns the pids signalled. */
export async function killAll(
  m: CgroupManager,
  signal: Deno.Signal = "SIGKILL",
): Promise<number[]> {
  const done: number[] = [];
  for (const pid of await m.procs()) {
    try {
      Deno.kill(pid, signal);
      done.push(pid);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw wrap(err, `cgroups: kill ${pid}`);
    }
  }
  return done;
}
