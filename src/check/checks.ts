// Every verdict of `engine check`, from the facts alone (pure): kernel, namespaces,
// filesystems, cgroups, security, kernel config, mounts, network tools, storage, init,
// the docker group.
import { cgroupItems } from "./check_cgroups.ts";
import type { HostFacts, ProbeResult } from "./facts.ts";
import { type CheckItem, item } from "./item.ts";
import { evaluateOptions, NECESSARY_OPTIONS, OPTIONAL_OPTIONS, tristate } from "./kernel_config.ts";
import {
  atLeast,
  formatVersion,
  KERNEL_FEATURES,
  type KernelVersion,
  MIN_KERNEL,
  parseKernelRelease,
} from "./kernel_version.ts";

/** Free space below which the data root gets a warning. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;

function kernelItems(facts: HostFacts, v: KernelVersion | null): CheckItem[] {
  const S = "Kernel";
  const items: CheckItem[] = [];
  if (v === null) {
    items.push(
      item(S, "kernel version", "unknown", false, `cannot parse release "${facts.kernelRelease}"`),
    );
  } else {
    const ok = atLeast(v, MIN_KERNEL);
    items.push(
      item(
        S,
        "kernel version",
        ok ? "ok" : "missing",
        false,
        `${formatVersion(v)} (${ok ? "≥" : "<"} ${
          formatVersion(MIN_KERNEL)
        }; required system calls below)`,
        "upgrade to kernel 5.6 or newer",
      ),
    );
  }
  for (const f of KERNEL_FEATURES) {
    const probe: ProbeResult = f.name === "openat2"
      ? facts.syscalls.openat2
      : f.name === "pidfd_open"
      ? facts.syscalls.pidfd_open
      : null;
    const since = `since ${formatVersion(f.since)}`;
    let ok: boolean | null = v === null ? null : atLeast(v, f.since);
    let how = v === null ? "" : `kernel ${ok ? "has it" : "too old"}`;
    if (probe !== null) {
      ok = probe === "ok";
      how = ok
        ? "probed: works"
        : `probed: ${probe}` + (probe === "EPERM" ? " (blocked by a seccomp filter?)" : "");
    }
    const detail = `${since}, ${how}: ${f.usedBy}` +
      (ok || !f.without ? "" : `; without it ${f.without}`);
    items.push(
      item(
        S,
        f.name,
        ok === null ? "unknown" : ok ? "ok" : "missing",
        f.required,
        detail,
        `upgrade to kernel ${formatVersion(f.since)} or newer` +
          (probe && probe !== "ENOSYS" ? ", and allow the system call" : ""),
      ),
    );
  }
  return items;
}

const NAMESPACES: [name: string, required: boolean, why: string][] = [
  ["mnt", true, "the container's mounts and root"],
  ["pid", true, "the container's process tree"],
  ["uts", true, "--hostname"],
  ["ipc", true, "SysV IPC isolation"],
  ["net", true, "container networking"],
  ["user", false, "user namespaces (userns-remap, rootless)"],
  ["cgroup", false, "--cgroupns=private"],
];

function namespaceItems(facts: HostFacts): CheckItem[] {
  const S = "Namespaces";
  const items = NAMESPACES.map(([ns, required, why]) => {
    if (facts.namespaces === null) {
      return item(S, ns, "missing", required, "/proc/self/ns unreadable", "mount /proc");
    }
    const ok = facts.namespaces.includes(ns);
    return item(
      S,
      ns,
      ok ? "ok" : "missing",
      required,
      why,
      `use a kernel with CONFIG_${ns === "mnt" ? "NAMESPACES" : `${ns.toUpperCase()}_NS`}=y`,
    );
  });
  if (facts.namespaces?.includes("user")) {
    const max = facts.maxUserNamespaces;
    items.push(
      item(
        S,
        "max_user_namespaces",
        max === null ? "unknown" : max > 0 ? "ok" : "missing",
        false,
        max === null ? "/proc/sys/user/max_user_namespaces unreadable" : `${max}`,
        "sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)",
      ),
    );
  }
  return items;
}

function filesystemItems(facts: HostFacts): CheckItem[] {
  const S = "Filesystems";
  const why = "image snapshots";
  if (facts.filesystems?.includes("overlay")) {
    return [item(S, "overlay", "ok", true, `in /proc/filesystems: ${why}`)];
  }
  if (facts.overlayModule) {
    return [
      item(
        S,
        "overlay",
        "ok",
        true,
        `module available, not loaded (the kernel loads it on the first overlay mount): ${why}`,
      ),
    ];
  }
  return [
    item(
      S,
      "overlay",
      "missing",
      true,
      facts.filesystems === null
        ? "/proc/filesystems unreadable"
        : `not in /proc/filesystems: no ${why}`,
      "modprobe overlay (kernel: CONFIG_OVERLAY_FS)",
    ),
  ];
}

function securityItems(facts: HostFacts): CheckItem[] {
  const S = "Security";
  const mode = facts.seccompMode;
  const items = [
    item(
      S,
      "seccomp",
      mode === null ? "missing" : "ok",
      false,
      mode === null
        ? "no Seccomp field in /proc/self/status: containers run without a seccomp profile"
        : `supported (Seccomp: ${mode} for this process): the default profile`,
      "use a kernel with CONFIG_SECCOMP=y",
    ),
  ];
  if (facts.kernelConfig) {
    const f = tristate(facts.kernelConfig.config, "SECCOMP_FILTER");
    items.push(
      item(
        S,
        "seccomp filter",
        f === "n" ? "missing" : "ok",
        false,
        `CONFIG_SECCOMP_FILTER${f === "n" ? " not set" : `=${f}`} (${facts.kernelConfig.source})`,
        "use a kernel with CONFIG_SECCOMP_FILTER=y",
      ),
    );
  } else {
    items.push(
      item(
        S,
        "seccomp filter",
        "unknown",
        false,
        `kernel config not readable (${facts.kernelConfigPaths.join(", ")})`,
        "modprobe configs, to get /proc/config.gz",
      ),
    );
  }
  return items;
}

function kernelConfigItems(facts: HostFacts, v: KernelVersion | null): CheckItem[] {
  const S = "Kernel config";
  if (!facts.kernelConfig) {
    return [
      item(
        S,
        "kernel config",
        "unknown",
        false,
        `not readable at ${facts.kernelConfigPaths.join(" or ")}`,
        "modprobe configs, to get /proc/config.gz",
      ),
    ];
  }
  const folded = v !== null && atLeast(v, [6, 1, 0]);
  const results = [
    ...evaluateOptions(facts.kernelConfig.config, NECESSARY_OPTIONS),
    ...evaluateOptions(facts.kernelConfig.config, OPTIONAL_OPTIONS, folded),
  ];
  return results.map((r) =>
    item(
      S,
      `CONFIG_${r.option.name}`,
      r.state === "n" ? "missing" : "ok",
      false,
      r.option.why + (r.state === "m" ? " (module)" : "") +
        (r.satisfiedBy && r.satisfiedBy !== r.option.name ? ` (as CONFIG_${r.satisfiedBy})` : ""),
      `rebuild the kernel with CONFIG_${r.option.name}`,
    )
  );
}

function mountItems(facts: HostFacts): CheckItem[] {
  const at = (mp: string, fs: string) =>
    facts.mounts.some((m) => m.mountPoint === mp && m.fsType === fs);
  return [
    item(
      "Mounts",
      "/proc",
      at("/proc", "proc") ? "ok" : "missing",
      false,
      "procfs",
      "mount -t proc proc /proc",
    ),
    item(
      "Mounts",
      "/sys",
      at("/sys", "sysfs") ? "ok" : "missing",
      false,
      "sysfs (cgroups live under it)",
      "mount -t sysfs sysfs /sys",
    ),
  ];
}

function binaryItem(facts: HostFacts, section: string, name: string, why: string, fix: string) {
  const b = facts.binaries[name];
  return item(
    section,
    name,
    b ? "ok" : "missing",
    false,
    b ? `${b.path}: ${why}` : `not found: no ${why}`,
    fix,
  );
}

function networkItems(facts: HostFacts): CheckItem[] {
  return [
    binaryItem(
      facts,
      "Network",
      "iptables",
      "bridge networks, port publishing (--iptables)",
      "apt-get install iptables",
    ),
    binaryItem(facts, "Network", "ip6tables", "IPv6 bridge networks", "apt-get install iptables"),
    binaryItem(facts, "Network", "nft", "nftables rules", "apt-get install nftables"),
  ];
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function storageItems(facts: HostFacts): CheckItem[] {
  const S = "Storage";
  const d = facts.dataRoot;
  const where = d.measured === d.path ? d.path : `${d.path} (measured at ${d.measured})`;
  const items = [
    d.freeBytes === null ? item(S, "free space", "unknown", false, `df failed for ${where}`) : item(
      S,
      "free space",
      d.freeBytes >= MIN_FREE_BYTES ? "ok" : "missing",
      false,
      `${gib(d.freeBytes)} free under ${where} (want ≥ ${gib(MIN_FREE_BYTES)})`,
      'free space, or move the data root (--data-root, "data-root" in daemon.json)',
    ),
  ];
  if (d.fsType === "overlay") {
    items.push(
      item(
        S,
        "data root filesystem",
        "missing",
        false,
        `${where} is on overlayfs: snapshots cannot use an overlay upper directory there`,
        "put the data root on ext4 or xfs",
      ),
    );
  } else if (d.fsType !== null) {
    items.push(item(S, "data root filesystem", "ok", false, `${d.fsType}`));
  }
  return items;
}

function initItems(facts: HostFacts): CheckItem[] {
  const S = "Init";
  const tini = facts.binaries["/usr/bin/tini-static"];
  const busybox = facts.binaries["busybox"];
  return [
    item(
      S,
      "tini-static",
      tini?.static ? "ok" : "missing",
      false,
      tini
        ? `${tini.path}${
          tini.static ? "" : " is not statically linked"
        }: --init (mounted as /sbin/docker-init)`
        : "not found: no --init",
      "apt-get install tini",
    ),
    item(
      S,
      "busybox-static",
      busybox?.static ? "ok" : "missing",
      false,
      busybox
        ? `${busybox.path}${
          busybox.static ? "" : " is dynamically linked"
        }: the offline demo image (engine import)`
        : "not found: no offline demo image",
      "apt-get install busybox-static",
    ),
  ];
}

function groupItems(facts: HostFacts): CheckItem[] {
  const g = facts.dockerGroup;
  return [
    item(
      "Groups",
      "docker group",
      g.exists ? "ok" : "missing",
      false,
      g.exists
        ? `gid ${g.gid}${g.members.length ? `, members: ${g.members.join(", ")}` : ", no members"}`
        : "absent: only root can use the API socket",
      "groupadd docker (or scripts/install --with-docker-group)",
    ),
  ];
}

export function evaluate(facts: HostFacts): CheckItem[] {
  const v = parseKernelRelease(facts.kernelRelease);
  return [
    ...kernelItems(facts, v),
    ...namespaceItems(facts),
    ...filesystemItems(facts),
    ...cgroupItems(facts, v),
    ...securityItems(facts),
    ...mountItems(facts),
    ...networkItems(facts),
    ...storageItems(facts),
    ...initItems(facts),
    ...groupItems(facts),
    ...kernelConfigItems(facts, v),
  ];
}
