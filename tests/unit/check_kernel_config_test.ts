// Kernel config parsing and option evaluation on sample configs (a Debian-style
// /boot/config with modules, a minimal embedded one, a 6.x kernel without MEMCG_SWAP).
import assert from "node:assert/strict";
import {
  evaluateOptions,
  NECESSARY_OPTIONS,
  OPTIONAL_OPTIONS,
  parseKernelConfig,
  tristate,
} from "../../src/check/kernel_config.ts";
import { atLeast, formatVersion, parseKernelRelease } from "../../src/check/kernel_version.ts";

const DEBIAN = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 5.10.0 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc-10 (Debian 10.2.1-6) 10.2.1 20210110"
CONFIG_NAMESPACES=y
CONFIG_UTS_NS=y
CONFIG_IPC_NS=y
CONFIG_USER_NS=y
CONFIG_PID_NS=y
CONFIG_NET_NS=y
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_MEMCG_SWAP=y
CONFIG_CGROUP_PIDS=y
CONFIG_CGROUP_FREEZER=y
CONFIG_CGROUP_DEVICE=y
CONFIG_CGROUP_CPUACCT=y
CONFIG_CGROUP_SCHED=y
CONFIG_CPUSETS=y
CONFIG_KEYS=y
CONFIG_OVERLAY_FS=m
CONFIG_POSIX_MQUEUE=y
CONFIG_VETH=m
CONFIG_BRIDGE=m
CONFIG_NF_NAT=m
CONFIG_IP_NF_TARGET_MASQUERADE=m
CONFIG_SECCOMP=y
CONFIG_SECCOMP_FILTER=y
# CONFIG_CGROUP_HUGETLB is not set
CONFIG_NFT_COMPAT=m
CONFIG_NR_CPUS=512
`;

const EMBEDDED = `CONFIG_NAMESPACES=y
# CONFIG_NET_NS is not set
CONFIG_CGROUPS=y
CONFIG_SECCOMP=n
`;

Deno.test("parseKernelConfig: y, m, strings, numbers; 'is not set' and comments are absent", () => {
  const c = parseKernelConfig(DEBIAN);
  assert.equal(c.get("CONFIG_NAMESPACES"), "y");
  assert.equal(c.get("CONFIG_OVERLAY_FS"), "m");
  assert.equal(c.get("CONFIG_CC_VERSION_TEXT"), "gcc-10 (Debian 10.2.1-6) 10.2.1 20210110");
  assert.equal(c.get("CONFIG_NR_CPUS"), "512");
  assert.equal(c.has("CONFIG_CGROUP_HUGETLB"), false);
  assert.equal(tristate(c, "CGROUP_HUGETLB"), "n");
  assert.equal(tristate(c, "CONFIG_OVERLAY_FS"), "m");
  assert.equal(tristate(c, "NR_CPUS"), "n", "a number is not a tristate");
});

Deno.test("parseKernelConfig: CRLF line endings and =n", () => {
  const c = parseKernelConfig(EMBEDDED.replaceAll("\n", "\r\n"));
  assert.equal(tristate(c, "NAMESPACES"), "y");
  assert.equal(tristate(c, "NET_NS"), "n");
  assert.equal(tristate(c, "SECCOMP"), "n");
});

Deno.test("evaluateOptions: modules count, alternatives, missing ones named", () => {
  const c = parseKernelConfig(DEBIAN);
  const necessary = evaluateOptions(c, NECESSARY_OPTIONS);
  const overlay = necessary.find((r) => r.option.name === "OVERLAY_FS")!;
  assert.equal(overlay.state, "m");
  assert.deepEqual(necessary.filter((r) => r.state === "n").map((r) => r.option.name), []);
  const optional = evaluateOptions(c, OPTIONAL_OPTIONS);
  const filter = optional.find((r) => r.option.name === "IP_NF_FILTER")!;
  assert.equal(filter.satisfiedBy, "NFT_COMPAT");
  assert.ok(optional.some((r) => r.option.name === "CGROUP_HUGETLB" && r.state === "n"));
});

Deno.test("evaluateOptions: MEMCG_SWAP is folded into MEMCG on 6.1+", () => {
  const c = parseKernelConfig("CONFIG_MEMCG=y\n");
  const opt = OPTIONAL_OPTIONS.filter((o) => o.name === "MEMCG_SWAP");
  assert.equal(evaluateOptions(c, opt, false)[0].state, "n");
  const folded = evaluateOptions(c, opt, true)[0];
  assert.equal(folded.state, "y");
  assert.equal(folded.satisfiedBy, "MEMCG");
});

Deno.test("evaluateOptions: a minimal config misses most of what containers need", () => {
  const missing = evaluateOptions(parseKernelConfig(EMBEDDED), NECESSARY_OPTIONS)
    .filter((r) => r.state === "n").map((r) => r.option.name);
  assert.ok(missing.includes("NET_NS"));
  assert.ok(missing.includes("OVERLAY_FS"));
  assert.ok(!missing.includes("NAMESPACES"));
});

Deno.test("kernel releases parse and compare", () => {
  assert.deepEqual(parseKernelRelease("6.18.44-fc-v657"), [6, 18, 44]);
  assert.deepEqual(parseKernelRelease("5.10.0-28-amd64"), [5, 10, 0]);
  assert.deepEqual(parseKernelRelease("4.18-rc1"), [4, 18, 0]);
  assert.equal(parseKernelRelease("linux"), null);
  assert.ok(atLeast([5, 6, 0], [5, 6, 0]));
  assert.ok(atLeast([6, 0, 0], [5, 11, 0]));
  assert.ok(!atLeast([5, 4, 250], [5, 6, 0]));
  assert.equal(formatVersion([5, 6, 0]), "5.6");
  assert.equal(formatVersion([6, 18, 44]), "6.18.44");
});
