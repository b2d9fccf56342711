// Kernel release parsing and which engine features need which kernel version.

export type KernelVersion = [major: number, minor: number, patch: number];

/** "6.18.44-fc-v657" → [6, 18, 44]; "5.10.0-28-amd64" → [5, 10, 0]; null when unparsable. */
export function parseKernelRelease(release: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function atLeast(v: KernelVersion, min: KernelVersion): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i] !== min[i]) return v[i] > min[i];
  }
  return true;
}

/** "5.6" for [5, 6, 0]; "6.18.44" for [6, 18, 44]. */
export function formatVersion(v: KernelVersion): string {
  return v[2] === 0 ? `${v[0]}.${v[1]}` : v.join(".");
}

/** The oldest kernel the engine is written for. */
export const MIN_KERNEL: KernelVersion = [4, 18, 0];

export interface KernelFeature {
  /** The system call or kernel feature. */
  name: string;
  since: KernelVersion;
  /** Which engine features use it. */
  usedBy: string;
  required: boolean;
  /** What happens without it (optional features only). */
  without?: string;
}

export const KERNEL_FEATURES: KernelFeature[] = [
  {
    name: "pidfd_open",
    since: [5, 3, 0],
    usedBy: "the shim and containerd wait for container processes through pidfds",
    required: true,
  },
  {
    name: "openat2",
    since: [5, 6, 0],
    usedBy: "layer extraction and runc's container mounts resolve paths with " +
      "RESOLVE_IN_ROOT (no escape through symlinks or ..)",
    required: true,
  },
  {
    name: "close_range",
    since: [5, 11, 0],
    usedBy: "runc marks inherited fds close-on-exec before exec (close_range 5.9, " +
      "CLOSE_RANGE_CLOEXEC 5.11)",
    required: false,
    without: "falls back to a loop over 65536 fds (slower container start)",
  },
];

/** cgroup v2's freezer (cgroup.freeze) arrived in 5.2; v1 uses the freezer controller. */
export const CGROUP2_FREEZE_SINCE: KernelVersion = [5, 2, 0];
