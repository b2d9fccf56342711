// cgroup layout detection from mountinfo samples: this host's v1 hybrid, pure v1
// (cpu,cpuacct joined), pure v2, none; and the controller verdicts for each.
import assert from "node:assert/strict";
import { describeCgroups, detectCgroups } from "../../src/check/cgroups.ts";
import { cgroupItems } from "../../src/check/check_cgroups.ts";
import type { HostFacts } from "../../src/check/facts.ts";
import { parseKernelConfig } from "../../src/check/kernel_config.ts";
import { mountOf, parseMountinfo } from "../../src/check/mountinfo.ts";

const HYBRID = `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const V1 = `25 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid shared:9 - cgroup cgroup rw,xattr,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/freezer rw,nosuid shared:11 - cgroup cgroup rw,freezer
31 25 0:28 / /sys/fs/cgroup/pids rw,nosuid shared:12 - cgroup cgroup rw,pids
`;

const V2 = `21 1 8:1 / / rw - ext4 /dev/sda1 rw
26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

function host(layout: ReturnType<typeof detectCgroups>, config?: string): HostFacts {
  return {
    cgroups: layout,
    kernelConfig: config === undefined
      ? null
      : { source: "/proc/config.gz", config: parseKernelConfig(config) },
  } as HostFacts;
}

function verdicts(facts: HostFacts, kernel: [number, number, number] = [6, 1, 0]) {
  return Object.fromEntries(cgroupItems(facts, kernel).map((i) => [i.name, i.status]));
}

Deno.test("mountinfo: optional fields, escapes, the mount holding a path", () => {
  const mounts = parseMountinfo(V1 + "40 21 0:50 / /mnt/with\\040space rw - tmpfs none rw\n");
  assert.equal(mounts.length, 6);
  assert.equal(mounts[1].fsType, "cgroup");
  assert.deepEqual(mounts[1].superOptions, ["rw", "xattr", "name=systemd"]);
  assert.equal(mounts[5].mountPoint, "/mnt/with space");
  const all = parseMountinfo(HYBRID);
  assert.equal(mountOf(all, "/var/lib/engine")?.fsType, "ext4");
  assert.equal(mountOf(all, "/sys/fs/cgroup/pids/x")?.mountPoint, "/sys/fs/cgroup/pids");
  assert.equal(mountOf(all, "/sys/fs/cgroupfoo")?.mountPoint, "/sys");
});

Deno.test("this host's layout: v1 hybrid, hugetlb only on the unified mount", () => {
  const layout = detectCgroups(parseMountinfo(HYBRID), (mp) => {
    assert.equal(mp, "/sys/fs/cgroup/unified");
    return "hugetlb\n";
  });
  assert.equal(layout.mode, "hybrid");
  assert.equal(layout.v1.freezer, "/sys/fs/cgroup/freezer");
  assert.deepEqual(layout.named, ["systemd"]);
  assert.deepEqual(layout.v2, { "/sys/fs/cgroup/unified": ["hugetlb"] });
  assert.match(describeCgroups(layout), /^cgroup v1 hybrid: v1 controllers blkio, cpu, cpuacct/);
  const v = verdicts(host(layout));
  assert.equal(v["cgroup layout"], "ok");
  for (const c of ["freezer", "devices", "pids", "memory", "cpu", "cpuset", "blkio"]) {
    assert.equal(v[c], "ok", c);
  }
  const hugetlb = cgroupItems(host(layout), [6, 18, 44]).find((i) => i.name === "hugetlb")!;
  assert.equal(hugetlb.status, "missing");
  assert.equal(hugetlb.required, false);
  assert.match(hugetlb.detail, /cgroup2 at \/sys\/fs\/cgroup\/unified only/);
});

Deno.test("pure v1 with cpu,cpuacct joined; missing devices is a required failure", () => {
  const layout = detectCgroups(parseMountinfo(V1), () => null);
  assert.equal(layout.mode, "v1");
  assert.equal(layout.v1.cpu, "/sys/fs/cgroup/cpu,cpuacct");
  assert.equal(layout.v1.cpuacct, "/sys/fs/cgroup/cpu,cpuacct");
  const items = cgroupItems(host(layout), [5, 10, 0]);
  const devices = items.find((i) => i.name === "devices")!;
  assert.equal(devices.status, "missing");
  assert.equal(devices.required, true);
  assert.match(devices.fix!, /mount -t cgroup -o devices cgroup \/sys\/fs\/cgroup\/devices/);
});

Deno.test("pure v2: controllers from cgroup.controllers, freezer by kernel, devices by BPF", () => {
  const layout = detectCgroups(
    parseMountinfo(V2),
    () => "cpuset cpu io memory hugetlb pids rdma misc\n",
  );
  assert.equal(layout.mode, "v2");
  assert.match(describeCgroups(layout), /^cgroup v2: cgroup2 at \/sys\/fs\/cgroup/);
  const v = verdicts(host(layout, "CONFIG_CGROUP_BPF=y\n"));
  for (const c of ["freezer", "devices", "pids", "cpuacct", "blkio", "memory", "hugetlb"]) {
    assert.equal(v[c], "ok", c);
  }
  assert.equal(verdicts(host(layout), [5, 1, 0]).freezer, "missing");
  assert.equal(verdicts(host(layout, "# CONFIG_CGROUP_BPF is not set\n")).devices, "missing");
  assert.equal(verdicts(host(layout)).devices, "ok", "assumed when the config is unreadable");
  const noPids = detectCgroups(parseMountinfo(V2), () => "cpu memory\n");
  assert.equal(verdicts(host(noPids)).pids, "missing");
});

Deno.test("no cgroup filesystem: the layout itself is a required failure", () => {
  const layout = detectCgroups(parseMountinfo("21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"), () => null);
  assert.equal(layout.mode, "none");
  const items = cgroupItems(host(layout), [6, 1, 0]);
  assert.equal(items.length, 1);
  assert.equal(items[0].status, "missing");
  assert.equal(items[0].required, true);
});
