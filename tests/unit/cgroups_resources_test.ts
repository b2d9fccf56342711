// linux.resources → cgroup writes, checked through the recording fake (no root, no kernel).
// cgroup v2 cannot run on this host (v1 hybrid): these are its only tests.
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { FakeCgroupFs } from "../../src/runc/cgroups/fake_fs.ts";
import { openCgroupManager } from "../../src/runc/cgroups/manager.ts";
import { blkioToIoWeight, sharesToWeight, swapToV2 } from "../../src/runc/cgroups/resources.ts";
import { goJson } from "../../src/runc/cgroups/stats_types.ts";
import { ioStats } from "../../src/runc/cgroups/stats_v2.ts";
import { merge, ramInBytes, takeHiddenFlags } from "../../src/runc/update.ts";

const HYBRID = `32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices
38 31 0:35 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`;
const V2 = `25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`;

async function v1(seed: (fs: FakeCgroupFs) => void = () => {}) {
  const fs = new FakeCgroupFs();
  for (const c of ["cpu", "cpuacct", "cpuset", "memory", "devices", "blkio", "pids", "unified"]) {
    fs.seedDir(`/sys/fs/cgroup/${c}/c`);
  }
  fs.seed("/sys/fs/cgroup/memory/c/memory.limit_in_bytes", "9223372036854771712");
  fs.seed("/sys/fs/cgroup/memory/c/memory.memsw.limit_in_bytes", "9223372036854771712");
  fs.onWrite = (path, data, f) => {
    if (path.endsWith("cpu.shares")) f.files.set(path, String(Math.min(Number(data), 262144)));
  };
  seed(fs);
  const m = await openCgroupManager({ id: "c", fs, mountinfo: HYBRID, procCgroup: "" });
  return { fs, m };
}

async function v2(seed: (fs: FakeCgroupFs) => void = () => {}) {
  const fs = new FakeCgroupFs();
  const dir = "/sys/fs/cgroup/c";
  fs.seedDir(dir);
  fs.seed(`${dir}/cgroup.controllers`, "cpu io memory pids");
  seed(fs);
  const m = await openCgroupManager({ id: "c", fs, mountinfo: V2, procCgroup: "0::/\n" });
  return { fs, m, dir };
}

const strip = (writes: string[], prefix: string) => writes.map((w) => w.replace(prefix, ""));

Deno.test("v1: every resource in runc's order, raising memory writes memsw first", async () => {
  const { fs, m } = await v1((fs) => fs.seed("/sys/fs/cgroup/blkio/c/blkio.bfq.weight", "100"));
  const ignored = await m.setResources({
    memory: {
      limit: 64 << 20,
      reservation: 32 << 20,
      swap: 128 << 20,
      kernel: 1,
      disableOOMKiller: true,
      swappiness: 10,
    },
    cpu: {
      shares: 512,
      quota: 50000,
      period: 100000,
      realtimePeriod: 1000000,
      cpus: "0",
      mems: "0",
    },
    pids: { limit: 20 },
    blockIO: {
      weight: 300,
      leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 500 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    },
    network: { classID: 1 },
  });
  assertEquals(ignored, ["network"]);
  assertEquals(strip(fs.writes(), "/sys/fs/cgroup/"), [
    "cpuset/c/cpuset.cpus=0",
    "cpuset/c/cpuset.mems=0",
    // current limit (unlimited) < new memsw? no: memory first, then memsw
    "memory/c/memory.limit_in_bytes=67108864",
    "memory/c/memory.memsw.limit_in_bytes=134217728",
    "memory/c/memory.soft_limit_in_bytes=33554432",
    "memory/c/memory.oom_control=1",
    "memory/c/memory.swappiness=10",
    "cpu/c/cpu.shares=512",
    "cpu/c/cpu.cfs_period_us=100000",
    "cpu/c/cpu.cfs_quota_us=50000",
    "cpu/c/cpu.rt_period_us=1000000",
    "pids/c/pids.max=20",
    "blkio/c/blkio.bfq.weight=300",
    "blkio/c/blkio.leaf_weight=200",
    "blkio/c/blkio.bfq.weight_device=8:0 500",
    "blkio/c/blkio.throttle.read_bps_device=8:0 1048576",
    "blkio/c/blkio.throttle.write_iops_device=8:0 100",
  ]);
});

