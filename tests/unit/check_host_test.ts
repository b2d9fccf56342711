// Whole-host verdicts on made-up hosts: what is required, what only warns, probes vs.
// kernel version; plus the small parsers (ELF static check, df, /etc/group).
import assert from "node:assert/strict";
import { detectCgroups } from "../../src/check/cgroups.ts";
import { evaluate } from "../../src/check/checks.ts";
import { isStaticElf } from "../../src/check/elf.ts";
import type { HostFacts } from "../../src/check/facts.ts";
import { parseDfAvailable, parseGroup } from "../../src/check/gather.ts";
import { failures } from "../../src/check/item.ts";
import { parseKernelConfig } from "../../src/check/kernel_config.ts";
import { parseMountinfo } from "../../src/check/mountinfo.ts";
import { formatJson, formatText } from "../../src/check/report.ts";

const MOUNTS = parseMountinfo(`1 0 8:1 / / rw - ext4 /dev/sda1 rw
2 1 0:2 / /proc rw - proc proc rw
3 1 0:3 / /sys rw - sysfs sysfs rw
4 3 0:4 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
`);

function goodHost(): HostFacts {
  return {
    kernelRelease: "6.1.0-18-amd64",
    kernelConfig: {
      source: "/boot/config-6.1.0-18-amd64",
      config: parseKernelConfig("CONFIG_CGROUP_BPF=y\n"),
    },
    kernelConfigPaths: ["/proc/config.gz", "/boot/config-6.1.0-18-amd64"],
    namespaces: ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"],
    maxUserNamespaces: 63000,
    filesystems: ["sysfs", "proc", "ext4", "overlay", "cgroup2"],
    overlayModule: false,
    mounts: MOUNTS,
    cgroups: detectCgroups(MOUNTS, () => "cpuset cpu io memory pids"),
    seccompMode: "0",
    syscalls: { openat2: "ok", pidfd_open: "ok" },
    binaries: {
      iptables: { path: "/usr/sbin/iptables", static: false },
      ip6tables: null,
      nft: null,
      busybox: { path: "/bin/busybox", static: true },
      "/usr/bin/tini-static": { path: "/usr/bin/tini-static", static: true },
    },
    dataRoot: {
      path: "/var/lib/engine",
      measured: "/var/lib",
      freeBytes: 50 * 1024 ** 3,
      fsType: "ext4",
    },
    dockerGroup: { exists: false, gid: null, members: [] },
  };
}

function statusOf(facts: HostFacts, section: string, name: string) {
  return evaluate(facts).find((i) => i.section === section && i.name === name);
}

Deno.test("a good v2 host passes; optional gaps (nft, group, kernel config) only warn", () => {
  const items = evaluate(goodHost());
  assert.deepEqual(failures(items), []);
  assert.equal(statusOf(goodHost(), "Groups", "docker group")?.status, "missing");
  assert.equal(statusOf(goodHost(), "Network", "nft")?.status, "missing");
  assert.equal(statusOf(goodHost(), "Kernel config", "CONFIG_VETH")?.required, false);
  const text = formatText("header", items, false);
  assert.match(text, /^ok: every required feature is present/m);
  assert.match(text, /fix: groupadd docker/);
  assert.equal(
    JSON.parse(formatJson({
      kernel: "6.1.0",
      kernelConfig: null,
      cgroup: goodHost().cgroups,
      dataRoot: "/var/lib/engine",
      items,
    })).ok,
    true,
  );
});

