// Docker's defaults for a Linux container, as moby 20.10 builds them:
// oci/defaults.go (DefaultLinuxSpec), oci/caps/defaults.go (DefaultCapabilities),
// daemon/oci_linux.go (WithCommonOptions, WithCgroups, WithMounts) and
// container/container.go (CreateDaemonEnvironment). Facts only; our own code.

import type { DeviceRule, Mount } from "../../runc/config.ts";

/** container.DefaultPathEnv("linux"). */
export const DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Docker's default ShmSize (64 MiB); WithMounts appends it to /dev/shm as `size=<bytes>`. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** The parent of every container's cgroup: Docker's cgroupfs driver uses `/docker/<id>`. */
export const CGROUP_PARENT = "/engine";

/** caps.DefaultCapabilities(): bounding, effective and permitted; inheritable stays empty
 * (moby 20.10.14 dropped it, GHSA-2mm7-x5h6-5pvq). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every capability the kernel knows, in kernel order (index = capability number). */
export { CAPABILITIES as ALL_CAPABILITIES } from "../../lib/capabilities.ts";

/** DefaultLinuxSpec().Mounts, /dev/shm without its size (WithMounts adds it). */
export function defaultMounts(): Mount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", "ro"],
    },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["ro", "nosuid", "noexec", "nodev"],
    },
    {
      destination: "/dev/mqueue",
      type: "mqueue",
      source: "mqueue",
      options: ["nosuid", "noexec", "nodev"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777"],
    },
  ];
}

/** The destinations of the default mounts (WithMounts' readonly-rootfs rule skips some). */
export const DEFAULT_MOUNT_DESTINATIONS: readonly string[] = defaultMounts().map((m) =>
  m.destination
);

/** DefaultLinuxSpec().Linux.MaskedPaths; powercap since moby 20.10 (CVE-2020-8694). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

/** DefaultLinuxSpec().Linux.ReadonlyPaths. */
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** DefaultLinuxSpec().Linux.Resources.Devices: deny all, then Docker's allowed list. runc
 * appends its own allowed list (src/runc/cgroups/devices.ts) after these. */
export function defaultDeviceRules(): DeviceRule[] {
  const allow = (major: number, minor: number): DeviceRule => ({
    allow: true,
    type: "c",
    major,
    minor,
    access: "rwm",
  });
  return [
    { allow: false, access: "rwm" },
    allow(1, 5), // /dev/zero
    allow(1, 3), // /dev/null
    allow(1, 9), // /dev/urandom
    allow(1, 8), // /dev/random
    allow(5, 0), // /dev/tty
    allow(5, 1), // /dev/console
    { allow: false, type: "c", major: 10, minor: 229, access: "rwm" }, // /dev/fuse
  ];
}

/** WithCommonOptions: sysctls Docker 20.10 adds when the container has a private network
 * namespace (and the host kernel knows them). */
export const DEFAULT_NETWORK_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.ping_group_range": "0 2147483647",
  "net.ipv4.ip_unprivileged_port_start": "0",
};

/** Debian's tini-static, bind-mounted as Docker's init (dockerd --init, `docker run --init`). */
export const DEFAULT_INIT_BINARY = "/usr/bin/tini-static";
/** daemon/oci_linux.go inContainerInitPath. */
export const INIT_PATH_IN_CONTAINER = "/sbin/docker-init";