Deno.test("v1: memory+swap order depends on the current limit; -1 means both unlimited", async () => {
  const { fs, m } = await v1((fs) =>
    fs.seed("/sys/fs/cgroup/memory/c/memory.limit_in_bytes", "1000")
  );
  await m.setResources({ memory: { limit: 2000, swap: 4000 } }); // raising: memsw first
  await m.setResources({ memory: { limit: -1 } });
  assertEquals(strip(fs.writes(), "/sys/fs/cgroup/memory/c/"), [
    "memory.memsw.limit_in_bytes=4000",
    "memory.limit_in_bytes=2000",
    "memory.memsw.limit_in_bytes=-1",
    "memory.limit_in_bytes=-1",
  ]);
});

Deno.test("v1: blkio.weight when CFQ's file exists; errors name the file and value", async () => {
  const { fs, m } = await v1((fs) => fs.seed("/sys/fs/cgroup/blkio/c/blkio.weight", "500"));
  await m.setResources({
    blockIO: { weight: 700, weightDevice: [{ major: 8, minor: 0, weight: 10 }] },
  });
  assertEquals(strip(fs.writes(), "/sys/fs/cgroup/blkio/c/"), [
    "blkio.weight=700",
    "blkio.weight_device=8:0 10",
  ]);
  const bare = await v1();
  await rejects(() => bare.m.setResources({ blockIO: { weight: 700 } }), /blkio.bfq.weight/);
  await rejects(
    () => bare.m.setResources({ cpu: { shares: 1 << 20 } }),
    /maximum allowed cpu-shares is 262144/,
  );
  await rejects(
    () => bare.m.setResources({ hugepageLimits: [{ pageSize: "2MB", limit: 1 }] }),
    /hugetlb cgroup controller is not mounted/,
  );
  await rejects(
    () => bare.m.setResources({ unified: { "memory.high": "1" } }),
    /cannot use unified on cgroup v1/,
  );
  await rejects(() => bare.m.setResources({ memory: { swappiness: 101 } }), /valid range is 0-100/);
  assertEquals(await bare.m.setResources({ hugepageLimits: [] }), []);
});

Deno.test("v2: conversions (swap, weight, io) and runc's write order", async () => {
  const { fs, m, dir } = await v2((fs) => fs.seed("/sys/fs/cgroup/c/hugetlb.2MB.max", "max"));
  const notes = await m.setResources({
    pids: { limit: 10 },
    memory: { limit: 100, swap: 300, reservation: 50, disableOOMKiller: true },
    blockIO: {
      weight: 1000,
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 4096 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 9 }],
    },
    cpu: { shares: 1024, quota: 20000, period: 100000, cpus: "0-1", realtimeRuntime: 5 },
    devices: [{ allow: true, access: "rwm" }],
    hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }],
    unified: { "memory.high": "90", "cpu.idle": "0" },
  });
  assertEquals(notes, [
    "memory.disableOOMKiller (no cgroup v2 equivalent)",
    "cpu.realtimePeriod/realtimeRuntime (no realtime group scheduling on cgroup v2)",
  ]);
  assertEquals(strip(fs.writes(), `${dir}/`), [
    "pids.max=10",
    "memory.swap.max=200",
    "memory.max=100",
    "memory.low=50",
    `io.weight=${blkioToIoWeight(1000)}`,
    "io.max=8:0 rbps=4096",
    "io.max=8:16 wiops=9",
    "cpu.weight=39",
    "cpu.max=20000 100000",
    "cpuset.cpus=0-1",
    "hugetlb.2MB.max=4194304",
    "cpu.idle=0",
    "memory.high=90",
  ]);
});