Deno.test("each required feature, when missing, fails the check", () => {
  const cases: [string, (h: HostFacts) => void][] = [
    ["Namespaces pid", (h) => h.namespaces = h.namespaces!.filter((n) => n !== "pid")],
    ["Namespaces mnt", (h) => h.namespaces = null],
    ["Filesystems overlay", (h) => h.filesystems = ["ext4"]],
    ["Kernel openat2", (h) => h.syscalls.openat2 = "ENOSYS"],
    ["Kernel pidfd_open", (h) => h.syscalls.pidfd_open = "EPERM"],
    ["Cgroups pids", (h) => h.cgroups = detectCgroups(MOUNTS, () => "cpu memory")],
  ];
  for (const [what, breakIt] of cases) {
    const h = goodHost();
    breakIt(h);
    const failed = failures(evaluate(h)).map((i) => `${i.section} ${i.name}`);
    assert.ok(failed.includes(what), `${what}: ${failed}`);
    assert.match(formatText("h", evaluate(h), false), /^FAIL: /m);
  }
});

Deno.test("optional features never fail the check", () => {
  const h = goodHost();
  h.namespaces = ["ipc", "mnt", "net", "pid", "uts"];
  h.seccompMode = null;
  h.kernelConfig = null;
  h.binaries = { iptables: null, ip6tables: null, nft: null, busybox: null };
  h.dataRoot.freeBytes = 1024;
  h.dataRoot.fsType = "overlay";
  h.mounts = [];
  h.kernelRelease = "5.6.0";
  const items = evaluate(h);
  assert.deepEqual(failures(items), []);
  assert.equal(items.find((i) => i.name === "close_range")?.status, "missing");
  assert.equal(items.find((i) => i.name === "kernel config")?.status, "unknown");
  assert.equal(items.find((i) => i.name === "free space")?.status, "missing");
  assert.equal(items.find((i) => i.name === "data root filesystem")?.status, "missing");
});

Deno.test("without probes the kernel version decides; old kernels miss openat2", () => {
  const h = goodHost();
  h.syscalls = { openat2: null, pidfd_open: null };
  h.kernelRelease = "5.4.0-150-generic";
  const failed = failures(evaluate(h)).map((i) => i.name);
  assert.deepEqual(failed, ["openat2"]);
  h.filesystems = ["ext4"];
  h.overlayModule = true;
  assert.equal(statusOf(h, "Filesystems", "overlay")?.status, "ok", "module loads on mount");
});

Deno.test("isStaticElf: reads PT_INTERP from program headers", () => {
  // A minimal 64-bit little-endian ELF header with two program headers.
  const bytes = new Uint8Array(64 + 2 * 56);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setBigUint64(32, 64n, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, 2, true);
  v.setUint32(64, 1, true); // PT_LOAD
  v.setUint32(64 + 56, 1, true);
  assert.equal(isStaticElf(bytes), true);
  v.setUint32(64 + 56, 3, true); // PT_INTERP
  assert.equal(isStaticElf(bytes), false);
  assert.equal(
    isStaticElf(new TextEncoder().encode("#!/bin/sh\necho hello world, not an elf\n")),
    null,
  );
  assert.equal(isStaticElf(bytes.subarray(0, 100)), null, "truncated program headers");
});

Deno.test("isStaticElf on this host's binaries", () => {
  const read = (p: string) => {
    try {
      return Deno.readFileSync(p).subarray(0, 65536);
    } catch {
      return null;
    }
  };
  const sh = read("/bin/sh");
  if (sh) assert.equal(isStaticElf(sh), false);
  const tini = read("/usr/bin/tini-static");
  if (tini) assert.equal(isStaticElf(tini), true);
});

Deno.test("df -P output and /etc/group parsing", () => {
  assert.equal(
    parseDfAvailable(
      "Filesystem       1-blocks        Used    Available Capacity Mounted on\n" +
        "/dev/vda     270475862016 24000000000 85000000000      22% /\n",
    ),
    85000000000,
  );
  assert.equal(parseDfAvailable("garbage"), null);
  const group = "root:x:0:\ndocker:x:106:alice,bob\nusers:x:100:\n";
  assert.deepEqual(parseGroup(group, "docker"), {
    exists: true,
    gid: 106,
    members: ["alice", "bob"],
  });
  assert.deepEqual(parseGroup("root:x:0:\n", "docker"), { exists: false, gid: null, members: [] });
});
