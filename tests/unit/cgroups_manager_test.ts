import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { FakeCgroupFs } from "../../src/runc/cgroups/fake_fs.ts";
import { parseMountinfo, resolveCgroupsPath } from "../../src/runc/cgroups/layout.ts";
import { openCgroupManager } from "../../src/runc/cgroups/manager.ts";
import { deviceWrites } from "../../src/runc/cgroups/devices.ts";

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2 = `25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate
`;

Deno.test("mountinfo: hybrid v1 with co-mounted cpu,cpuacct and a controller-less unified", () => {
  const l = parseMountinfo(HYBRID);
  assertEquals(l.mode, "v1");
  assertEquals(l.v1.map((h) => h.controllers.join(",")), [
    "cpu,cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "pids",
    "name=systemd",
  ]);
  assertEquals(l.unified, { mountpoint: "/sys/fs/cgroup/unified", root: "/" });
  assertEquals(parseMountinfo(V2).mode, "v2");
});

Deno.test("cgroupsPath: absolute, relative, empty and systemd slice:prefix:name", () => {
  assertEquals(
    resolveCgroupsPath("system.slice:docker:abc", "x"),
    "/system.slice/docker-abc.scope",
  );
  assertEquals(resolveCgroupsPath("a-b.slice:p:n", "x"), "/a.slice/a-b.slice/p-n.scope");
  assertEquals(resolveCgroupsPath(":runc:n", "x"), "/system.slice/runc-n.scope");
  assertEquals(resolveCgroupsPath("-.slice:p:n.slice", "x"), "/n.slice");
  assertEquals(resolveCgroupsPath("/docker/../abc/", "x"), "/abc");
  assertEquals(resolveCgroupsPath("foo/bar", "x"), "foo/bar");
  assertEquals(resolveCgroupsPath(undefined, "cid"), "cid");
});

Deno.test("v1 paths: one per controller, relative paths below our own cgroup", async () => {
  const fs = new FakeCgroupFs();
  const m = await openCgroupManager({
    id: "c1",
    cgroupsPath: "ctr",
    fs,
    mountinfo: HYBRID,
    procCgroup: "5:memory:/outer\n0::/\n",
  });
  const p = m.paths();
  assertEquals(p.cpu, "/sys/fs/cgroup/cpu,cpuacct/ctr");
  assertEquals(p.cpuacct, "/sys/fs/cgroup/cpu,cpuacct/ctr");
  assertEquals(p.memory, "/sys/fs/cgroup/memory/outer/ctr");
  assertEquals(p.systemd, "/sys/fs/cgroup/systemd/ctr");
  assertEquals(p[""], "/sys/fs/cgroup/unified/ctr");
  assertEquals(Object.keys(p).length, 9);
});

Deno.test("v1 devices: `a` to devices.deny, then the allowed rules in order", async () => {
  const fs = new FakeCgroupFs();
  for (const c of ["devices", "pids", "memory"]) fs.seedDir(`/sys/fs/cgroup/${c}/c1`);
  fs.seed("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes", "9223372036854771712");
  fs.seed("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.shares", "2");
  const m = await openCgroupManager({ id: "c1", fs, mountinfo: HYBRID, procCgroup: "" });
  const ignored = await m.setResources({
    devices: [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      { allow: true, type: "c", major: 136, minor: null, access: "rwm" },
      { allow: true, type: "b", major: null, minor: null, access: "m" },
    ],
    pids: { limit: 100 },
    memory: { limit: 1 << 20, swap: 5 },
    cpu: { shares: 2 },
  });
  assertEquals(fs.writes(), [
    "/sys/fs/cgroup/devices/c1/devices.deny=a",
    "/sys/fs/cgroup/devices/c1/devices.allow=c 1:3 rwm",
    "/sys/fs/cgroup/devices/c1/devices.allow=c 136:* rwm",
    "/sys/fs/cgroup/devices/c1/devices.allow=b *:* m",
    "/sys/fs/cgroup/memory/c1/memory.limit_in_bytes=1048576",
    "/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes=5",
    "/sys/fs/cgroup/cpu,cpuacct/c1/cpu.shares=2",
    "/sys/fs/cgroup/pids/c1/pids.max=100",
  ]);
  assertEquals(ignored, []);
});

Deno.test("device rules fold like runc's emulator", () => {
  const w = deviceWrites([
    { allow: true, type: "c", major: 1, minor: 3 },
    { allow: false }, // resets: everything before is forgotten
    { allow: true, type: "c", major: 5, minor: 0, access: "rw" },
    { allow: true, type: "c", major: 1, minor: 5 },
    { allow: false, type: "c", major: 1, minor: 5 }, // takes the exception back
  ]);
  assertEquals(w, { defaultAllow: false, exceptions: ["c 5:0 rw"] });
  assertEquals(deviceWrites([{ allow: true }, { allow: false, type: "b", major: 8, minor: 0 }]), {
    defaultAllow: true,
    exceptions: ["b 8:0 rwm"],
  });
  // access is added to and taken from one device's exception, as runc's emulator does
  assertEquals(
    deviceWrites([
      { allow: false },
      { allow: true, type: "c", major: 1, minor: 3, access: "r" },
      { allow: true, type: "c", major: 1, minor: 3, access: "mw" },
      { allow: false, type: "c", major: 1, minor: 3, access: "w" },
      { allow: true, type: "c", major: 1, minor: 5, access: "r" },
      { allow: false, type: "c", major: 1, minor: 5, access: "r" },
    ]),
    { defaultAllow: false, exceptions: ["c 1:3 rm"] },
  );
  // no hole punched in a wildcard exception that would keep the access
  throws(
    () =>
      deviceWrites([
        { allow: false },
        { allow: true, type: "c", major: null, minor: null, access: "rwm" },
        { allow: false, type: "c", major: 1, minor: 3, access: "w" },
      ]),
    /cannot punch holes/,
  );
});

