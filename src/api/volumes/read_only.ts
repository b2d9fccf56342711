// Read-only binds and volumes made recursively read-only, as dockerd 25+ does: "rro" (every
// submount of an rbind read-only too) where the kernel (5.12's mount_setattr) and the
// container's runtime (its `features` lists "rro") can, plain "ro" otherwise.
// BindOptions.ReadOnlyNonRecursive keeps "ro"; ReadOnlyForceRecursive refuses to fall back.
// Clients of API < 1.44 keep the old non-recursive "ro" (dockerd's DefaultReadOnlyNonRecursive).
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import type { MountPoint } from "./mounts.ts";

/** The kernel's version as [major, minor] ("6.18.44-…" → [6, 18]). */
function kernelVersion(): [number, number] {
  const [major, minor] = Deno.osRelease().split(/[.-]/).map(Number);
  return [major || 0, minor || 0];
}

/** Why `runtime` cannot make mounts recursively read-only here, or null when it can. */
export async function recursiveReadOnlyUnsupported(
  d: Daemon,
  runtime: string,
): Promise<string | null> {
  const [major, minor] = kernelVersion();
  if (major < 5 || (major === 5 && minor < 12)) {
    return "recursive read-only mounts require kernel >= 5.12";
  }
  try {
    const f = await d.containerd.containers.runtimeFeatures(runtime);
    const options = f.mountOptions;
    if (Array.isArray(options) && options.includes("rro")) return null;
    return `rro is not supported by runtime "${runtime}"`;
  } catch (e) {
    return `failed to detect whether the OCI runtime "${runtime}" supports recursive ` +
      `read-only mounts: ${(e as Error).message}`;
  }
}

/** Does a read-only point ask for "rro" unless the runtime cannot? */
const wantsRecursive = (p: MountPoint) => !p.RW && p.Type !== "tmpfs" && !p.ReadOnlyNonRecursive;

/**
 * The points that get "rro", decided once for the container's runtime; a point that forces
 * it on a runtime that cannot is refused with the reason.
 */
export async function recursiveReadOnlyPoints(
  d: Daemon,
  runtime: string,
  points: MountPoint[],
): Promise<Set<string>> {
  const want = points.filter(wantsRecursive);
  if (!want.length) return new Set();
  const why = await recursiveReadOnlyUnsupported(d, runtime);
  if (!why) return new Set(want.map((p) => p.Destination));
  if (want.some((p) => p.ReadOnlyForceRecursive)) throw invalidArgument(why);
  return new Set();
}
