// `docker run` refusals (bad capabilities, ulimits, sysctls, devices, namespaces, mounts,
// users, signals, log options) and a few stateful options (health status, log drivers,
// joined namespaces of a stopped container), one transcript on our daemon and on a private
// Debian dockerd 20.10: the CLI's "docker: Error response from daemon: …" lines as dockerd
// words them (EXPECTED holds dockerd's answers).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

/** The CLI's stdout, or its stderr's first line when it fails. */
async function attempt(s: Side, args: string[]): Promise<string> {
  try {
    return `ok ${(await s.docker(args)).trim()}`;
  } catch (e) {
    const err = (e as Error).message.slice(`docker ${args.join(" ")}: `.length).trim();
    return err.split("\n").filter((l) => !l.startsWith("time=") && !l.startsWith("See "))
      .join(" | ");
  }
}

const RUN = ["run", "--rm"];

export async function scenario(s: Side): Promise<string[]> {
  const log: string[] = [];
  const ids = new Map<string, string>();
  const mask = (t: string) => {
    for (const [id, name] of ids) t = t.replaceAll(id, name).replaceAll(id.slice(0, 12), name);
    return t.replaceAll(/\b[0-9a-f]{64}\b/g, "ID").replaceAll(s.dir, "DIR");
  };
  // Not here: a namespaced sysctl with the host's namespace (--ipc host --sysctl kernel.*,
  // --network host --sysctl net.*): dockerd creates the container and runc refuses at start,
  // ours refuses at create.
  const bad: [string, string[]][] = [
    ["cap-add FOO", ["--cap-add", "FOO"]],
    ["cap-drop FOO", ["--cap-drop", "FOO"]],
    ["ulimit soft>hard", ["--ulimit", "nofile=200:100"]],
    ["ulimit unknown", ["--ulimit", "foo=1"]],
    ["sysctl kernel.shmmax", ["--sysctl", "kernel.shmmax=1"]],
    ["sysctl vm.swappiness", ["--sysctl", "vm.swappiness=1"]],
    ["device missing", ["--device", "/nonexistent"]],
    ["device not a device", ["--device", "/etc/hostname"]],
    ["device-cgroup-rule bad", ["--device-cgroup-rule", "x 1:2 r"]],
    ["device relative dst", ["--device", "/dev/null:xnull"]],
    ["device bad mode", ["--device", "/dev/null:/dev/x:rwx"]],
    ["memory 1m", ["--memory", "1m"]],
    ["memory-swap < memory", ["--memory", "64m", "--memory-swap", "32m"]],
    ["cpus 99", ["--cpus", "99"]],
    ["cpuset-cpus 99", ["--cpuset-cpus", "99"]],
    ["cpuset-cpus bad", ["--cpuset-cpus", "a-b"]],
    ["oom-score-adj 2000", ["--oom-score-adj", "2000"]],
    ["ipc container missing", ["--ipc", "container:nosuch"]],
    ["pid container missing", ["--pid", "container:nosuch"]],
    ["ipc bogus", ["--ipc", "bogus"]],
    ["cgroupns bogus", ["--cgroupns", "bogus"]],
    ["security-opt bogus", ["--security-opt", "bogus"]],
    ["security-opt nnp maybe", ["--security-opt", "no-new-privileges=maybe"]],
    ["mount bind missing", ["--mount", "type=bind,src=/nonexistent,dst=/x"]],
    ["workdir relative", ["--workdir", "rel"]],
    ["user missing", ["--user", "nosuch"]],
    ["group-add missing", ["--group-add", "nosuch"]],
    ["stop-signal bogus", ["--stop-signal", "BOGUS"]],
    ["log-opt bogus", ["--log-opt", "bogus=1"]],
    ["log-driver bogus", ["--log-driver", "bogus"]],
    ["restart with rm", ["--restart", "always"]],
    ["shm-size 1", ["--shm-size", "1"]],
    ["mac-address bad", ["--mac-address", "zz"]],
  ];
  for (const [what, opts] of bad) {
    const net = opts.includes("--network") ? [] : ["--network", "none"];
    log.push(`${what}: ${await attempt(s, [...RUN, ...net, ...opts, "busybox", "true"])}`);
  }
  const names = ["s2", "j2", "ln", "lj", "hc", "pv", "pl", "mc"];
  try {
    // Joining the IPC of a container that does not run: refused at start.
    await s.docker([
      "create",
      "--name",
      "s2",
      "--network",
      "none",
      "--ipc",
      "shareable",
      "busybox",
      "sleep",
      "9",
    ]);
    ids.set((await s.docker(["inspect", "-f", "{{.Id}}", "s2"])).trim(), "S2");
    log.push(
      `create j2: ${await attempt(s, [
        "create",
        "--name",
        "j2",
        "--network",
        "none",
        "--ipc",
        "container:s2",
        "--pid",
        "container:s2",
        "busybox",
        "true",
      ]).then((o) => o.startsWith("ok") ? "ok" : o)}`,
    );
    log.push(`start j2: ${await attempt(s, ["start", "j2"])}`);
    log.push(
      `j2 modes: ${await attempt(s, [
        "inspect",
        "-f",
        "{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}",
        "j2",
      ])}`,
    );
    // Log drivers.
    await s.docker([
      "run",
      "--name",
      "ln",
      "--network",
      "none",
      "--log-driver",
      "none",
      "busybox",
      "echo",
      "x",
    ]);
    log.push(`logs none: ${await attempt(s, ["logs", "ln"])}`);
    log.push(
      `ln log: ${await attempt(s, [
        "inspect",
        "-f",
        "{{json .HostConfig.LogConfig}} {{.LogPath}}",
        "ln",
      ])}`,
    );
    await s.docker([
      "run",
      "--name",
      "lj",
      "--network",
      "none",
      "--log-driver",
      "json-file",
      "--log-opt",
      "max-size=1m",
      "--log-opt",
      "max-file=2",
      "busybox",
      "echo",
      "y",
    ]);
    log.push(`logs json: ${await attempt(s, ["logs", "lj"])}`);
    log.push(
      `lj log: ${await attempt(s, ["inspect", "-f", "{{json .HostConfig.LogConfig}}", "lj"])}`,
    );
    // --privileged --pids-limit -1 (unlimited) in inspect.
    await s.docker([
      "create",
      "--name",
      "pl",
      "--network",
      "none",
      "--pids-limit",
      "-1",
      "--memory-swappiness",
      "10",
      "busybox",
      "true",
    ]);
    log.push(
      `pl: ${await attempt(s, [
        "inspect",
        "-f",
        "{{json .HostConfig.PidsLimit}} {{json .HostConfig.MemorySwappiness}}",
        "pl",
      ])}`,
    );
    await s.docker([
      "create",
      "--name",
      "pv",
      "--network",
      "none",
      "--privileged",
      "--ipc",
      "host",
      "busybox",
      "true",
    ]);
    log.push(
      `pv: ${await attempt(s, [
        "inspect",
        "-f",
        "{{json .HostConfig.SecurityOpt}} {{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}",
        "pv",
      ])}`,
    );
    // Health: starting, then unhealthy after one failure, healthy once the file exists.
    await s.docker([
      "run",
      "-d",
      "--name",
      "hc",
      "--network",
      "none",
      "--health-cmd",
      "cat /tmp/ok",
      "--health-interval",
      "300ms",
      "--health-retries",
      "1",
      "--health-timeout",
      "1s",
      "busybox",
      "sleep",
      "100",
    ]);
    const health = async () =>
      JSON.parse(await s.docker(["inspect", "-f", "{{json .State.Health}}", "hc"]));
    const until = async (status: string) => {
      for (let i = 0; i < 100; i++) {
        const h = await health();
        if (h.Status === status) return h;
        await new Promise((r) => setTimeout(r, 100));
      }
      return await health();
    };
    log.push(`hc first: ${(await health()).Status}`);
    const sick = await until("unhealthy");
    log.push(
      `hc: ${sick.Status} streak ${sick.FailingStreak} ${
        JSON.stringify(sick.Log.at(-1)?.ExitCode)
      } ${JSON.stringify(sick.Log.at(-1)?.Output)}`,
    );
    await s.docker(["exec", "hc", "touch", "/tmp/ok"]);
    const well = await until("healthy");
    log.push(
      `hc: ${well.Status} streak ${well.FailingStreak} ${JSON.stringify(well.Log.at(-1)?.Output)}`,
    );
    log.push(
      `hc config: ${await attempt(s, ["inspect", "-f", "{{json .Config.Healthcheck}}", "hc"])}`,
    );
    log.push(
      `ps health: ${await attempt(s, ["ps", "--format", "{{.Status}}", "-f", "name=hc"]).then((o) =>
        o.replace(/Up [^(]*/, "Up T ")
      )}`,
    );
    // --mac-address on a user bridge network (addresses from each daemon's pools).
    await s.docker(["network", "create", "mnet"]);
    const mac = "02:42:AC:1F:00:99";
    await s.docker([
      "run",
      "-d",
      "--name",
      "mc",
      "--network",
      "mnet",
      "--mac-address",
      mac,
      "busybox",
      "sleep",
      "100",
    ]);
    log.push(`mac eth0: ${await attempt(s, ["exec", "mc", "cat", "/sys/class/net/eth0/address"])}`);
    const macs = "{{.Config.MacAddress}} {{.NetworkSettings.Networks.mnet.MacAddress}}";
    log.push(`mac inspect: ${await attempt(s, ["inspect", "-f", macs, "mc"])}`);
  } finally {
    await s.docker(["rm", "-f", ...names]).catch(() => "");
    await s.docker(["network", "rm", "mnet"]).catch(() => "");
  }
  return log.map(mask);
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED: string[] = [
  'cap-add FOO: docker: Error response from daemon: invalid CapAdd: unknown capability: "CAP_FOO".',
  'cap-drop FOO: docker: Error response from daemon: invalid CapDrop: unknown capability: "CAP_FOO".',
  'ulimit soft>hard: invalid argument "nofile=200:100" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 200 > 100',
  'ulimit unknown: invalid argument "foo=1" for "--ulimit" flag: invalid ulimit type: foo',
  "sysctl kernel.shmmax: ok ",
  'sysctl vm.swappiness: invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl \'vm.swappiness=1\' is not whitelisted',
  'device missing: docker: Error response from daemon: error gathering device information while adding custom device "/nonexistent": no such file or directory.',
  'device not a device: docker: Error response from daemon: error gathering device information while adding custom device "/etc/hostname": not a device node.',
  'device-cgroup-rule bad: invalid argument "x 1:2 r" for "--device-cgroup-rule" flag: invalid device cgroup format \'x 1:2 r\'',
  "device relative dst: docker: xnull is not an absolute path.",
  "device bad mode: docker: bad mode specified: rwx.",
  "memory 1m: docker: Error response from daemon: Minimum memory limit allowed is 6MB.",
  "memory-swap < memory: docker: Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage.",
  "cpus 99: docker: Error response from daemon: Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available.",
  "cpuset-cpus 99: docker: Error response from daemon: Requested CPUs are not available - requested 99, available: 0-1.",
  "cpuset-cpus bad: docker: Error response from daemon: Invalid value a-b for cpuset cpus: invalid format: a-b.",
  "oom-score-adj 2000: docker: Error response from daemon: Invalid value 2000, range for oom score adj is [-1000, 1000].",
  "ipc container missing: docker: Error response from daemon: No such container: nosuch.",
  "pid container missing: docker: Error response from daemon: No such container: nosuch.",
  "ipc bogus: docker: Error response from daemon: Invalid IPC mode: bogus.",
  "cgroupns bogus: docker: --cgroupns: invalid CGROUP mode.",
  'security-opt bogus: docker: Invalid --security-opt: "bogus".',
  'security-opt nnp maybe: docker: Error response from daemon: invalid --security-opt 2: "no-new-privileges=maybe".',
  'mount bind missing: docker: Error response from daemon: invalid mount config for type "bind": bind source path does not exist: /nonexistent.',
  "workdir relative: docker: Error response from daemon: the working directory 'rel' is invalid, it needs to be an absolute path.",
  "user missing: docker: Error response from daemon: unable to find user nosuch: no matching entries in passwd file.",
  "group-add missing: docker: Error response from daemon: Unable to find group nosuch: no matching entries in group file.",
  "stop-signal bogus: docker: Error response from daemon: Invalid signal: BOGUS.",
  "log-opt bogus: docker: Error response from daemon: unknown log opt 'bogus' for json-file log driver.",
  'log-driver bogus: docker: Error response from daemon: error looking up logging plugin bogus: plugin "bogus" not found.',
  "restart with rm: docker: Conflicting options: --restart and --rm.",
  "shm-size 1: ok ",
  "mac-address bad: docker: zz is not a valid mac address.",
  "create j2: ok",
  "start j2: Error response from daemon: can't join IPC of container S2: container S2 is not running | Error: failed to start containers: j2",
  "j2 modes: ok container:S2 container:S2",
  "logs none: Error response from daemon: configured logging driver does not support reading",
  'ln log: ok {"Type":"none","Config":{}}',
  "logs json: ok y",
  'lj log: ok {"Type":"json-file","Config":{"max-file":"2","max-size":"1m"}}',
  "pl: ok null 10",
  'pv: ok ["label=disable"] null null',
  "hc first: starting",
  "hc: unhealthy streak 1 1 \"cat: can't open '/tmp/ok': No such file or directory\\n\"",
  'hc: healthy streak 0 ""',
  'hc config: ok {"Test":["CMD-SHELL","cat /tmp/ok"],"Interval":300000000,"Timeout":1000000000,"Retries":1}',
  "ps health: ok Up T (healthy)",
  "mac eth0: ok 02:42:ac:1f:00:99",
  "mac inspect: ok 02:42:AC:1F:00:99 02:42:ac:1f:00:99",
];

Deno.test({
  name: "run options errors: refusals and health/log states as dockerd's",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await scenario(await ourSide(d)), EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "run options errors: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
