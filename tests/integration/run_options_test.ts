// `docker run` options as the container sees them and as inspect reports them, one
// transcript run on our daemon and on a private Debian dockerd 20.10 (EXPECTED holds
// dockerd's answers): security (caps, seccomp, no-new-privileges, read-only, devices),
// resources (cgroup v1 files), identity (user, groups, hostname, domainname), files
// (env-file, hosts, resolv.conf), mounts, namespaces and --init.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const SHOW = [
  "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status",
  "id",
  "ulimit -a",
  "cat /proc/1/cgroup",
  // dockerd's mount order is a map's (random) among the same depth.
  "mount | sort",
  "G=/sys/fs/cgroup",
  "for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes " +
  "memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us " +
  "cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max; do echo $f $(cat $G/$f); done",
  "hostname; cat /proc/sys/kernel/domainname",
  // Sorted: ours writes nameserver lines before search, libnetwork after.
  "cat /etc/hostname /etc/hosts; sort /etc/resolv.conf",
  "pwd; env | sort",
  "stat -c '%A %u %g %t:%T %n' /dev/* /dev/xnull",
  "cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj",
  "df -k /dev/shm /x /t",
  "stat -c '%A %u %g %n' /x /t /b /v /n",
  "tr '\\0' ' ' </proc/1/cmdline; echo",
].join("; echo ---; ");

/** The transcript reads cgroup v1 files (a cgroup v2 host has other ones). */
const cgroupV1 = {
  ok: (() => {
    try {
      return Deno.statSync("/sys/fs/cgroup/memory/memory.limit_in_bytes").isFile;
    } catch {
      return false;
    }
  })(),
  reason: "needs cgroup v1 (the transcript reads v1 files)",
  never: true,
};

