// Verdicts on the cgroup layout: the layout itself and each controller the engine uses.
// Required: freezer, devices and pids (v1 hierarchies, or their v2 equivalents).
import { type CgroupLayout, describeCgroups, unifiedMount } from "./cgroups.ts";
import type { HostFacts } from "./facts.ts";
import { type CheckItem, item } from "./item.ts";
import { tristate } from "./kernel_config.ts";
import { atLeast, CGROUP2_FREEZE_SINCE, type KernelVersion } from "./kernel_version.ts";

const S = "Cgroups";

interface Controller {
  name: string;
  required: boolean;
  why: string;
  /** Its name on cgroup v2 when it differs (blkio → io); null: not a v2 controller. */
  v2?: string | null;
  config: string;
}

export const CONTROLLERS: Controller[] = [
  {
    name: "freezer",
    required: true,
    why: "pause/unpause, atomic kill",
    v2: null,
    config: "CGROUP_FREEZER",
  },
  {
    name: "devices",
    required: true,
    why: "device access control",
    v2: null,
    config: "CGROUP_DEVICE",
  },
  {
    name: "pids",
    required: true,
    why: "--pids-limit, fork-bomb containment",
    config: "CGROUP_PIDS",
  },
  { name: "memory", required: false, why: "--memory, OOM accounting", config: "MEMCG" },
  { name: "cpu", required: false, why: "--cpu-shares, --cpus", config: "CGROUP_SCHED" },
  { name: "cpuacct", required: false, why: "cpu usage stats", v2: "cpu", config: "CGROUP_CPUACCT" },
  { name: "cpuset", required: false, why: "--cpuset-cpus, --cpuset-mems", config: "CPUSETS" },
  {
    name: "blkio",
    required: false,
    why: "--blkio-weight, device I/O limits",
    v2: "io",
    config: "BLK_CGROUP",
  },
  { name: "hugetlb", required: false, why: "hugetlb limits", config: "CGROUP_HUGETLB" },
];

function v1Mount(c: Controller): string {
  return `mkdir -p /sys/fs/cgroup/${c.name} && ` +
    `mount -t cgroup -o ${c.name} cgroup /sys/fs/cgroup/${c.name}`;
}

function onV2Only(layout: CgroupLayout, name: string): string | null {
  for (const [mp, cs] of Object.entries(layout.v2)) if (cs.includes(name)) return mp;
  return null;
}

function v1Controller(layout: CgroupLayout, c: Controller): CheckItem {
  const mp = layout.v1[c.name];
  if (mp) return item(S, c.name, "ok", c.required, `v1 hierarchy at ${mp}: ${c.why}`);
  const v2 = onV2Only(layout, c.v2 ?? c.name);
  const detail = v2
    ? `attached to cgroup2 at ${v2} only, out of reach of the v1 manager: no ${c.why}`
    : `not mounted: no ${c.why}`;
  const fix = v2
    ? `${v1Mount(c)} (possible while no cgroup2 group enables it), or move the host to cgroup v2`
    : `${v1Mount(c)} (kernel: CONFIG_${c.config})`;
  return item(S, c.name, "missing", c.required, detail, fix);
}

function v2Controller(
  layout: CgroupLayout,
  c: Controller,
  facts: HostFacts,
  kernel: KernelVersion | null,
): CheckItem {
  const mp = unifiedMount(layout) ?? "/sys/fs/cgroup";
  if (c.name === "freezer") {
    const ok = kernel !== null && atLeast(kernel, CGROUP2_FREEZE_SINCE);
    return item(
      S,
      c.name,
      ok ? "ok" : "missing",
      c.required,
      ok ? `cgroup.freeze (kernel ≥ 5.2): ${c.why}` : `cgroup.freeze needs kernel 5.2: no ${c.why}`,
      "upgrade the kernel to 5.2 or newer",
    );
  }
  if (c.name === "devices") {
    const cfg = facts.kernelConfig ? tristate(facts.kernelConfig.config, "CGROUP_BPF") : null;
    if (cfg === "n") {
      return item(
        S,
        c.name,
        "missing",
        c.required,
        "cgroup v2 controls devices with eBPF: kernel built without CONFIG_CGROUP_BPF",
        "use a kernel with CONFIG_CGROUP_BPF=y",
      );
    }
    return item(
      S,
      c.name,
      "ok",
      c.required,
      cfg
        ? "eBPF device filter (CONFIG_CGROUP_BPF)"
        : "eBPF device filter (assumed: kernel config unreadable)",
    );
  }
  const name = c.v2 ?? c.name;
  if ((layout.v2[mp] ?? []).includes(name)) {
    return item(S, c.name, "ok", c.required, `${name} in ${mp}/cgroup.controllers: ${c.why}`);
  }
  return item(
    S,
    c.name,
    "missing",
    c.required,
    `${name} not in ${mp}/cgroup.controllers: no ${c.why}`,
    `kernel: CONFIG_${c.config}; a controller held by a v1 hierarchy must be unmounted there first`,
  );
}

export function cgroupItems(facts: HostFacts, kernel: KernelVersion | null): CheckItem[] {
  const layout = facts.cgroups;
  if (layout.mode === "none") {
    return [
      item(
        S,
        "cgroup layout",
        "missing",
        true,
        describeCgroups(layout),
        "mount cgroup v2: mount -t cgroup2 cgroup2 /sys/fs/cgroup (or the v1 controllers)",
      ),
    ];
  }
  const items = [item(S, "cgroup layout", "ok", true, describeCgroups(layout))];
  for (const c of CONTROLLERS) {
    items.push(
      layout.mode === "v2" ? v2Controller(layout, c, facts, kernel) : v1Controller(layout, c),
    );
  }
  return items;
}
