// Mount specs for overlay snapshots, and the long-lowerdir problem.
//
// mount(2) copies its data argument into one page (4096 bytes): an overlay over a deep
// chain of absolute lowerdirs (~50 bytes each here) stops fitting at ~80 layers. As
// containerd does, the mounter can chdir into the snapshots directory and pass relative
// lowerdirs ("12/fs:11/fs:…", ~7 bytes each): `compactOverlay` computes that form. With
// it, ~500 layers fit (overlayfs itself stops at 500 lower layers).

import { invalidArgument } from "../../lib/errors.ts";
import type { Mount } from "./types.ts";

export const PAGE_SIZE = 4096;

let indexParam: boolean | null = null;
/** containerd adds index=off where the overlay module has the option (it may default on). */
function hasIndexParam(): boolean {
  if (indexParam === null) {
    try {
      Deno.statSync("/sys/module/overlay/parameters/index");
      indexParam = true;
    } catch {
      indexParam = false;
    }
  }
  return indexParam;
}

/** Paths go into comma/colon-separated option strings: refuse the separators. */
export function checkMountPath(path: string): void {
  if (/[,:\0\n]/.test(path)) {
    throw invalidArgument(
      `snapshot path ${JSON.stringify(path)} contains , or : (unusable in overlay options)`,
    );
  }
}

export function bindMount(source: string, readonly: boolean): Mount {
  return { type: "bind", source, options: ["rbind", readonly ? "ro" : "rw"] };
}

/** An overlay with an upper layer (active snapshots) or read-only (views: ≥ 2 lowers). */
export function overlayMount(
  lowers: string[],
  upper?: { upperdir: string; workdir: string },
): Mount {
  const options: string[] = [];
  if (hasIndexParam()) options.push("index=off");
  if (upper) options.push(`workdir=${upper.workdir}`, `upperdir=${upper.upperdir}`);
  options.push(`lowerdir=${lowers.join(":")}`);
  return { type: "overlay", source: "overlay", options };
}

/** The mount data string as mount(8) passes it to mount(2). */
export function mountData(m: Mount): string {
  return m.options.filter((o) => o !== "rbind" && o !== "ro" && o !== "rw").join(",");
}

/**
 * When an overlay's data does not fit a page, rewrites the lowerdirs relative to their
 * common parent directory; mount from `cwd` then. Returns the mount unchanged (no cwd)
 * when it fits, and throws if even the compact form does not.
 */
export function compactOverlay(m: Mount): { mount: Mount; cwd?: string } {
  if (m.type !== "overlay" || mountData(m).length < PAGE_SIZE) return { mount: m };
  const lowerOpt = m.options.find((o) => o.startsWith("lowerdir="));
  if (!lowerOpt) return { mount: m };
  const lowers = lowerOpt.slice("lowerdir=".length).split(":");
  // The common parent of ".../snapshots/<n>/fs" is ".../snapshots".
  const parents = lowers.map((l) => l.split("/").slice(0, -2).join("/"));
  const cwd = parents[0];
  if (!cwd || parents.some((p) => p !== cwd)) return { mount: m };
  const relative = lowers.map((l) => l.slice(cwd.length + 1));
  const options = m.options.map((o) => o === lowerOpt ? `lowerdir=${relative.join(":")}` : o);
  const mount = { ...m, options };
  if (mountData(mount).length >= PAGE_SIZE) {
    throw invalidArgument(`overlay of ${lowers.length} layers does not fit a mount data page`);
  }
  return { mount, cwd };
}
