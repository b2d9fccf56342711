// `runc exec --cgroup [<controller>[,<controller>]:]<path>`: the exec'd process joins an
// existing sub-cgroup of the container's cgroup instead of the container's own, per
// controller or for all (runc 1.1's getSubCgroupPaths and its errors).
import { controllersByDir } from "./cgroup_setup.ts";

/** --cgroup values → controller ("" for all) → sub-path. */
export function parseSubCgroups(args: string[]): Record<string, string> {
  const subs: Record<string, string> = {};
  for (const arg of args) {
    const parts = arg.split(":");
    if (parts.length > 2) throw new Error(`invalid --cgroup argument: ${arg}`);
    if (parts.length === 1) {
      if (args.length !== 1) {
        throw new Error(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      }
      subs[""] = arg;
    } else {
      for (const controller of parts[0].split(",")) subs[controller] = parts[1];
    }
  }
  return subs;
}

/** `sub` under `dir`, refusing a path that climbs out of it. */
function subDir(dir: string, sub: string): string {
  const parts: string[] = [];
  for (const p of sub.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (!parts.length) throw new Error(`${sub} is not a sub cgroup path`);
      parts.pop();
    } else parts.push(p);
  }
  return parts.length ? `${dir}/${parts.join("/")}` : dir;
}

/**
 * Writes `pid` into the container's cgroup of each hierarchy (`paths`: controller → dir, ""
 * on v2), or the sub-cgroup `subs` names for it; sub-cgroups are not created.
 */
export async function joinSubCgroups(
  paths: Record<string, string>,
  subs: Record<string, string>,
  pid: number,
): Promise<void> {
  for (const controller of Object.keys(subs)) {
    if (controller !== "" && !(controller in paths)) {
      throw new Error(
        `invalid --cgroup argument: no ${controller} controller in this container's cgroup`,
      );
    }
  }
  const targets = new Set<string>();
  for (const [dir, controllers] of controllersByDir(paths)) {
    const sub = controllers.map((c) => subs[c]).find((s) => s !== undefined) ?? subs[""];
    targets.add(sub ? subDir(dir, sub) : dir);
  }
  for (const target of targets) {
    try {
      await Deno.writeTextFile(`${target}/cgroup.procs`, String(pid));
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "no such file or directory"
        : (e as Error).message;
      throw new Error(
        `error adding pid ${pid} to cgroups: failed to write ${pid}: ${target}/cgroup.procs: ${why}`,
      );
    }
  }
}
