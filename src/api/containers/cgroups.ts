// Where a container's v1 cgroups are: each controller's mount from /proc/self/mountinfo,
// then <mount>/engine/<id> or <mount>/<parent>/<id> (the cgroupsPath the spec gives).
import { CGROUP_PARENT, cgroupPath } from "../../containerd/oci/mod.ts";

let mounts: Map<string, string> | undefined;

async function controllerMounts(): Promise<Map<string, string>> {
  if (mounts) return mounts;
  const m = new Map<string, string>();
  const text = await Deno.readTextFile("/proc/self/mountinfo").catch(() => "");
  for (const line of text.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post) continue;
    const [fstype, , superOpts = ""] = post.split(" ");
    const mountPoint = pre.split(" ")[4];
    if (fstype === "cgroup") {
      for (const o of superOpts.split(",")) {
        if (!m.has(o)) m.set(o, mountPoint);
      }
    } else if (fstype === "cgroup2" && !m.has("unified")) m.set("unified", mountPoint);
  }
  return mounts = m;
}

/** Whether the host's blkio controller (v1) has `file` (blkio.weight, blkio.throttle.…). */
export async function blkioHas(file: string): Promise<boolean> {
  const mount = (await controllerMounts()).get("blkio");
  if (!mount) return false;
  return await Deno.stat(`${mount}/${file}`).then(() => true, () => false);
}

/** `parent`: the container's --cgroup-parent ("" for the daemon's /engine). */
export async function cgroupDir(
  controller: string,
  id: string,
  parent = "",
): Promise<string | undefined> {
  const mount = (await controllerMounts()).get(controller);
  if (!mount) return undefined;
  const dir = `${mount}${cgroupPath(parent || CGROUP_PARENT, id)}`;
  try {
    await Deno.stat(dir);
    return dir;
  } catch {
    return undefined;
  }
}