Deno.test("v2: bfq weight, quota-only cpu.max, swap edge cases", async () => {
  const { fs, m, dir } = await v2((fs) =>
    fs.seed("/sys/fs/cgroup/c/io.bfq.weight", "default 100\n")
  );
  await m.setResources({
    blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 50 }] },
    cpu: { quota: -1 },
    memory: { limit: 100, swap: 100 },
  });
  await m.setResources({ memory: { limit: -1 } });
  await m.setResources({ cpu: { period: 50000 } });
  assertEquals(strip(fs.writes(), `${dir}/`), [
    "memory.swap.max=0",
    "memory.max=100",
    "io.bfq.weight=300",
    "io.bfq.weight=8:0 50",
    "cpu.max=max",
    "memory.swap.max=max",
    "memory.max=max",
    "cpu.max=max 50000",
  ]);
});

Deno.test("v2: device rules attach a device program to the cgroup; update replaces it", async () => {
  const { m, fs, dir } = await v2();
  await m.setResources({
    devices: [{ allow: false }, { allow: true, type: "c", major: 1, minor: 3 }],
  });
  const first = fs.devicePrograms.get(dir)!;
  assertEquals(fs.ops.filter((o) => o.op === "bpf"), [{ op: "bpf", path: dir, license: "Apache" }]);
  assertEquals(first.length > 0 && first.length % 8 === 0, true);
  await m.setResources({ devices: [{ allow: true }] });
  assertEquals(fs.ops.filter((o) => o.op === "bpf").length, 2);
  assertEquals(fs.devicePrograms.get(dir)!.length < first.length, true, "allow-all: no blocks");
  await m.setResources({ pids: { limit: 5 } });
  assertEquals(fs.ops.filter((o) => o.op === "bpf").length, 2, "no devices: program kept");
  await rejects(
    () => m.setResources({ devices: [{ allow: true, type: "x" }] }),
    /invalid type "x"/,
  );
});

Deno.test("v2: refusals are clear (swap without memory, hugetlb, unified)", async () => {
  const { m, fs } = await v2();
  await rejects(() => m.setResources({ memory: { swap: 100 } }), /without memory limit/);
  await rejects(() => m.setResources({ memory: { limit: 200, swap: 100 } }), /should be >= memory/);
  await rejects(
    () => m.setResources({ hugepageLimits: [{ pageSize: "1GB", limit: 1 }] }),
    /hugetlb.1GB.max does not exist/,
  );
  await rejects(() => m.setResources({ unified: { "a/b": "1" } }), /no slashes/);
  fs.onWrite = (path) => {
    if (path.endsWith("/rdma.max")) throw new Deno.errors.NotFound("no such file");
  };
  await rejects(
    () => m.setResources({ unified: { "rdma.max": "x" } }),
    /controller "rdma" not available/,
  );
});

Deno.test("runc's conversion formulas", () => {
  assertEquals([2, 1024, 262144].map(sharesToWeight), [1, 39, 10000]);
  assertEquals([10, 500, 1000].map(blkioToIoWeight), [1, 4950, 10000]);
  assertEquals(swapToV2(0, -1), -1);
  assertEquals(swapToV2(300, 100), 200);
  assertEquals(swapToV2(-1, 100), -1);
});

Deno.test("stats: v1 from the fake, printed like Go (bigints, omitempty)", async () => {
  const { m } = await v1((fs) => {
    const d = "/sys/fs/cgroup";
    fs.seed(`${d}/cpuacct/c/cpuacct.usage`, "1500\n");
    fs.seed(`${d}/cpuacct/c/cpuacct.usage_percpu`, "1000 500 \n");
    fs.seed(`${d}/cpuacct/c/cpuacct.stat`, "user 2\nsystem 1\n");
    fs.seed(`${d}/cpu/c/cpu.stat`, "nr_periods 10\nnr_throttled 4\nthrottled_time 99\n");
    fs.seed(`${d}/memory/c/memory.stat`, "rss 4096\ncache 0\n");
    fs.seed(`${d}/memory/c/memory.usage_in_bytes`, "8192");
    fs.seed(`${d}/memory/c/memory.failcnt`, "3");
    fs.seed(`${d}/pids/c/pids.current`, "2");
    fs.seed(`${d}/pids/c/pids.max`, "max");
    fs.seed(`${d}/blkio/c/blkio.throttle.io_serviced_recursive`, "8:0 Read 2\nTotal 2\n");
    fs.seed(`${d}/blkio/c/blkio.throttle.io_service_bytes_recursive`, "8:0 Read 8192\n");
  });
  const s = await m.stats();
  assertEquals(
    goJson(s.cpu),
    `{"usage":{"total":1500,"percpu":[1000,500],"kernel":10000000,"user":20000000},` +
      `"throttling":{"periods":10,"throttledPeriods":4,"throttledTime":99}}`,
  );
  assertEquals(
    goJson(s.memory.usage),
    `{"limit":9223372036854771712,"usage":8192,"failcnt":3}`,
  );
  assertEquals(s.memory.raw, { cache: 0n, rss: 4096n });
  assertEquals(goJson(s.pids), `{"current":2}`);
  assertEquals(
    goJson(s.blkio),
    `{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":8192}],` +
      `"ioServicedRecursive":[{"major":8,"op":"Read","value":2}]}`,
  );
});

