// Kernel build configuration (/proc/config.gz, /boot/config-<release>): parsing and the
// options moby's check-config.sh looks for, split into those we need and optional ones.

/** An option's value: "y" (built in), "m" (module), another value, or absent. */
export type KernelConfig = Map<string, string>;

/**
 * Parses a kernel .config. `CONFIG_X=y|m|"str"|123` sets X; `# CONFIG_X is not set` and
 * anything else (comments, blank lines) leave it absent. Names keep their CONFIG_ prefix.
 */
export function parseKernelConfig(text: string): KernelConfig {
  const config: KernelConfig = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    config.set(m[1], value);
  }
  return config;
}

/** "y", "m" or "n" (absent, "n", or not set) for a tristate option. */
export function tristate(config: KernelConfig, name: string): "y" | "m" | "n" {
  const v = config.get(name.startsWith("CONFIG_") ? name : `CONFIG_${name}`);
  return v === "y" || v === "m" ? v : "n";
}

export interface ConfigOption {
  /** Without the CONFIG_ prefix. */
  name: string;
  /** What the engine uses it for. */
  why: string;
  /** Any one of these satisfies the option (moby's `a|b` notation), `name` first. */
  alternatives?: string[];
}

/** Options the engine's required features rest on (check-config's "Generally Necessary"). */
export const NECESSARY_OPTIONS: ConfigOption[] = [
  { name: "NAMESPACES", why: "namespaces" },
  { name: "NET_NS", why: "network namespaces" },
  { name: "PID_NS", why: "pid namespaces" },
  { name: "IPC_NS", why: "ipc namespaces" },
  { name: "UTS_NS", why: "uts namespaces" },
  { name: "CGROUPS", why: "cgroups" },
  { name: "CGROUP_DEVICE", why: "device access control (devices cgroup)" },
  { name: "CGROUP_FREEZER", why: "pause/unpause, killing a container atomically" },
  { name: "CGROUP_PIDS", why: "--pids-limit" },
  { name: "CGROUP_CPUACCT", why: "cpu accounting (stats)" },
  { name: "CGROUP_SCHED", why: "--cpu-shares, --cpus" },
  { name: "CPUSETS", why: "--cpuset-cpus" },
  { name: "MEMCG", why: "--memory" },
  { name: "KEYS", why: "session keyrings" },
  { name: "OVERLAY_FS", why: "image snapshots (overlayfs)" },
  { name: "POSIX_MQUEUE", why: "/dev/mqueue in containers" },
  { name: "VETH", why: "bridge networking (veth pairs)" },
  { name: "BRIDGE", why: "bridge networking" },
  { name: "NF_NAT", why: "port publishing (NAT)" },
  { name: "IP_NF_TARGET_MASQUERADE", why: "outbound NAT for bridge networks" },
];

/** Options for optional features (check-config's "Optional Features"). */
export const OPTIONAL_OPTIONS: ConfigOption[] = [
  { name: "USER_NS", why: "user namespaces (userns-remap, rootless)" },
  { name: "SECCOMP", why: "seccomp profiles" },
  { name: "SECCOMP_FILTER", why: "seccomp BPF filters (the default profile)" },
  { name: "CGROUP_BPF", why: "devices control on cgroup v2 (eBPF)" },
  { name: "MEMCG_SWAP", why: "--memory-swap (folded into MEMCG since 6.1)" },
  { name: "BLK_CGROUP", why: "--blkio-weight, device I/O limits" },
  { name: "CGROUP_HUGETLB", why: "hugetlb limits" },
  { name: "CGROUP_PERF", why: "perf events per container" },
  { name: "CFS_BANDWIDTH", why: "--cpus, --cpu-quota" },
  { name: "BRIDGE_NETFILTER", why: "iptables on bridged traffic (inter-container rules)" },
  { name: "NETFILTER_XT_MATCH_ADDRTYPE", why: "port publishing rules (iptables)" },
  { name: "NETFILTER_XT_MATCH_CONNTRACK", why: "port publishing rules (iptables)" },
  {
    name: "IP_NF_FILTER",
    why: "iptables filter table",
    alternatives: ["IP_NF_FILTER", "NFT_COMPAT"],
  },
  { name: "NF_TABLES", why: "nftables firewall backend" },
];

export interface ConfigResult {
  option: ConfigOption;
  /** The alternative that satisfied it, with its value, or "n". */
  state: "y" | "m" | "n";
  satisfiedBy: string | null;
}

/**
 * Evaluates options against a config. MEMCG_SWAP counts as present when the kernel is
 * 6.1 or newer, where it was folded into MEMCG (pass `memcgSwapFolded`).
 */
export function evaluateOptions(
  config: KernelConfig,
  options: ConfigOption[],
  memcgSwapFolded = false,
): ConfigResult[] {
  return options.map((option) => {
    if (option.name === "MEMCG_SWAP" && memcgSwapFolded) {
      const memcg = tristate(config, "MEMCG");
      return { option, state: memcg, satisfiedBy: memcg === "n" ? null : "MEMCG" };
    }
    for (const alt of option.alternatives ?? [option.name]) {
      const state = tristate(config, alt);
      if (state !== "n") return { option, state, satisfiedBy: alt };
    }
    return { option, state: "n", satisfiedBy: null };
  });
}
