// What the host check found, as plain data: gathered by gather.ts, judged by checks.ts
// (pure), so every verdict can be unit-tested on a made-up host.
import type { CgroupLayout } from "./cgroups.ts";
import type { KernelConfig } from "./kernel_config.ts";
import type { MountEntry } from "./mountinfo.ts";

/** A live system-call probe: "ok", an errno name ("ENOSYS", "EPERM" …), or null (not run). */
export type ProbeResult = string | null;

export interface BinaryInfo {
  path: string;
  /** Statically linked (no ELF interpreter); null when not an ELF file we could read. */
  static: boolean | null;
}

export interface HostFacts {
  kernelRelease: string;
  kernelConfig: { source: string; config: KernelConfig } | null;
  /** Where the kernel config was looked for. */
  kernelConfigPaths: string[];
  /** Entries of /proc/self/ns, or null when unreadable. */
  namespaces: string[] | null;
  maxUserNamespaces: number | null;
  /** Filesystem names from /proc/filesystems, or null when unreadable. */
  filesystems: string[] | null;
  /** The overlay module exists under /lib/modules/<release> (loadable with modprobe). */
  overlayModule: boolean;
  mounts: MountEntry[];
  cgroups: CgroupLayout;
  /** The Seccomp field of /proc/self/status ("0", "1", "2"), null when absent. */
  seccompMode: string | null;
  syscalls: { openat2: ProbeResult; pidfd_open: ProbeResult };
  /** Looked-up programs by name; null when not found. */
  binaries: Record<string, BinaryInfo | null>;
  dataRoot: {
    path: string;
    /** The nearest existing directory at or above path (what df measured). */
    measured: string;
    freeBytes: number | null;
    fsType: string | null;
  };
  dockerGroup: { exists: boolean; gid: number | null; members: string[] };
}