/** Lines with container IDs, overlay paths and host-dependent numbers masked. */
function masker(ids: Map<string, string>) {
  return (text: string) => {
    for (const [id, name] of ids) {
      // The parent of a container's cgroup: dockerd's /docker, ours /engine, under the
      // daemon's own cgroup for some controllers.
      text = text.replaceAll(new RegExp(`:/[^:\n]*/${id}$`, "gm"), `:/PARENT/${name}`);
      text = text.replaceAll(id, name).replaceAll(id.slice(0, 12), name);
    }
    return text
      .replace(/^overlay on \/ type overlay .*$/m, "overlay on / type overlay (...)")
      // The host's filesystem under binds, and the host's limits.
      .replaceAll(/^\/dev\/\S+ on (\S+) type \w+ \((r[ow]),.*\)$/gm, "HOSTFS on $1 ($2)")
      .replaceAll(/^((?:pending signals|max user processes) .*\)) \d+$/gm, "$1 N")
      // runc remounts the read-only /proc paths keeping the proc mount's nosuid,nodev,noexec;
      // ours not (src/runc).
      .replaceAll(/^(proc on \/proc\/\w+ type proc \(ro,)nosuid,nodev,noexec,/gm, "$1")
      // Ours masks /sys/devices/virtual/powercap too (as newer dockerd does).
      .replace(',"/sys/devices/virtual/powercap"]', "]")
      // Our default runtime is named "engine" (the built-in runc).
      .replace(/^(\w+\.HostConfig\.Runtime): .*$/gm, "$1: DEFAULT")
      .replaceAll(/\/(?:tmp\/[^ ]*?)\/(containers|volumes)\//g, "/DATA/$1/");
  };
}

/** The v1 cgroup directories named `name` (at any depth: some sit under the daemon's own). */
async function removeCgroups(name: string): Promise<void> {
  const out = await new Deno.Command("find", {
    args: ["/sys/fs/cgroup", "-mindepth", "2", "-type", "d", "-name", name],
    stdout: "piped",
    stderr: "null",
  }).output();
  const dirs = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
  for (const dir of dirs.sort((a, b) => b.length - a.length)) {
    await Deno.remove(dir).catch(() => {});
  }
}

async function attempt(s: Side, args: string[]): Promise<string> {
  try {
    return `ok ${(await s.docker(args)).trim()}`;
  } catch (e) {
    return (e as Error).message.slice(`docker ${args.join(" ")}: `.length).trim();
  }
}

export async function scenario(s: Side): Promise<string[]> {
  const log: string[] = [];
  const ids = new Map<string, string>();
  const mask = masker(ids);
  const say = (k: string, v: string) => log.push(`${k}: ${v}`);
  const inspect = async (name: string) => {
    const j = JSON.parse(await s.docker(["inspect", name]).catch(() => "[{}]"))[0];
    if (j.Id) ids.set(j.Id, name.toUpperCase());
    return j;
  };
  const fields = (prefix: string, o: Record<string, unknown>) => {
    for (const k of Object.keys(o ?? {}).sort()) {
      // The CLI sends -v's binds from a map (random order).
      const v = k === "Binds" && Array.isArray(o[k]) ? [...o[k] as string[]].sort() : o[k];
      say(`${prefix}.${k}`, String(JSON.stringify(v)));
    }
  };
  await Deno.writeTextFile(`${s.dir}/env`, "# comment\nE1=one\nE2\n\nE3=three=3\n");
  await Deno.writeTextFile(`${s.dir}/labels`, "l1=x\nl2\n");
  await Deno.mkdir(`${s.dir}/bind`);
  // A parent of our own, removed after (runc leaves the parent's directories behind).
  const parent = `ro-${crypto.randomUUID().slice(0, 8)}`;
  const names = ["ra", "rc", "e1", "e2", "s1", "j1", "h1", "cg1", "cg2", "cg3"];
  try {
    await s.docker(["volume", "create", "named"]);
    // One container with most options.
    const a = [
      "run",
      "--name",
      "ra",
      "--network",
      "none",
      "--read-only",
      "--tmpfs",
      "/x:size=1m,mode=1777",
      "--cap-add",
      "NET_ADMIN",
      "--cap-drop",
      "CHOWN",
      "--security-opt",
      "no-new-privileges",
      "--device",
      "/dev/null:/dev/xnull:rwm",
      "--ulimit",
      "nofile=100:200",
      "--memory",
      "64m",
      "--memory-swap",
      "128m",
      "--memory-reservation",
      "32m",
      "--cpus",
      "0.5",
      "--cpu-shares",
      "512",
      "--cpuset-cpus",
      "0",
      "--pids-limit",
      "50",
      "--user",
      "1000:1000",
      "--group-add",
      "2000",
      "--workdir",
      "/new/dir",
      "--env-file",
      `${s.dir}/env`,
      "-e",
      "E2=two",
      "--label",
      "a=b",
      "--label-file",
      `${s.dir}/labels`,
      "--hostname",
      "h1",
      "--domainname",
      "example.com",
      "--sysctl",
      "net.ipv4.ip_forward=1",
      "--shm-size",
      "32m",
      "--stop-signal",
      "SIGUSR1",
      "--stop-timeout",
      "5",
      "--oom-score-adj",
      "100",
      "--add-host",
      "foo:1.2.3.4",
      "--dns",
      "127.0.0.9",
      "--dns-search",
      "ex.com",
      "--dns-option",
      "ndots:2",
      "--init",
      "--mount",
      `type=bind,src=${s.dir}/bind,dst=/b,readonly,bind-propagation=rprivate`,
      "--mount",
      "type=volume,src=vol1,dst=/v,volume-nocopy",
      "--mount",
      "type=tmpfs,dst=/t,tmpfs-size=1048576",
      "-v",
      `${s.dir}/bind:/b2:ro`,
      "-v",
      `${s.dir}/bind:/b3:z`,
      "-v",
      "named:/n",
      "busybox",
      "sh",
      "-c",
      SHOW,
    ];
    say("run a", await attempt(s, a));
    const ja = await inspect("ra");
    fields("a.HostConfig", ja.HostConfig);
    fields("a.Config", ja.Config);
    const byDest = (x: { Destination: string }, y: { Destination: string }) =>
      x.Destination.localeCompare(y.Destination);
    say("a.Mounts", String(JSON.stringify(ja.Mounts?.sort(byDest))));
    const c = "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status";
    say(
      "run c",
      await attempt(s, [
        "run",
        "--name",
        "rc",
        "--network",
        "none",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "NET_RAW",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
        "busybox",
        "sh",
        "-c",
        c,
      ]),
    );
    fields("c.HostConfig", (await inspect("rc")).HostConfig);
    say(
      "run e1",
      await attempt(s, [
        "run",
        "--name",
        "e1",
        "--network",
        "none",
        "--entrypoint",
        "",
        "busybox",
        "echo",
        "hi",
      ]),
    );
    say(
      "run e2",
      await attempt(s, [
        "run",
        "--name",
        "e2",
        "--network",
        "none",
        "--entrypoint",
        "sh",
        "busybox",
        "-c",
        "echo $0 $@",
      ]),
    );
    for (const n of ["e1", "e2"]) {
      const j = await inspect(n);
      say(`${n}`, JSON.stringify([j.Path, j.Args, j.Config?.Entrypoint, j.Config?.Cmd]));
    }
    // Namespaces.
    await s.docker([
      "run",
      "-d",
      "--name",
      "s1",
      "--network",
      "none",
      "--ipc",
      "shareable",
      "busybox",
      "sleep",
      "1000",
    ]);
    const ns = "for n in ipc pid uts net mnt cgroup; do readlink /proc/self/ns/$n; done";
    const s1ns = await s.docker(["exec", "s1", "sh", "-c", ns]);
    const hostns = await Deno.readTextFile("/proc/self/mountinfo").then(() =>
      ["ipc", "pid", "uts", "net", "mnt", "cgroup"].map((n) =>
        Deno.readLinkSync(`/proc/self/ns/${n}`)
      )
    );
    const nsMask = (text: string) =>
      !text.startsWith("ok ")
        ? text
        : text.slice(3).trim().split("\n").map((l, i) =>
          l === s1ns.trim().split("\n")[i] ? "S1" : l === hostns[i] ? "HOST" : "OWN"
        ).join(" ");
    say(
      "j1",
      nsMask(
        await attempt(s, [
          "run",
          "--name",
          "j1",
          "--network",
          "none",
          "--ipc",
          "container:s1",
          "--pid",
          "container:s1",
          "busybox",
          "sh",
          "-c",
          ns,
        ]),
      ),
    );
    say(
      "h1",
      nsMask(
        await attempt(s, [
          "run",
          "--name",
          "h1",
          "--network",
          "none",
          "--ipc",
          "host",
          "--pid",
          "host",
          "--uts",
          "host",
          "busybox",
          "sh",
          "-c",
          ns,
        ]),
      ),
    );
    for (const n of ["s1", "j1", "h1"]) {
      const j = await inspect(n);
      say(
        n,
        JSON.stringify([
          j.HostConfig?.IpcMode,
          j.HostConfig?.PidMode,
          j.HostConfig?.UTSMode,
          j.Config?.Hostname,
        ]),
      );
    }
    say(
      "cg1",
      await attempt(s, [
        "run",
        "--name",
        "cg1",
        "--network",
        "none",
        "--cgroupns",
        "private",
        "busybox",
        "sh",
        "-c",
        "cat /proc/self/cgroup; readlink /proc/self/ns/cgroup",
      ]),
    );
    say(
      "cg2",
      await attempt(s, [
        "run",
        "--name",
        "cg2",
        "--network",
        "none",
        "--cgroup-parent",
        parent,
        "busybox",
        "cat",
        "/proc/self/cgroup",
      ]),
    );
    for (const n of ["cg1", "cg2"]) {
      const j = await inspect(n);
      say(n, JSON.stringify([j.HostConfig?.CgroupnsMode, j.HostConfig?.CgroupParent]));
    }
    // --add-host with the host's network: a copy of the host's hosts file plus the line.
    const addHost = ["--network", "host", "--add-host", "a.test:1.2.3.4"];
    say(
      "host add-host",
      await attempt(s, ["run", "--rm", ...addHost, "busybox", "grep", "a.test", "/etc/hosts"]),
    );
    // --device with a directory: its device nodes; --device-cgroup-rule in the cgroup.
    await Deno.mkdir(`${s.dir}/devs/sub`, { recursive: true });
    for (const [name, minor] of [["mynull", 3], ["sub/myzero", 5]]) {
      const mk = await new Deno.Command("mknod", {
        args: [`${s.dir}/devs/${name}`, "c", "1", String(minor)],
      }).output();
      if (!mk.success) throw new Error(`mknod ${name}`);
    }
    await Deno.writeTextFile(`${s.dir}/devs/plain`, "");
    const devs = "stat -c '%A %t:%T %n' /dev/mine/mynull /dev/mine/sub/myzero; ls /dev/mine; " +
      "grep -E '^c 42:' /sys/fs/cgroup/devices/devices.list";
    say(
      "device dir",
      await attempt(s, [
        "run",
        "--rm",
        "--network",
        "none",
        "--device",
        `${s.dir}/devs:/dev/mine`,
        "--device-cgroup-rule",
        "c 42:* rmw",
        "busybox",
        "sh",
        "-c",
        devs,
      ]),
    );
    // stats and update find a container under its --cgroup-parent.
    await s.docker([
      "run",
      "-d",
      "--name",
      "cg3",
      "--network",
      "none",
      "--cgroup-parent",
      parent,
      "--memory",
      "64m",
      "busybox",
      "sleep",
      "100",
    ]);
    const usage = await s.docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", "cg3"]);
    say("cg3 stats", usage.trim().replace(/^.* \//, "USED /"));
    await s.docker(["update", "--memory", "32m", "--memory-swap", "64m", "cg3"]);
    const limit = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes";
    say("cg3 updated", await attempt(s, ["exec", "cg3", "sh", "-c", limit]));
  } finally {
    await s.docker(["rm", "-f", "-v", ...names]).catch(() => "");
    await removeCgroups(parent);
    await s.docker(["volume", "rm", "named", "vol1"]).catch(() => "");
  }
  const hostCgroupns = Deno.readLinkSync("/proc/self/ns/cgroup");
  return log.map((l) =>
    mask(l).replaceAll(s.dir, "DIR").replaceAll(parent, "myparent")
      .replaceAll(hostCgroupns, "cgroup:HOST").replaceAll(/\bcgroup:\[\d+\]/g, "cgroup:OWN")
  );
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED: string[] = [
  "run a: ok CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80435fa\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n---\nuid=1000 gid=1000 groups=1000,2000\n---\ncore file size (blocks)         (-c) 0\ndata seg size (kb)              (-d) unlimited\nscheduling priority             (-e) 0\nfile size (blocks)              (-f) unlimited\npending signals                 (-i) N\nmax locked memory (kb)          (-l) 8192\nmax memory size (kb)            (-m) unlimited\nopen files                      (-n) 100\nPOSIX message queues (bytes)    (-q) 819200\nreal-time priority              (-r) 0\nstack size (kb)                 (-s) 8192\ncpu time (seconds)              (-t) unlimited\nmax user processes              (-u) N\nvirtual memory (kb)             (-v) unlimited\nfile locks                      (-x) unlimited\n---\n9:name=systemd:/PARENT/RA\n8:pids:/PARENT/RA\n7:blkio:/PARENT/RA\n6:freezer:/PARENT/RA\n5:devices:/PARENT/RA\n4:memory:/PARENT/RA\n3:cpuset:/PARENT/RA\n2:cpuacct:/PARENT/RA\n1:cpu:/PARENT/RA\n0::/PARENT/RA\n---\nHOSTFS on /b (ro)\nHOSTFS on /b2 (ro)\nHOSTFS on /b3 (rw)\nHOSTFS on /etc/hostname (ro)\nHOSTFS on /etc/hosts (ro)\nHOSTFS on /etc/resolv.conf (ro)\nHOSTFS on /n (rw)\nHOSTFS on /sbin/docker-init (ro)\nHOSTFS on /v (rw)\ncgroup on /sys/fs/cgroup/blkio type cgroup (ro,nosuid,nodev,noexec,relatime,blkio)\ncgroup on /sys/fs/cgroup/cpu type cgroup (ro,nosuid,nodev,noexec,relatime,cpu)\ncgroup on /sys/fs/cgroup/cpuacct type cgroup (ro,nosuid,nodev,noexec,relatime,cpuacct)\ncgroup on /sys/fs/cgroup/cpuset type cgroup (ro,nosuid,nodev,noexec,relatime,cpuset)\ncgroup on /sys/fs/cgroup/devices type cgroup (ro,nosuid,nodev,noexec,relatime,devices)\ncgroup on /sys/fs/cgroup/freezer type cgroup (ro,nosuid,nodev,noexec,relatime,freezer)\ncgroup on /sys/fs/cgroup/memory type cgroup (ro,nosuid,nodev,noexec,relatime,memory)\ncgroup on /sys/fs/cgroup/pids type cgroup (ro,nosuid,nodev,noexec,relatime,pids)\ncgroup on /sys/fs/cgroup/systemd type cgroup (ro,nosuid,nodev,noexec,relatime,name=systemd)\ndevpts on /dev/pts type devpts (rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666)\nmqueue on /dev/mqueue type mqueue (rw,nosuid,nodev,noexec,relatime)\noverlay on / type overlay (...)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\nproc on /proc/bus type proc (ro,relatime)\nproc on /proc/fs type proc (ro,relatime)\nproc on /proc/irq type proc (ro,relatime)\nproc on /proc/sys type proc (ro,relatime)\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=32768k)\nsysfs on /sys type sysfs (ro,nosuid,nodev,noexec,relatime)\ntmpfs on /dev type tmpfs (rw,nosuid,size=65536k,mode=755)\ntmpfs on /proc/acpi type tmpfs (ro,relatime)\ntmpfs on /proc/keys type tmpfs (rw,nosuid,size=65536k,mode=755)\ntmpfs on /proc/timer_list type tmpfs (rw,nosuid,size=65536k,mode=755)\ntmpfs on /sys/firmware type tmpfs (ro,relatime)\ntmpfs on /sys/fs/cgroup type tmpfs (rw,nosuid,nodev,noexec,relatime,mode=755)\ntmpfs on /t type tmpfs (rw,nosuid,nodev,noexec,relatime,size=1024k)\ntmpfs on /x type tmpfs (rw,nosuid,nodev,noexec,relatime,size=1024k)\n---\n---\nmemory/memory.limit_in_bytes 67108864\nmemory/memory.memsw.limit_in_bytes 134217728\nmemory/memory.soft_limit_in_bytes 33554432\ncpu/cpu.cfs_quota_us 50000\ncpu/cpu.cfs_period_us 100000\ncpu/cpu.shares 512\ncpuset/cpuset.cpus 0\npids/pids.max 50\n---\nh1\nexample.com\n---\nh1\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n1.2.3.4\tfoo\nnameserver 127.0.0.9\noptions ndots:2\nsearch ex.com\n---\n/new/dir\nE1=one\nE2=two\nE3=three=3\nHOME=/\nHOSTNAME=h1\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/new/dir\nSHLVL=1\n---\nlrwxrwxrwx 0 0 0:0 /dev/fd\ncrw-rw-rw- 0 0 1:7 /dev/full\ndrwxrwxrwt 0 0 0:0 /dev/mqueue\ncrw-rw-rw- 0 0 1:3 /dev/null\nlrwxrwxrwx 0 0 0:0 /dev/ptmx\ndrwxr-xr-x 0 0 0:0 /dev/pts\ncrw-rw-rw- 0 0 1:8 /dev/random\ndrwxrwxrwt 0 0 0:0 /dev/shm\nlrwxrwxrwx 0 0 0:0 /dev/stderr\nlrwxrwxrwx 0 0 0:0 /dev/stdin\nlrwxrwxrwx 0 0 0:0 /dev/stdout\ncrw-rw-rw- 0 0 5:0 /dev/tty\ncrw-rw-rw- 0 0 1:9 /dev/urandom\ncrw-rw-rw- 0 0 1:3 /dev/xnull\ncrw-rw-rw- 0 0 1:5 /dev/zero\ncrw-rw-rw- 0 0 1:3 /dev/xnull\n---\n1\n100\n---\nFilesystem           1K-blocks      Used Available Use% Mounted on\nshm                      32768         0     32768   0% /dev/shm\ntmpfs                     1024         0      1024   0% /x\ntmpfs                     1024         0      1024   0% /t\n---\ndrwxrwxrwt 0 0 /x\ndrwxrwxrwt 0 0 /t\ndrwxr-xr-x 0 0 /b\ndrwxr-xr-x 0 0 /v\ndrwxr-xr-x 0 0 /n\n---\n/sbin/docker-init -- sh -c grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; echo ---; id; echo ---; ulimit -a; echo ---; cat /proc/1/cgroup; echo ---; mount | sort; echo ---; G=/sys/fs/cgroup; echo ---; for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max; do echo $f $(cat $G/$f); done; echo ---; hostname; cat /proc/sys/kernel/domainname; echo ---; cat /etc/hostname /etc/hosts; sort /etc/resolv.conf; echo ---; pwd; env | sort; echo ---; stat -c '%A %u %g %t:%T %n' /dev/* /dev/xnull; echo ---; cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj; echo ---; df -k /dev/shm /x /t; echo ---; stat -c '%A %u %g %n' /x /t /b /v /n; echo ---; tr '\\0' ' ' </proc/1/cmdline; echo",
  "a.HostConfig.AutoRemove: false",
  'a.HostConfig.Binds: ["DIR/bind:/b2:ro","DIR/bind:/b3:z","named:/n"]',
  "a.HostConfig.BlkioDeviceReadBps: null",
  "a.HostConfig.BlkioDeviceReadIOps: null",
  "a.HostConfig.BlkioDeviceWriteBps: null",
  "a.HostConfig.BlkioDeviceWriteIOps: null",
  "a.HostConfig.BlkioWeight: 0",
  "a.HostConfig.BlkioWeightDevice: []",
  'a.HostConfig.CapAdd: ["NET_ADMIN"]',
  'a.HostConfig.CapDrop: ["CHOWN"]',
  'a.HostConfig.Cgroup: ""',
  'a.HostConfig.CgroupParent: ""',
  'a.HostConfig.CgroupnsMode: "host"',
  "a.HostConfig.ConsoleSize: [0,0]",
  'a.HostConfig.ContainerIDFile: ""',
  "a.HostConfig.CpuCount: 0",
  "a.HostConfig.CpuPercent: 0",
  "a.HostConfig.CpuPeriod: 0",
  "a.HostConfig.CpuQuota: 0",
  "a.HostConfig.CpuRealtimePeriod: 0",
  "a.HostConfig.CpuRealtimeRuntime: 0",
  "a.HostConfig.CpuShares: 512",
  'a.HostConfig.CpusetCpus: "0"',
  'a.HostConfig.CpusetMems: ""',
  "a.HostConfig.DeviceCgroupRules: null",
  "a.HostConfig.DeviceRequests: null",
  'a.HostConfig.Devices: [{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}]',
  'a.HostConfig.Dns: ["127.0.0.9"]',
  'a.HostConfig.DnsOptions: ["ndots:2"]',
  'a.HostConfig.DnsSearch: ["ex.com"]',
  'a.HostConfig.ExtraHosts: ["foo:1.2.3.4"]',
  'a.HostConfig.GroupAdd: ["2000"]',
  "a.HostConfig.IOMaximumBandwidth: 0",
  "a.HostConfig.IOMaximumIOps: 0",
  "a.HostConfig.Init: true",
  'a.HostConfig.IpcMode: "private"',
  'a.HostConfig.Isolation: ""',
  "a.HostConfig.KernelMemory: 0",
  "a.HostConfig.KernelMemoryTCP: 0",
  "a.HostConfig.Links: null",
  'a.HostConfig.LogConfig: {"Type":"json-file","Config":{}}',
  'a.HostConfig.MaskedPaths: ["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"]',
  "a.HostConfig.Memory: 67108864",
  "a.HostConfig.MemoryReservation: 33554432",
  "a.HostConfig.MemorySwap: 134217728",
  "a.HostConfig.MemorySwappiness: null",
  'a.HostConfig.Mounts: [{"Type":"bind","Source":"DIR/bind","Target":"/b","ReadOnly":true,"BindOptions":{"Propagation":"rprivate"}},{"Type":"volume","Source":"vol1","Target":"/v","VolumeOptions":{"NoCopy":true,"DriverConfig":{}}},{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}}]',
  "a.HostConfig.NanoCpus: 500000000",
  'a.HostConfig.NetworkMode: "none"',
  "a.HostConfig.OomKillDisable: false",
  "a.HostConfig.OomScoreAdj: 100",
  'a.HostConfig.PidMode: ""',
  "a.HostConfig.PidsLimit: 50",
  "a.HostConfig.PortBindings: {}",
  "a.HostConfig.Privileged: false",
  "a.HostConfig.PublishAllPorts: false",
  'a.HostConfig.ReadonlyPaths: ["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]',
  "a.HostConfig.ReadonlyRootfs: true",
  'a.HostConfig.RestartPolicy: {"Name":"no","MaximumRetryCount":0}',
  "a.HostConfig.Runtime: DEFAULT",
  'a.HostConfig.SecurityOpt: ["no-new-privileges"]',
  "a.HostConfig.ShmSize: 33554432",
  'a.HostConfig.Sysctls: {"net.ipv4.ip_forward":"1"}',
  'a.HostConfig.Tmpfs: {"/x":"size=1m,mode=1777"}',
  'a.HostConfig.UTSMode: ""',
  'a.HostConfig.Ulimits: [{"Name":"nofile","Hard":200,"Soft":100}]',
  'a.HostConfig.UsernsMode: ""',
  'a.HostConfig.VolumeDriver: ""',
  "a.HostConfig.VolumesFrom: null",
  "a.Config.AttachStderr: true",
  "a.Config.AttachStdin: false",
  "a.Config.AttachStdout: true",
  "a.Config.Cmd: [\"sh\",\"-c\",\"grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; echo ---; id; echo ---; ulimit -a; echo ---; cat /proc/1/cgroup; echo ---; mount | sort; echo ---; G=/sys/fs/cgroup; echo ---; for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max; do echo $f $(cat $G/$f); done; echo ---; hostname; cat /proc/sys/kernel/domainname; echo ---; cat /etc/hostname /etc/hosts; sort /etc/resolv.conf; echo ---; pwd; env | sort; echo ---; stat -c '%A %u %g %t:%T %n' /dev/* /dev/xnull; echo ---; cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj; echo ---; df -k /dev/shm /x /t; echo ---; stat -c '%A %u %g %n' /x /t /b /v /n; echo ---; tr '\\\\0' ' ' </proc/1/cmdline; echo\"]",
  'a.Config.Domainname: "example.com"',
  "a.Config.Entrypoint: null",
  'a.Config.Env: ["E1=one","E3=three=3","E2=two"]',
  'a.Config.Hostname: "h1"',
  'a.Config.Image: "busybox"',
  'a.Config.Labels: {"a":"b","l1":"x"}',
  "a.Config.OnBuild: null",
  "a.Config.OpenStdin: false",
  "a.Config.StdinOnce: false",
  'a.Config.StopSignal: "SIGUSR1"',
  "a.Config.StopTimeout: 5",
  "a.Config.Tty: false",
  'a.Config.User: "1000:1000"',
  "a.Config.Volumes: null",
  'a.Config.WorkingDir: "/new/dir"',
  'a.Mounts: [{"Type":"bind","Source":"/DATA/volumes/named/_data","Destination":"/n","Driver":"local","Mode":"z","RW":true,"Propagation":""},{"Type":"tmpfs","Source":"","Destination":"/t","Mode":"","RW":true,"Propagation":""},{"Type":"volume","Name":"vol1","Source":"/DATA/volumes/vol1/_data","Destination":"/v","Driver":"local","Mode":"z","RW":true,"Propagation":""}]',
  "run c: ok CapInh:\t0000000000000000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\nCapBnd:\t0000000000002000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0",
  "c.HostConfig.AutoRemove: false",
  "c.HostConfig.Binds: null",
  "c.HostConfig.BlkioDeviceReadBps: null",
  "c.HostConfig.BlkioDeviceReadIOps: null",
  "c.HostConfig.BlkioDeviceWriteBps: null",
  "c.HostConfig.BlkioDeviceWriteIOps: null",
  "c.HostConfig.BlkioWeight: 0",
  "c.HostConfig.BlkioWeightDevice: []",
  'c.HostConfig.CapAdd: ["NET_RAW"]',
  'c.HostConfig.CapDrop: ["ALL"]',
  'c.HostConfig.Cgroup: ""',
  'c.HostConfig.CgroupParent: ""',
  'c.HostConfig.CgroupnsMode: "host"',
  "c.HostConfig.ConsoleSize: [0,0]",
  'c.HostConfig.ContainerIDFile: ""',
  "c.HostConfig.CpuCount: 0",
  "c.HostConfig.CpuPercent: 0",
  "c.HostConfig.CpuPeriod: 0",
  "c.HostConfig.CpuQuota: 0",
  "c.HostConfig.CpuRealtimePeriod: 0",
  "c.HostConfig.CpuRealtimeRuntime: 0",
  "c.HostConfig.CpuShares: 0",
  'c.HostConfig.CpusetCpus: ""',
  'c.HostConfig.CpusetMems: ""',
  "c.HostConfig.DeviceCgroupRules: null",
  "c.HostConfig.DeviceRequests: null",
  "c.HostConfig.Devices: []",
  "c.HostConfig.Dns: []",
  "c.HostConfig.DnsOptions: []",
  "c.HostConfig.DnsSearch: []",
  "c.HostConfig.ExtraHosts: null",
  "c.HostConfig.GroupAdd: null",
  "c.HostConfig.IOMaximumBandwidth: 0",
  "c.HostConfig.IOMaximumIOps: 0",
  'c.HostConfig.IpcMode: "private"',
  'c.HostConfig.Isolation: ""',
  "c.HostConfig.KernelMemory: 0",
  "c.HostConfig.KernelMemoryTCP: 0",
  "c.HostConfig.Links: null",
  'c.HostConfig.LogConfig: {"Type":"json-file","Config":{}}',
  'c.HostConfig.MaskedPaths: ["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"]',
  "c.HostConfig.Memory: 0",
  "c.HostConfig.MemoryReservation: 0",
  "c.HostConfig.MemorySwap: 0",
  "c.HostConfig.MemorySwappiness: null",
  "c.HostConfig.NanoCpus: 0",
  'c.HostConfig.NetworkMode: "none"',
  "c.HostConfig.OomKillDisable: false",
  "c.HostConfig.OomScoreAdj: 0",
  'c.HostConfig.PidMode: ""',
  "c.HostConfig.PidsLimit: null",
  "c.HostConfig.PortBindings: {}",
  "c.HostConfig.Privileged: false",
  "c.HostConfig.PublishAllPorts: false",
  'c.HostConfig.ReadonlyPaths: ["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]',
  "c.HostConfig.ReadonlyRootfs: false",
  'c.HostConfig.RestartPolicy: {"Name":"no","MaximumRetryCount":0}',
  "c.HostConfig.Runtime: DEFAULT",
  'c.HostConfig.SecurityOpt: ["seccomp=unconfined","apparmor=unconfined"]',
  "c.HostConfig.ShmSize: 67108864",
  'c.HostConfig.UTSMode: ""',
  "c.HostConfig.Ulimits: null",
  'c.HostConfig.UsernsMode: ""',
  'c.HostConfig.VolumeDriver: ""',
  "c.HostConfig.VolumesFrom: null",
  "run e1: ok hi",
  "run e2: ok sh",
  'e1: ["echo",["hi"],null,["echo","hi"]]',
  'e2: ["sh",["-c","echo $0 $@"],["sh"],["-c","echo $0 $@"]]',
  "j1: S1 S1 OWN OWN OWN S1",
  "h1: HOST HOST HOST OWN OWN S1",
  's1: ["shareable","","","S1"]',
  'j1: ["container:S1","container:S1","","J1"]',
  'h1: ["host","host","host","H1"]',
  "cg1: ok 9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\ncgroup:OWN",
  "cg2: ok 9:name=systemd:/PARENT/CG2\n8:pids:/PARENT/CG2\n7:blkio:/PARENT/CG2\n6:freezer:/PARENT/CG2\n5:devices:/PARENT/CG2\n4:memory:/PARENT/CG2\n3:cpuset:/PARENT/CG2\n2:cpuacct:/PARENT/CG2\n1:cpu:/PARENT/CG2\n0::/PARENT/CG2",
  'cg1: ["private",""]',
  'cg2: ["host","myparent"]',
  "host add-host: ok 1.2.3.4\ta.test",
  "device dir: ok crw-r--r-- 1:3 /dev/mine/mynull\ncrw-r--r-- 1:5 /dev/mine/sub/myzero\nmynull\nsub\nc 42:* rwm",
  "cg3 stats: USED / 64MiB",
  "cg3 updated: ok 33554432",
];

Deno.test({
  name: "run options: what the container sees and inspect reports",
  ignore: missing(root(), cgroupV1, command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await scenario(await ourSide(d)), EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "run options: the same transcript from Debian's dockerd",
  ignore: missing(root(), cgroupV1, command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
