// defaultSpec + a typical option set against a golden spec derived from moby 20.10:
// oci/defaults.go DefaultLinuxSpec (mounts, masked/readonly paths, namespaces, device
// rules), oci/caps/defaults.go DefaultCapabilities (inheritable empty since 20.10.14),
// daemon/oci_linux.go WithCommonOptions (cwd, env, hostname, network sysctls), WithCgroups
// (cgroupfs "/docker/<id>" → "/engine/<id>"), WithMounts (/dev/shm size=ShmSize bytes),
// WithOOMScore (0), container/container.go CreateDaemonEnvironment (PATH, HOSTNAME, TERM).

import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import {
  applyOpts,
  defaultSpec,
  generateSpec,
  type Spec,
  validateSpec,
  withAnnotations,
  withCPUs,
  withCpuShares,
  withDevices,
  withEnv,
  withImageConfig,
  withInit,
  withMemoryLimit,
  withMounts,
  withPidMode,
  withPidsLimit,
  withPrivileged,
  withProcessArgs,
  withReadonlyRootfs,
  withShmSize,
  withTTY,
  withUlimits,
  withWorkingDir,
} from "../../src/containerd/oci/mod.ts";

const ID = "3f4e2c1b0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f";
const CAPS = [
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

/** What dockerd 20.10 (cgroupfs driver, cgroup v1, bridge network) hands containerd for
 * `docker run -it -e FOO=bar -w /srv busybox sh`, with our cgroup parent. */
const GOLDEN: Spec = {
  ociVersion: "1.0.2",
  process: {
    terminal: true,
    user: { uid: 0, gid: 0, additionalGids: [0, 10] },
    args: ["sh"],
    env: [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOSTNAME=3f4e2c1b0a9d",
      "TERM=xterm",
      "FOO=bar",
    ],
    cwd: "/srv",
    capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
    noNewPrivileges: false,
    oomScoreAdj: 0,
  },
  root: { path: "rootfs", readonly: false },
  hostname: "3f4e2c1b0a9d",
  mounts: [
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
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"],
    },
  ],
  linux: {
    namespaces: [
      { type: "mount" },
      { type: "network" },
      { type: "uts" },
      { type: "pid" },
      { type: "ipc" },
    ],
    devices: [],
    resources: {
      devices: [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
        { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
        { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
        { allow: false, type: "c", major: 10, minor: 229, access: "rwm" },
      ],
    },
    cgroupsPath: `/engine/${ID}`,
    maskedPaths: [
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
    ],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    sysctl: {
      "net.ipv4.ping_group_range": "0 2147483647",
      "net.ipv4.ip_unprivileged_port_start": "0",
    },
  },
};

const BUSYBOX = {
  Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  Cmd: ["sh"],
};
const ROOTFS = (path: string) =>
  path === "/etc/passwd"
    ? "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    : path === "/etc/group"
    ? "root:x:0:\nwheel:x:10:root\n"
    : null;

Deno.test("defaultSpec + image config, tty, env, workdir matches dockerd 20.10's spec", async () => {
  const spec = await generateSpec(ID, [
    withImageConfig(BUSYBOX, { Env: ["FOO=bar"] }, ROOTFS),
    withTTY(),
    withWorkingDir("/srv"),
  ]);
  assertEquals(spec, GOLDEN);
  assertEquals(validateSpec(JSON.parse(JSON.stringify(spec))), GOLDEN);
});

Deno.test("defaultSpec: cgroup namespace private on v2, seccomp only when given", () => {
  const v2 = defaultSpec(ID, { cgroupVersion: 2, seccomp: { defaultAction: "SCMP_ACT_ERRNO" } });
  assertEquals(v2.linux!.namespaces!.at(-1), { type: "cgroup" });
  assertEquals(v2.linux!.seccomp, { defaultAction: "SCMP_ACT_ERRNO" });
  assertEquals(defaultSpec(ID).linux!.seccomp, undefined);
  assertEquals(defaultSpec(ID, { cgroupParent: "/custom" }).linux!.cgroupsPath, `/custom/${ID}`);
  const noPing = defaultSpec(ID, { sysctlExists: (k) => !k.includes("ping") });
  assertEquals(noPing.linux!.sysctl, { "net.ipv4.ip_unprivileged_port_start": "0" });
  throws(() => defaultSpec("a/b"), /container id/);
  throws(() => defaultSpec(ID, { cgroupParent: "/../x" }), /\.\./);
});

Deno.test("privileged: all caps, no masked/readonly paths, all devices, rw sysfs and cgroup", async () => {
  const spec = await applyOpts(
    defaultSpec(ID, { seccomp: {} }),
    withPrivileged({ capLastCap: 40 }),
  );
  assertEquals(spec.process!.capabilities!.bounding!.length, 41);
  assertEquals(spec.process!.capabilities!.inheritable, undefined);
  assertEquals(spec.linux!.maskedPaths, []);
  assertEquals(spec.linux!.readonlyPaths, []);
  assertEquals(spec.linux!.resources!.devices, [{ allow: true, access: "rwm" }]);
  assertEquals(spec.linux!.seccomp, undefined);
  const opts = (d: string) => spec.mounts!.find((m) => m.destination === d)!.options;
  assertEquals(opts("/sys"), ["nosuid", "noexec", "nodev"]);
  assertEquals(opts("/sys/fs/cgroup"), ["nosuid", "noexec", "nodev"]);
  const older = await applyOpts(defaultSpec(ID), withPrivileged({ capLastCap: 37 }));
  assertEquals(older.process!.capabilities!.effective!.at(-1), "CAP_AUDIT_READ");
});

Deno.test("read-only rootfs: root.readonly, user mounts keep their mode", async () => {
  const spec = await applyOpts(
    defaultSpec(ID),
    withMounts([{ source: "/srv/data", destination: "/data" }]),
    withReadonlyRootfs(),
  );
  assertEquals(spec.root, { path: "rootfs", readonly: true });
  assertEquals(spec.mounts!.find((m) => m.destination === "/data")!.options, ["rbind", "rprivate"]);
  assertEquals(spec.mounts!.find((m) => m.destination === "/dev")!.options!.includes("ro"), false);
});

Deno.test("mounts: binds rbind+rprivate(+ro), tmpfs defaults, overrides, depth order", async () => {
  const spec = await applyOpts(
    defaultSpec(ID),
    withMounts([
      { source: "/host/a/b", destination: "/a/b/", options: ["ro"] },
      { source: "/host/a", destination: "/a", propagation: "rslave" },
      { type: "tmpfs", destination: "/run", size: 64 * 1024 * 1024, mode: 0o755 },
      { type: "tmpfs", destination: "/dev/shm", options: ["exec", "size=1g"] },
      { source: "/x", destination: "/nr", nonRecursive: true },
    ]),
  );
  const user = spec.mounts!.slice(6);
  assertEquals(user, [
    { destination: "/a", type: "bind", source: "/host/a", options: ["rbind", "rslave"] },
    {
      destination: "/run",
      type: "tmpfs",
      source: "tmpfs",
      options: ["noexec", "nosuid", "nodev", "rprivate", "mode=755", "size=64m"],
    },
    { destination: "/nr", type: "bind", source: "/x", options: ["bind", "rprivate"] },
    {
      destination: "/a/b",
      type: "bind",
      source: "/host/a/b",
      options: ["rbind", "ro", "rprivate"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "nodev", "rprivate", "exec", "size=1g"],
    },
  ]);
  assertEquals(spec.mounts!.filter((m) => m.destination === "/dev/shm").length, 1);
  assertEquals(spec.linux!.rootfsPropagation, "rslave");

  const dev = await applyOpts(defaultSpec(ID), withMounts([{ source: "/d", destination: "/dev" }]));
  assertEquals(dev.mounts!.map((m) => m.destination), ["/proc", "/sys", "/sys/fs/cgroup", "/dev"]);

  await rejects(applyOpts(defaultSpec(ID), withMounts([{ source: "rel", destination: "/x" }])));
  await rejects(
    applyOpts(defaultSpec(ID), withMounts([{ source: "/x", destination: "/" }])),
    /can't be '\/'/,
  );
  await rejects(
    applyOpts(
      defaultSpec(ID),
      withMounts([{ source: "/x", destination: "/y" }, { source: "/z", destination: "/y/" }]),
    ),
    /Duplicate mount point: \/y/,
  );
  await rejects(
    applyOpts(
      defaultSpec(ID),
      withMounts([{ type: "tmpfs", destination: "/t", options: ["foo=1"] }]),
    ),
    /invalid tmpfs option/,
  );
});

Deno.test("shm size, memory, cpus, shares, pids, ulimits, annotations", async () => {
  const spec = await applyOpts(
    defaultSpec(ID),
    withShmSize(128 * 1024 * 1024),
    withMemoryLimit(512 * 1024 * 1024),
    withCPUs(1.5),
    withCpuShares(512),
    withPidsLimit(100),
    withUlimits([{ name: "nofile", soft: 1024, hard: 2048 }, { name: "NPROC", soft: 5, hard: 5 }]),
    withAnnotations({ "com.example": "x" }),
    withProcessArgs("sh"),
  );
  assertEquals(spec.mounts!.at(-1)!.options!.at(-1), "size=134217728");
  assertEquals(spec.linux!.resources!.memory, { limit: 536870912, swap: 1073741824 });
  assertEquals(spec.linux!.resources!.cpu, { quota: 150000, period: 100000, shares: 512 });
  assertEquals(spec.linux!.resources!.pids, { limit: 100 });
  assertEquals(spec.process!.rlimits, [
    { type: "RLIMIT_NOFILE", soft: 1024, hard: 2048 },
    { type: "RLIMIT_NPROC", soft: 5, hard: 5 },
  ]);
  assertEquals(spec.annotations, { "com.example": "x" });
  validateSpec(spec);

  const unlimited = await applyOpts(
    defaultSpec(ID),
    withMemoryLimit(8 << 20, -1),
    withPidsLimit(0),
  );
  assertEquals(unlimited.linux!.resources!.memory, { limit: 8 << 20, swap: -1 });
  assertEquals(unlimited.linux!.resources!.pids, { limit: -1 });
  await rejects(applyOpts(defaultSpec(ID), withMemoryLimit(1024)), /6MB/);
  await rejects(applyOpts(defaultSpec(ID), withMemoryLimit(8 << 20, 4 << 20)), /memoryswap/);
  await rejects(applyOpts(defaultSpec(ID), withCPUs(0.001)), /range of CPUs/);
  await rejects(applyOpts(defaultSpec(ID), withCPUs(9, 8)), /range of CPUs/);
  await rejects(
    applyOpts(defaultSpec(ID), withUlimits([{ name: "nofile", soft: 10, hard: 5 }])),
    /soft limit/,
  );
  await rejects(applyOpts(defaultSpec(ID), withUlimits([{ name: "bogus", soft: 1, hard: 1 }])));
  await rejects(applyOpts(defaultSpec(ID), withShmSize(-1)), /less than 0/);
});

Deno.test("devices: parse --device, stat the host node, add node and cgroup rule", async () => {
  const stat = (path: string) =>
    path === "/dev/fuse"
      ? Promise.resolve({
        kind: "char" as const,
        major: 10,
        minor: 229,
        mode: 0o666,
        uid: 0,
        gid: 0,
      })
      : path === "/dev/sda"
      ? Promise.resolve({ kind: "block" as const, major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 })
      : path === "/dev/input"
      ? Promise.resolve({
        kind: "directory" as const,
        major: 0,
        minor: 0,
        mode: 0o755,
        uid: 0,
        gid: 0,
      })
      : path === "/dev/input/event0"
      ? Promise.resolve({
        kind: "char" as const,
        major: 13,
        minor: 64,
        mode: 0o660,
        uid: 0,
        gid: 0,
      })
      : path === "/etc/passwd"
      ? Promise.resolve({ kind: "other" as const, major: 0, minor: 0, mode: 0o644, uid: 0, gid: 0 })
      : Promise.reject(new Error("no such file or directory"));
  const spec = await applyOpts(
    defaultSpec(ID),
    withDevices(["/dev/fuse", "/dev/sda:/dev/xvda:r"], stat),
  );
  assertEquals(spec.linux!.devices, [
    { type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
    { type: "b", path: "/dev/xvda", major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
  ]);
  assertEquals(spec.linux!.resources!.devices!.slice(-2), [
    { allow: true, type: "c", major: 10, minor: 229, access: "rwm" },
    { allow: true, type: "b", major: 8, minor: 0, access: "r" },
  ]);
  await rejects(applyOpts(defaultSpec(ID), withDevices(["/dev/nope"], stat)), /gathering device/);
  // A directory: the device nodes under it (others skipped), under the container path.
  const list = () => Promise.resolve(["/dev/input/event0", "/dev/input/gone"]);
  const dir = await applyOpts(defaultSpec(ID), withDevices(["/dev/input:/dev/in"], stat, list));
  assertEquals(dir.linux!.devices, [
    { type: "c", path: "/dev/in/event0", major: 13, minor: 64, fileMode: 0o660, uid: 0, gid: 0 },
  ]);
  await rejects(applyOpts(defaultSpec(ID), withDevices(["/etc/passwd"], stat)), /not a device/);
  await rejects(applyOpts(defaultSpec(ID), withDevices(["/dev/fuse:/x:rwx"], stat)), /device mode/);
  await rejects(applyOpts(defaultSpec(ID), withDevices(["a:b:c:d"], stat)), /specification/);
});

Deno.test("init: tini bound read-only at /sbin/docker-init, prepended with --", async () => {
  const exists = (p: string) => Promise.resolve(p === "/usr/bin/tini-static");
  const spec = await generateSpec(ID, [withImageConfig(BUSYBOX), withInit(undefined, exists)]);
  assertEquals(spec.process!.args, ["/sbin/docker-init", "--", "sh"]);
  assertEquals(spec.mounts!.at(-1), {
    destination: "/sbin/docker-init",
    type: "bind",
    source: "/usr/bin/tini-static",
    options: ["bind", "ro"],
  });
  await rejects(
    generateSpec(ID, [withImageConfig(BUSYBOX), withInit("/nope/tini", exists)]),
    /\/nope\/tini not found/,
  );
  const hostPid = await generateSpec(ID, [
    withImageConfig(BUSYBOX),
    withPidMode("host"),
    withInit(undefined, exists),
  ]);
  assertEquals(hostPid.process!.args, ["sh"]);
});

Deno.test("validateSpec: names the field, enforces bounds", async () => {
  const good = await generateSpec(ID, [withImageConfig(BUSYBOX)]);
  const bad = (edit: (s: Spec) => void) => {
    const s = structuredClone(good);
    edit(s);
    return () => validateSpec(s);
  };
  throws(bad((s) => (s.process!.args = [])), /process\.args: must not be empty/);
  throws(bad((s) => (s.process!.cwd = "srv")), /process\.cwd: must be an absolute path/);
  throws(bad((s) => (s.process!.user.uid = 2 ** 32)), /process\.user\.uid/);
  throws(bad((s) => (s.process!.env = ["NOEQUALS"])), /process\.env\[0\]: must be KEY=VALUE/);
  throws(bad((s) => (s.process!.env = Array(5000).fill("A=b"))), /process\.env/);
  throws(bad((s) => (s.process!.args = ["x".repeat(200_000)])), /process\.args\[0\]/);
  throws(
    bad((s) => (s.process!.capabilities!.bounding = ["CAP_FOO"])),
    /capabilities\.bounding\[0\]/,
  );
  throws(
    bad((s) => (s.mounts = Array(600).fill({ destination: "/x" }))),
    /mounts: .*512/,
  );
  throws(bad((s) => (s.mounts![0].destination = "proc")), /mounts\[0\]\.destination/);
  throws(bad((s) => s.linux!.namespaces!.push({ type: "pid" })), /linux\.namespaces/);
  throws(bad((s) => ((s as unknown as Record<string, unknown>).extra = 1)), /extra|Unrecognized/);
  throws(
    bad((s) => (s.linux!.sysctl = { "kernel.hostname": "x" })),
    /linux\.sysctl: .*not allowed/,
  );
  throws(
    bad((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "network");
    }),
    /host's network namespace/,
  );
  throws(bad((s) => (s.linux!.cgroupsPath = "/engine/../x")), /linux\.cgroupsPath/);
  throws(() => validateSpec(null), /invalid spec/);
  throws(() => validateSpec({ ...good, process: undefined }), /process/);
});

Deno.test("env and workdir options", async () => {
  const spec = await applyOpts(
    defaultSpec(ID),
    withEnv(["PATH=/bin", "A=1", "HOSTNAME"]),
    withEnv(["A=2"]),
  );
  assertEquals(spec.process!.env, ["PATH=/bin", "A=2"]);
  await rejects(applyOpts(defaultSpec(ID), withEnv(["=x"])), /empty variable name/);
  await rejects(
    applyOpts(defaultSpec(ID), withWorkingDir("srv")),
    /the working directory 'srv' is invalid, it needs to be an absolute path/,
  );
  const clean = await applyOpts(defaultSpec(ID), withWorkingDir("/a/./b/../c/"));
  assertEquals(clean.process!.cwd, "/a/c");
});
