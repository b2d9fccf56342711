// The host's cgroup layout from its mounts: v1 (controllers in their own hierarchies),
// hybrid (v1 controllers plus a cgroup2 mount beside them, systemd's "unified"
// directory), v2 (one cgroup2 hierarchy at /sys/fs/cgroup), or none.
import type { MountEntry } from "./mountinfo.ts";

export type CgroupMode = "v1" | "hybrid" | "v2" | "none";

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 controller → its mount point (cpu and cpuacct may share one, or not). */
  v1: Record<string, string>;
  /** Named v1 hierarchies without a controller (name=systemd). */
  named: string[];
  /** cgroup2 mount points → the controllers enabled there (root cgroup.controllers). */
  v2: Record<string, string[]>;
}

/** The v1 controllers the kernel can have; other super options (rw, noprefix …) are not. */
export const V1_CONTROLLERS = [
  "cpu",
  "cpuacct",
  "cpuset",
  "memory",
  "devices",
  "freezer",
  "blkio",
  "pids",
  "hugetlb",
  "net_cls",
  "net_prio",
  "perf_event",
  "rdma",
  "misc",
];

/**
 * Reads the layout from the mount table. `controllersOf(mountPoint)` returns the content
 * of a cgroup2 mount's cgroup.controllers (null when unreadable).
 */
export function detectCgroups(
  mounts: MountEntry[],
  controllersOf: (mountPoint: string) => string | null,
): CgroupLayout {
  const v1: Record<string, string> = {};
  const named: string[] = [];
  const v2: Record<string, string[]> = {};
  for (const m of mounts) {
    if (m.fsType === "cgroup") {
      for (const opt of m.superOptions) {
        if (V1_CONTROLLERS.includes(opt) && !(opt in v1)) v1[opt] = m.mountPoint;
        if (opt.startsWith("name=")) named.push(opt.slice(5));
      }
    } else if (m.fsType === "cgroup2" && !(m.mountPoint in v2)) {
      const text = controllersOf(m.mountPoint) ?? "";
      v2[m.mountPoint] = text.split(/\s+/).filter((c) => c !== "");
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  const hasV2 = Object.keys(v2).length > 0;
  const mode: CgroupMode = hasV1 ? (hasV2 ? "hybrid" : "v1") : hasV2 ? "v2" : "none";
  return { mode, v1, named, v2 };
}

/** The cgroup2 mount a v2 manager would use: /sys/fs/cgroup, else the first one. */
export function unifiedMount(layout: CgroupLayout): string | null {
  const points = Object.keys(layout.v2);
  return points.includes("/sys/fs/cgroup") ? "/sys/fs/cgroup" : points[0] ?? null;
}

/** One line: "cgroup v1 hybrid: v1 controllers …; cgroup2 at … (controllers: …)". */
export function describeCgroups(layout: CgroupLayout): string {
  const v1 = Object.keys(layout.v1).sort().join(", ");
  const v2 = Object.entries(layout.v2)
    .map(([mp, cs]) => `cgroup2 at ${mp} (controllers: ${cs.length ? cs.join(", ") : "none"})`)
    .join("; ");
  switch (layout.mode) {
    case "v1":
      return `cgroup v1: controllers ${v1}`;
    case "hybrid":
      return `cgroup v1 hybrid: v1 controllers ${v1}; ${v2}`;
    case "v2":
      return `cgroup v2: ${v2}`;
    case "none":
      return "no cgroup filesystem mounted";
  }
}