Deno.test("stats: v2 cpu.stat in ns, swap as memory+swap; oom kills from memory.events", async () => {
  const { m, dir, fs } = await v2((fs) => {
    const d = "/sys/fs/cgroup/c";
    fs.seed(
      `${d}/cpu.stat`,
      "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 7\nnr_throttled 1\nthrottled_usec 4\n",
    );
    fs.seed(`${d}/memory.stat`, "anon 10\nfile 20\n");
    fs.seed(`${d}/memory.current`, "100");
    fs.seed(`${d}/memory.max`, "1000");
    fs.seed(`${d}/memory.swap.current`, "5");
    fs.seed(`${d}/memory.swap.max`, "max");
    fs.seed(`${d}/pids.current`, "3");
    fs.seed(`${d}/pids.max`, "30");
    fs.seed(`${d}/memory.events`, "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
  });
  const s = await m.stats();
  assertEquals(goJson(s.cpu.usage), `{"total":5000,"kernel":2000,"user":3000}`);
  assertEquals(goJson(s.cpu.throttling), `{"periods":7,"throttledPeriods":1,"throttledTime":4000}`);
  assertEquals(s.memory.cache, 20n);
  assertEquals(goJson(s.memory.swap), `{"limit":18446744073709551615,"usage":105,"failcnt":0}`);
  assertEquals(goJson(s.pids), `{"current":3,"limit":30}`);
  assertEquals(await m.oomKills(), 2);
  fs.files.set(`${dir}/memory.events`, "oom_kill 5\n");
  assertEquals(await m.oomKills(), 5);
  assertEquals(
    goJson(ioStats("8:0 rbytes=10 wbytes=0 rios=1 wios=0 dbytes=0\n")),
    `{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":10},{"major":8,"op":"Write"}],` +
      `"ioServicedRecursive":[{"major":8,"op":"Read","value":1},{"major":8,"op":"Write"}]}`,
  );
});

Deno.test("update: runc's merge, sizes and hidden kernel-memory flags", () => {
  const old = {
    memory: { limit: 100, swappiness: 5 },
    cpu: { quota: 1000, period: 10000, shares: 2 },
    pids: { limit: 9 },
    hugepageLimits: [{ pageSize: "2MB", limit: 1 }],
  };
  const r = {
    memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0 },
    cpu: {
      shares: 0,
      quota: 500,
      period: 0,
      realtimeRuntime: 0,
      realtimePeriod: 0,
      cpus: "",
      mems: "",
    },
    blockIO: { weight: 0 },
    pids: { limit: 20 },
  };
  assertEquals(merge(old, r), {
    memory: { swappiness: 5 }, // limit 0: no longer recorded, as runc's state shows
    cpu: { quota: 500, period: 10000 }, // quota alone keeps the old period
    pids: { limit: 20 },
    hugepageLimits: [{ pageSize: "2MB", limit: 1 }],
  });
  assertEquals([ramInBytes("512"), ramInBytes("64m"), ramInBytes("1.5GiB")], [
    512,
    64 << 20,
    1.5 * 2 ** 30,
  ]);
  assertEquals(
    takeHiddenFlags(["--kernel-memory", "1m", "--memory=2m", "--kernel-memory-tcp=3", "id"]),
    {
      argv: ["--memory=2m", "id"],
      hidden: { kernelMemory: "1m", kernelMemoryTcp: "3" },
    },
  );
});