Deno.test("v1 create copies cpuset cpus/mems down; freeze waits for FROZEN", async () => {
  const fs = new FakeCgroupFs()
    .seed("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n")
    .seed("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n")
    .seed("/sys/fs/cgroup/cpuset/a/cpuset.cpus", "")
    .seed("/sys/fs/cgroup/cpuset/a/cpuset.mems", "")
    .seed("/sys/fs/cgroup/cpuset/a/b/cpuset.cpus", "")
    .seed("/sys/fs/cgroup/cpuset/a/b/cpuset.mems", "");
  let polls = 0;
  fs.onWrite = (path, data, f) => {
    if (path.endsWith("freezer.state")) f.files.set(path, data === "FROZEN" ? "FREEZING" : data);
  };
  const m = await openCgroupManager({
    id: "x",
    cgroupsPath: "/a/b",
    fs,
    mountinfo: HYBRID,
    procCgroup: "",
  });
  await m.create();
  assertEquals(fs.writes(), [
    "/sys/fs/cgroup/cpuset/a/cpuset.cpus=0-3",
    "/sys/fs/cgroup/cpuset/a/cpuset.mems=0",
    "/sys/fs/cgroup/cpuset/a/b/cpuset.cpus=0-3",
    "/sys/fs/cgroup/cpuset/a/b/cpuset.mems=0",
  ]);
  const orig = fs.readFile.bind(fs);
  fs.readFile = (path) => {
    if (path.endsWith("freezer.state") && ++polls === 3) fs.files.set(path, "FROZEN");
    return orig(path);
  };
  await m.freeze();
  assertEquals(await m.state(), "frozen");
  await m.thaw();
  assertEquals(await m.state(), "thawed");
});

Deno.test("v2 create enables controllers in every ancestor, then freeze/procs/destroy", async () => {
  const fs = new FakeCgroupFs().seed("/sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
  fs.onWrite = (path, data, f) => {
    if (path.endsWith("/cgroup.freeze")) {
      f.files.set(path.replace("cgroup.freeze", "cgroup.events"), `populated 1\nfrozen ${data}\n`);
    }
  };
  const m = await openCgroupManager({
    id: "c",
    cgroupsPath: "system.slice:engine:c",
    fs,
    mountinfo: V2,
    procCgroup: "0::/\n",
  });
  assertEquals(m.paths(), { "": "/sys/fs/cgroup/system.slice/engine-c.scope" });
  await m.create();
  assertEquals(fs.ops, [
    { op: "write", path: "/sys/fs/cgroup/cgroup.subtree_control", data: "+cpu +memory +pids" },
    { op: "mkdir", path: "/sys/fs/cgroup/system.slice" },
    {
      op: "write",
      path: "/sys/fs/cgroup/system.slice/cgroup.subtree_control",
      data: "+cpu +memory +pids",
    },
    { op: "mkdir", path: "/sys/fs/cgroup/system.slice/engine-c.scope" },
  ]);
  const dir = "/sys/fs/cgroup/system.slice/engine-c.scope";
  await m.apply(42);
  fs.seed(`${dir}/sub/cgroup.procs`, "7\n42\n");
  assertEquals(await m.procs(), [7, 42]);
  await m.freeze();
  assertEquals(await m.state(), "frozen");
  await m.thaw();
  assertEquals(await m.state(), "thawed");
  assertEquals(await m.setResources({ pids: { limit: -1 }, memory: { limit: 4096 } }), []);
  assertEquals(fs.files.get(`${dir}/pids.max`), "max");
  assertEquals(fs.files.get(`${dir}/memory.max`), "4096");
  fs.busy.set(dir, 2); // EBUSY twice, then it goes
  await m.destroy();
  assertEquals(await fs.exists(dir), false);
  assertEquals(await fs.exists(`${dir}/sub`), false);
  assertEquals(await fs.exists("/sys/fs/cgroup/system.slice"), true, "only the leaf is removed");
});

Deno.test("refuses a cgroup path that is the hierarchy root", async () => {
  await rejects(
    () =>
      openCgroupManager({
        id: "x",
        cgroupsPath: "/",
        fs: new FakeCgroupFs(),
        mountinfo: V2,
        procCgroup: "",
      }),
    /refusing cgroup path/,
  );
});
