// The namespace-sharing run options (--ipc, --pid, --uts, --userns, --network container:)
// as dockerd 20.10 answers them: what the containers see (/dev/shm, IPC sysctls, processes,
// interfaces, hostnames), what inspect and ps report, the errors, and what a joiner keeps
// when its donor stops and starts again. One transcript run on our daemon and on a private
// Debian dockerd (EXPECTED is dockerd's).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const NAMES = [
  "ns-def",
  "ns-don",
  "ns-j",
  "ns-ji",
  "ns-jp",
  "ns-jn",
  "ns-none",
  "ns-host",
  "ns-hd",
  "ns-priv",
  "ns-cr",
  "ns-cj",
  "ns-chain",
  "ns-uh",
  "ns-us",
  "ns-cn",
  "ns-self",
  "ns-ut",
  "ns-a1",
  "ns-a2",
  "ns-a3",
  "ns-a4",
  "ns-a5",
];

/** The namespaces of the shell that runs it, one "type:[inode]" a line. */
const NS = "for n in ipc pid uts net; do readlink /proc/self/ns/$n; done";

async function scenario(s: Side): Promise<string[]> {
  const ids = new Map<string, string>();
  // Namespaces named by whose they are: the host's, the donor's (DON1, DON2 after its
  // restart), else OWN (inode numbers are reused once a namespace is gone).
  const known = new Map<string, string>();
  const remember = (label: string, lines: string) => {
    for (const m of lines.matchAll(/\b(ipc|pid|uts|net):\[\d+\]/g)) known.set(m[0], label);
  };
  remember(
    "HOST",
    ["ipc", "pid", "uts", "net"].map((n) => Deno.readLinkSync(`/proc/self/ns/${n}`)).join("\n"),
  );
  const masked = (text: string) => {
    text = text.replaceAll(
      /\b(ipc|pid|uts|net):\[\d+\]/g,
      (m, type) => `${type}:${known.get(m) ?? "OWN"}`,
    );
    return text.replaceAll(s.dir, "DIR").replaceAll(/\/\S+\/containers\//g, "/DATA/containers/")
      .trim();
  };
  const log: string[] = [];
  // The CLI's wait for a `run` that fails to start races the start's answer (its "error
  // waiting for container: context canceled" comes now and then from dockerd too).
  const attempt = (args: string[]) =>
    s.docker(args).catch((e) =>
      `ERR ${
        e.message.replace(/^docker .*?: /, "").replace(
          /^time=.*error waiting for container.*\n/m,
          "",
        )
      }`
    );
  const say = async (what: string, args: string[]) => {
    log.push(`${what}: ${masked(await attempt(args))}`);
  };
  const track = async (name: string) => {
    const id = (await s.docker(["inspect", "-f", "{{.Id}}", name])).trim();
    ids.set(id, name);
  };
  const none = ["--network", "none"];
  const sleeper = ["busybox", "sleep", "1000"];
  const fields = "{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}} {{.HostConfig.UTSMode}} " +
    "{{.HostConfig.UsernsMode}} {{.HostConfig.NetworkMode}} {{.HostConfig.ShmSize}} " +
    "{{.Config.Hostname}}";
  const marker = `engine-ns-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(`/dev/shm/${marker}`, "from-host\n");
  try {
    // The default IPC mode, and joining a container that does not share its IPC.
    await s.docker(["run", "-d", "--name", "ns-def", ...none, ...sleeper]);
    await track("ns-def");
    await say("default", ["inspect", "-f", fields, "ns-def"]);
    await say("join private", [
      "run",
      "--rm",
      ...none,
      "--ipc",
      "container:ns-def",
      "busybox",
      "true",
    ]);

    // A shareable donor: its /dev/shm, IPC sysctls, processes and interfaces are seen by
    // the containers joining it.
    await s.docker([
      "run",
      "-d",
      "--name",
      "ns-don",
      ...none,
      "--ipc",
      "shareable",
      "--shm-size",
      "8m",
      "--sysctl",
      "kernel.msgmax=4242",
      "--cap-add",
      "NET_ADMIN",
      "--hostname",
      "donor",
      ...sleeper,
    ]);
    await track("ns-don");
    await s.docker([
      "exec",
      "ns-don",
      "sh",
      "-c",
      "echo from-donor >/dev/shm/f; ip addr add 10.199.9.9/32 dev lo",
    ]);
    const donorNs = await s.docker(["exec", "ns-don", "sh", "-c", NS]);
    remember("DON1", donorNs);
    await say("donor", ["exec", "ns-don", "sh", "-c", `${NS}; mount | grep /dev/shm`]);
    const look = "cat /dev/shm/f; cat /proc/sys/kernel/msgmax; df -k /dev/shm | tail -1; " +
      "mount | grep /dev/shm; hostname; ip -o addr show lo | grep -c 10.199.9.9; " +
      'ps -o pid,comm | grep sleep; cat /etc/hostname; echo "env $HOSTNAME"';
    await say("joiner", [
      "run",
      "--name",
      "ns-j",
      "--network",
      "container:ns-don",
      "--ipc",
      "container:ns-don",
      "--pid",
      "container:ns-don",
      "--shm-size",
      "2m",
      "busybox",
      "sh",
      "-c",
      `${look}; ${NS}`,
    ]);
    await track("ns-j");
    await say("joiner inspect", ["inspect", "-f", fields, "ns-j"]);
    await say("joiner files", [
      "inspect",
      "-f",
      "{{.HostnamePath}} {{.HostsPath}} {{.ResolvConfPath}}",
      "ns-j",
    ]);
    await say("joiner network settings", [
      "inspect",
      "-f",
      "{{json .NetworkSettings.Networks}} [{{.NetworkSettings.SandboxKey}}] " +
      "{{json .NetworkSettings.Ports}}",
      "ns-j",
    ]);

    // Long-running joiners, one namespace each.
    for (
      const [name, opt] of [
        ["ns-ji", ["--ipc", "container:ns-don", ...none]],
        ["ns-jp", ["--pid", "container:ns-don", ...none]],
        ["ns-jn", ["--network", "container:ns-don"]],
      ] as const
    ) {
      await s.docker(["run", "-d", "--name", name, ...opt, ...sleeper]);
      await track(name);
    }
    // A joiner of a joiner: the donor's namespaces (its IPC too, as its /dev/shm is the
    // donor's).
    await say("chain", [
      "run",
      "--name",
      "ns-chain",
      "--ipc",
      "container:ns-ji",
      "--network",
      "container:ns-jn",
      "busybox",
      "sh",
      "-c",
      `cat /dev/shm/f; hostname; ${NS}`,
    ]);
    await track("ns-chain");

    // A user's own /dev/shm replaces the daemon's (size and all) and is not shared; a joiner
    // with its own keeps it.
    const shm = "df -k /dev/shm | tail -1; mount | grep -c ' on /dev/shm '";
    await s.docker([
      "run",
      "-d",
      "--name",
      "ns-ut",
      ...none,
      "--ipc",
      "shareable",
      "--tmpfs",
      "/dev/shm:size=1m",
      ...sleeper,
    ]);
    await track("ns-ut");
    await say("user shm", ["exec", "ns-ut", "sh", "-c", shm]);
    await say("join user shm", [
      "run",
      "--rm",
      ...none,
      "--ipc",
      "container:ns-ut",
      "busybox",
      "true",
    ]);
    await say("private user shm", [
      "run",
      "--rm",
      ...none,
      "--shm-size",
      "2m",
      "-v",
      `${s.dir}:/dev/shm`,
      "busybox",
      "sh",
      "-c",
      "mount | grep -c ' on /dev/shm '; ls /dev/shm",
    ]);
    await say("joiner own shm", [
      "run",
      "--rm",
      ...none,
      "--ipc",
      "container:ns-don",
      "--tmpfs",
      "/dev/shm:size=3m",
      "busybox",
      "sh",
      "-c",
      `${shm}; ls /dev/shm`,
    ]);

    await say("read-only joiner", [
      "run",
      "--rm",
      ...none,
      "--read-only",
      "--ipc",
      "container:ns-don",
      "busybox",
      "sh",
      "-c",
      "touch /dev/shm/g && ls /dev/shm; mount | grep ' on /dev/shm '",
    ]);
    await say("read-only shareable", [
      "run",
      "--rm",
      ...none,
      "--read-only",
      "--ipc",
      "shareable",
      "busybox",
      "sh",
      "-c",
      "touch /dev/shm/g && ls /dev/shm; mount | grep ' on /dev/shm '",
    ]);

    // The other IPC modes.
    await say("ipc none", [
      "run",
      "--name",
      "ns-none",
      ...none,
      "--ipc",
      "none",
      "busybox",
      "sh",
      "-c",
      `ls -d /dev/shm; mount | grep -c shm; ${NS}`,
    ]);
    await track("ns-none");
    await say("join none", [
      "run",
      "--rm",
      ...none,
      "--ipc",
      "container:ns-none",
      "busybox",
      "true",
    ]);
    await say("ipc host", [
      "run",
      "--name",
      "ns-host",
      ...none,
      "--ipc",
      "host",
      "--shm-size",
      "2m",
      "busybox",
      "sh",
      "-c",
      `cat /dev/shm/${marker}; mount | grep -c 'on /dev/shm '; ${NS}`,
    ]);
    await track("ns-host");
    await s.docker(["run", "-d", "--name", "ns-hd", ...none, "--ipc", "host", ...sleeper]);
    await track("ns-hd");
    await say("join host donor", [
      "run",
      "--rm",
      ...none,
      "--ipc",
      "container:ns-hd",
      "busybox",
      "sh",
      "-c",
      `cat /dev/shm/${marker}; readlink /proc/self/ns/ipc`,
    ]);
    await say("ipc private", [
      "run",
      "--name",
      "ns-priv",
      ...none,
      "--ipc",
      "private",
      "--shm-size",
      "1m",
      "busybox",
      "sh",
      "-c",
      "df -k /dev/shm | tail -1; mount | grep /dev/shm",
    ]);
    await track("ns-priv");
    for (const n of ["ns-none", "ns-host", "ns-hd", "ns-priv"]) {
      await say(`inspect ${n}`, ["inspect", "-f", fields, n]);
    }

    // Donors that do not exist or do not run.
    await s.docker(["create", "--name", "ns-cr", ...none, "--ipc", "shareable", ...sleeper]);
    await track("ns-cr");
    for (const opt of ["--ipc", "--pid", "--network"]) {
      await say(`${opt} unknown`, ["run", "--rm", opt, "container:ns-nope", "busybox", "true"]);
      await say(`${opt} created`, ["run", "--rm", opt, "container:ns-cr", "busybox", "true"]);
    }
    await say("create joiner of created", [
      "create",
      "--name",
      "ns-cj",
      ...none,
      "--ipc",
      "container:ns-cr",
      "busybox",
      "true",
    ]);
    await track("ns-cj").catch(() => {});
    await say("start joiner of created", ["start", "ns-cj"]);
    await say("joiner of created state", [
      "inspect",
      "-f",
      "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}",
      "ns-cj",
    ]);
    // Modes the CLI would not send: dockerd creates the container and decides at start.
    const modes: [string, Record<string, string>][] = [
      ["ns-a1", { IpcMode: "bogus" }],
      ["ns-a2", { PidMode: "bogus" }],
      ["ns-a3", { UTSMode: "container:ns-don" }],
      ["ns-a4", { IpcMode: "container:" }],
      ["ns-a5", { PidMode: "container:" }],
    ];
    for (const [name, modeOpts] of modes) {
      const created = await s.api("POST", `/containers/create?name=${name}`, {
        Image: "busybox",
        Cmd: ["true"],
        HostConfig: { NetworkMode: "none", ...modeOpts },
      });
      const started = await s.api("POST", `/containers/${name}/start`);
      log.push(`api ${JSON.stringify(modeOpts)}: ${created.slice(0, 3)} ${masked(started)}`);
    }
    const negative = { NetworkMode: "none", ShmSize: -1 };
    const refused = await s.api("POST", "/containers/create", {
      Image: "busybox",
      HostConfig: negative,
    });
    log.push(`api ShmSize -1: ${refused}`);
    // A network donor is named by its ID once known, else as given (it fails at start); the
    // joiner takes the donor's hostname and files only when it starts.
    await s.docker([
      "create",
      "--name",
      "ns-cn",
      "--network",
      "container:ns-don",
      "busybox",
      "true",
    ]);
    await track("ns-cn");
    await say("created net joiner", [
      "inspect",
      "-f",
      `${fields} [{{.HostnamePath}}] [{{.HostsPath}}]`,
      "ns-cn",
    ]);
    await say("self", [
      "create",
      "--name",
      "ns-self",
      "--network",
      "container:ns-self",
      "busybox",
      "true",
    ]);
    await track("ns-self").catch(() => {});
    await say("self inspect", ["inspect", "-f", "{{.HostConfig.NetworkMode}}", "ns-self"]);
    await say("self start", ["start", "ns-self"]);

    // Options that conflict with another container's network, UTS modes, userns.
    const jn = ["run", "--rm", "--network", "container:ns-don"];
    await say("net -p", [...jn, "-p", "8080:80", "busybox", "true"]);
    await say("net --expose", [...jn, "--expose", "80", "busybox", "true"]);
    await say("net -h", [...jn, "-h", "other", "busybox", "true"]);
    await say("net --dns", [...jn, "--dns", "127.0.0.9", "busybox", "true"]);
    await say("net --add-host", [...jn, "--add-host", "a:1.2.3.4", "busybox", "true"]);
    await say("net --mac-address", [
      ...jn,
      "--mac-address",
      "02:42:ac:11:00:09",
      "busybox",
      "true",
    ]);
    for (
      const opts of [
        ["-P"],
        ["--network-alias", "a"],
        ["--ip", "10.0.0.5"],
        ["--dns-search", "x.test"],
        ["--dns-option", "ndots:1"],
        ["--link", "ns-def:x"],
        ["--domainname", "d.test"],
      ]
    ) {
      const look = "grep -c -e x.test -e ndots:1 /etc/resolv.conf; cat /proc/sys/kernel/domainname";
      await say(`net ${opts[0]}`, [...jn, ...opts, "busybox", "sh", "-c", look]);
    }
    await say("uts container", [
      "run",
      "--rm",
      ...none,
      "--uts",
      "container:ns-don",
      "busybox",
      "true",
    ]);
    await say("uts host -h", [
      "run",
      "--rm",
      ...none,
      "--uts",
      "host",
      "-h",
      "x",
      "busybox",
      "true",
    ]);
    await say("uts host", [
      "run",
      "--name",
      "ns-uh",
      ...none,
      "--uts",
      "host",
      "busybox",
      "sh",
      "-c",
      `hostname; cat /etc/hostname; ${NS}`,
    ]);
    await track("ns-uh");
    await say("pid host", [
      "run",
      "--rm",
      ...none,
      "--pid",
      "host",
      "busybox",
      "sh",
      "-c",
      `test -d /proc/${Deno.pid} && echo sees the host; readlink /proc/self/ns/pid`,
    ]);
    await say("net connect joiner", ["network", "connect", "none", "ns-jn"]);
    await say("port joiner", ["port", "ns-jn"]);
    log.push(`host name: ${Deno.hostname()}`);
    await say("userns host", [
      "run",
      "--name",
      "ns-us",
      ...none,
      "--userns",
      "host",
      "busybox",
      "cat",
      "/proc/self/uid_map",
    ]);
    await track("ns-us");
    for (const n of ["ns-uh", "ns-us"]) await say(`inspect ${n}`, ["inspect", "-f", fields, n]);

    // The donor stops: the IPC and network joiners keep what they joined, the PID joiner
    // dies with the namespace's init; no new joiner starts.
    const shmMounts = async () => {
      const id = [...ids].find(([, n]) => n === "ns-don")![0];
      const lines = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n");
      return lines.filter((l) => l.includes(`${id}/mounts/shm `)).length;
    };
    log.push(`donor shm mounted: ${await shmMounts()}`);
    await s.docker(["stop", "-t", "0", "ns-don"]);
    log.push(`donor shm mounted after stop: ${await shmMounts()}`);
    await say("pid joiner exit", ["wait", "ns-jp"]);
    await say("ipc joiner after stop", [
      "exec",
      "ns-ji",
      "sh",
      "-c",
      "cat /dev/shm/f /proc/sys/kernel/msgmax; readlink /proc/self/ns/ipc",
    ]);
    await say("net joiner after stop", [
      "exec",
      "ns-jn",
      "sh",
      "-c",
      "ip -o addr show lo | grep -c 10.199.9.9; hostname",
    ]);
    for (const opt of ["--ipc", "--pid", "--network"]) {
      await say(`${opt} stopped`, ["run", "--rm", opt, "container:ns-don", "busybox", "true"]);
    }
    await say("restart joiner of stopped", ["restart", "-t", "0", "ns-ji"]);
    // The donor starts again with new namespaces and a new /dev/shm; a joiner restarted
    // then joins them.
    await s.docker(["start", "ns-don"]);
    // The first run's namespaces are gone (their numbers may come back for others).
    for (const [ns, label] of known) if (label === "DON1") known.delete(ns);
    remember("DON2", await s.docker(["exec", "ns-don", "sh", "-c", NS]));
    await say("donor again", ["exec", "ns-don", "sh", "-c", `ls /dev/shm; ${NS}`]);
    await say("ipc joiner before restart", [
      "exec",
      "ns-ji",
      "sh",
      "-c",
      "ls /dev/shm; readlink /proc/self/ns/ipc",
    ]);
    await s.docker(["restart", "-t", "0", "ns-ji", "ns-jp", "ns-jn"]);
    for (const n of ["ns-ji", "ns-jp", "ns-jn"]) {
      await say(`${n} restarted`, ["exec", n, "sh", "-c", `ls /dev/shm; hostname; ${NS}`]);
    }
    // A donor removed: the joiner cannot start again.
    await s.docker(["rm", "-f", "ns-don"]);
    await say("restart joiner of removed", ["restart", "-t", "0", "ns-jn"]);
    await s.docker(["stop", "-t", "0", "ns-ji"]);
    await say("start joiner of removed", ["start", "ns-ji"]);
    const ps = await s.docker([
      "ps",
      "-a",
      "--no-trunc",
      "--filter",
      "name=ns-",
      "--format",
      "{{.Names}}|{{.Command}}|{{.Status}}|{{.Ports}}|{{.Networks}}",
    ]);
    log.push(
      `ps: ${
        masked(ps).split("\n").map((l) => l.replace(/(Up|Exited \(\d+\)|Created).*?\|/, "$1|"))
          .sort().join("\n")
      }`,
    );
  } finally {
    await s.docker(["rm", "-f", ...NAMES]).catch(() => "");
    await Deno.remove(`/dev/shm/${marker}`).catch(() => {});
  }
  // IDs last: some show up before their container is known.
  return log.map((l) => {
    for (const [id, name] of ids) {
      l = l.replaceAll(id, `<${name}>`).replaceAll(id.slice(0, 12), `<${name}>`);
    }
    return l.replaceAll(marker, "MARKER").replaceAll(Deno.hostname(), "HOSTNAME");
  });
}

/** The daemon's default-ipc-mode and default-shm-size (shareable, 32M) as containers see them. */
async function defaults(s: Side): Promise<string[]> {
  const log: string[] = [];
  const say = async (what: string, args: string[]) => {
    const out = await s.docker(args).catch((e) => `ERR ${e.message.replace(/^docker .*?: /, "")}`);
    log.push(`${what}: ${out.trim()}`);
  };
  const shm = ["sh", "-c", "df -k /dev/shm | tail -1; mount | grep /dev/shm"];
  try {
    await s.docker([
      "run",
      "-d",
      "--name",
      "nd-a",
      "--network",
      "none",
      "busybox",
      "sleep",
      "1000",
    ]);
    await say("default", [
      "inspect",
      "-f",
      "{{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}}",
      "nd-a",
    ]);
    await say("default sees", ["exec", "nd-a", ...shm]);
    await say("joiner", [
      "run",
      "--rm",
      "--network",
      "none",
      "--ipc",
      "container:nd-a",
      "busybox",
      ...shm,
    ]);
    await say("private", [
      "run",
      "--name",
      "nd-p",
      "--network",
      "none",
      "--ipc",
      "private",
      "busybox",
      ...shm,
    ]);
    await say("private inspect", [
      "inspect",
      "-f",
      "{{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}}",
      "nd-p",
    ]);
    await say("own size", [
      "run",
      "--rm",
      "--network",
      "none",
      "--shm-size",
      "1m",
      "busybox",
      ...shm,
    ]);
  } finally {
    await s.docker(["rm", "-f", "nd-a", "nd-p"]).catch(() => "");
  }
  return log;
}

const DEFAULTS_EXPECTED: string[] = [
  "default: shareable 33554432",
  "default sees: shm                      32768         0     32768   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=32768k)",
  "joiner: shm                      32768         0     32768   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=32768k)",
  "private: shm                      32768         0     32768   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=32768k)",
  "private inspect: private 33554432",
  "own size: shm                       1024         0      1024   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=1024k)",
];

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED: string[] = [
  "default: private    none 67108864 <ns-def>",
  "join private: ERR docker: Error response from daemon: can't join IPC of container <ns-def>: non-shareable IPC (hint: use IpcMode:shareable for the donor container).",
  "donor: ipc:DON1\npid:DON1\nuts:DON1\nnet:DON1\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=8192k)",
  "joiner: from-donor\n4242\nshm                       8192         4      8188   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=8192k)\ndonor\n1\n    1 sleep\ndonor\nenv donor\nipc:DON1\npid:DON1\nuts:OWN\nnet:DON1",
  "joiner inspect: container:<ns-don> container:<ns-don>   container:<ns-don> 2097152 donor",
  "joiner files: /DATA/containers/<ns-don>/hostname /DATA/containers/<ns-don>/hosts /DATA/containers/<ns-don>/resolv.conf",
  "joiner network settings: {} [] {}",
  "chain: from-donor\ndonor\nipc:DON1\npid:OWN\nuts:OWN\nnet:DON1",
  "user shm: tmpfs                     1024         0      1024   0% /dev/shm\n1",
  "join user shm: ERR docker: Error response from daemon: can't join IPC of container <ns-ut>: non-shareable IPC (hint: use IpcMode:shareable for the donor container).",
  "private user shm: 1",
  "joiner own shm: tmpfs                     3072         0      3072   0% /dev/shm\n1",
  "read-only joiner: f\ng\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=8192k)",
  "read-only shareable: g\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=65536k)",
  "ipc none: 0\nipc:OWN\npid:OWN\nuts:OWN\nnet:OWN",
  "join none: ERR docker: Error response from daemon: can't join IPC of container <ns-none>: container <ns-none> is not running.",
  "ipc host: from-host\n1\nipc:HOST\npid:OWN\nuts:OWN\nnet:OWN",
  "join host donor: from-host\nipc:HOST",
  "ipc private: shm                       1024         0      1024   0% /dev/shm\nshm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,relatime,size=1024k)",
  "inspect ns-none: none    none 67108864 <ns-none>",
  "inspect ns-host: host    none 2097152 <ns-host>",
  "inspect ns-hd: host    none 67108864 <ns-hd>",
  "inspect ns-priv: private    none 1048576 <ns-priv>",
  "--ipc unknown: ERR docker: Error response from daemon: No such container: ns-nope.\nSee 'docker run --help'.",
  "--ipc created: ERR docker: Error response from daemon: can't join IPC of container <ns-cr>: container <ns-cr> is not running.",
  "--pid unknown: ERR docker: Error response from daemon: No such container: ns-nope.\nSee 'docker run --help'.",
  "--pid created: ERR docker: Error response from daemon: container <ns-cr> is not running.",
  "--network unknown: ERR docker: Error response from daemon: No such container: ns-nope.",
  "--network created: ERR docker: Error response from daemon: cannot join network of a non running container: <ns-cr>.",
  "create joiner of created: <ns-cj>",
  "start joiner of created: ERR Error response from daemon: can't join IPC of container <ns-cr>: container <ns-cr> is not running\nError: failed to start containers: ns-cj",
  "joiner of created state: created 128 can't join IPC of container <ns-cr>: container <ns-cr> is not running",
  'api {"IpcMode":"bogus"}: 201 500 {"message":"Invalid IPC mode: bogus"}',
  'api {"PidMode":"bogus"}: 201 204',
  'api {"UTSMode":"container:ns-don"}: 201 204',
  'api {"IpcMode":"container:"}: 201 500 {"message":"can\'t join IPC of container : invalid name or ID supplied: \\"\\""}',
  'api {"PidMode":"container:"}: 201 500 {"message":"cannot join PID of a non running container: : invalid name or ID supplied: \\"\\""}',
  'api ShmSize -1: 400 {"message":"SHM size can not be less than 0"}',
  "created net joiner: private    container:<ns-don> 67108864 <ns-cn> [] []",
  "self: <ns-self>",
  "self inspect: container:ns-self",
  "self start: ERR Error response from daemon: cannot join own network\nError: failed to start containers: ns-self",
  "net -p: ERR docker: Error response from daemon: conflicting options: port publishing and the container type network mode.\nSee 'docker run --help'.",
  "net --expose: ERR docker: Error response from daemon: conflicting options: port exposing and the container type network mode.\nSee 'docker run --help'.",
  "net -h: ERR docker: Error response from daemon: conflicting options: hostname and the network mode.\nSee 'docker run --help'.",
  "net --dns: ERR WARNING: Localhost DNS setting (--dns=127.0.0.9) may fail in containers.\ndocker: Error response from daemon: conflicting options: dns and the network mode.\nSee 'docker run --help'.",
  "net --add-host: ERR docker: Error response from daemon: conflicting options: custom host-to-IP mapping and the network mode.\nSee 'docker run --help'.",
  "net --mac-address: ERR docker: Error response from daemon: conflicting options: mac-address and the network mode.\nSee 'docker run --help'.",
  "net -P: ERR docker: Error response from daemon: conflicting options: port publishing and the container type network mode.\nSee 'docker run --help'.",
  "net --network-alias: ERR docker: network-scoped aliases are only supported for user-defined networks.\nSee 'docker run --help'.",
  "net --ip: 0\n(none)",
  "net --dns-search: 0\n(none)",
  "net --dns-option: 0\n(none)",
  "net --link: ERR docker: links are only supported for user-defined networks.\nSee 'docker run --help'.",
  "net --domainname: 0\n(none)",
  "uts container: ERR docker: --uts: invalid UTS mode.\nSee 'docker run --help'.",
  "uts host -h: ERR docker: Error response from daemon: conflicting options: hostname and the UTS mode.\nSee 'docker run --help'.",
  "uts host: HOSTNAME\n<ns-uh>\nipc:OWN\npid:OWN\nuts:HOST\nnet:OWN",
  "pid host: sees the host\npid:HOST",
  "net connect joiner: ERR Error response from daemon: container sharing network namespace with another container or host cannot be connected to any other network",
  "port joiner: ",
  "host name: HOSTNAME",
  "userns host: 0          0 4294967295",
  "inspect ns-uh: private  host  none 67108864 <ns-uh>",
  "inspect ns-us: private   host none 67108864 <ns-us>",
  "donor shm mounted: 1",
  "donor shm mounted after stop: 0",
  "pid joiner exit: 137",
  "ipc joiner after stop: from-donor\n4242\nipc:DON1",
  "net joiner after stop: 1\ndonor",
  "--ipc stopped: ERR docker: Error response from daemon: can't join IPC of container <ns-don>: container <ns-don> is not running.",
  "--pid stopped: ERR docker: Error response from daemon: container <ns-don> is not running.",
  "--network stopped: ERR docker: Error response from daemon: cannot join network of a non running container: <ns-don>.",
  "restart joiner of stopped: ERR Error response from daemon: Cannot restart container ns-ji: can't join IPC of container <ns-don>: container <ns-don> is not running",
  "donor again: ipc:DON2\npid:DON2\nuts:DON2\nnet:DON2",
  "ipc joiner before restart: ERR Error response from daemon: Container <ns-ji> is not running",
  "ns-ji restarted: <ns-ji>\nipc:DON2\npid:OWN\nuts:OWN\nnet:OWN",
  "ns-jp restarted: <ns-jp>\nipc:OWN\npid:DON2\nuts:OWN\nnet:OWN",
  "ns-jn restarted: donor\nipc:OWN\npid:OWN\nuts:OWN\nnet:DON2",
  "restart joiner of removed: ERR Error response from daemon: Cannot restart container ns-jn: No such container: <ns-don>",
  "start joiner of removed: ERR Error response from daemon: can't join IPC of container <ns-don>: No such container: <ns-don>\nError: failed to start containers: ns-ji",
  'ps: ns-a1|"true"|Created||none\nns-a2|"true"|Exited (0)||none\nns-a3|"true"|Exited (0)||none\nns-a4|"true"|Created||none\nns-a5|"true"|Created||none\nns-chain|"sh -c \'cat /dev/shm/f; hostname; for n in ipc pid uts net; do readlink /proc/self/ns/$n; done\'"|Exited (0)||\nns-cj|"true"|Created||none\nns-cn|"true"|Created||\nns-cr|"sleep 1000"|Created||none\nns-def|"sleep 1000"|Up||none\nns-hd|"sleep 1000"|Up||none\nns-host|"sh -c \'cat /dev/shm/MARKER; mount | grep -c \'on /dev/shm \'; for n in ipc pid uts net; do readlink /proc/self/ns/$n; done\'"|Exited (0)||none\nns-ji|"sleep 1000"|Exited (137)||none\nns-jn|"sleep 1000"|Exited (137)||\nns-jp|"sleep 1000"|Exited (137)||none\nns-j|"sh -c \'cat /dev/shm/f; cat /proc/sys/kernel/msgmax; df -k /dev/shm | tail -1; mount | grep /dev/shm; hostname; ip -o addr show lo | grep -c 10.199.9.9; ps -o pid,comm | grep sleep; cat /etc/hostname; echo \\"env $HOSTNAME\\"; for n in ipc pid uts net; do readlink /proc/self/ns/$n; done\'"|Exited (0)||\nns-none|"sh -c \'ls -d /dev/shm; mount | grep -c shm; for n in ipc pid uts net; do readlink /proc/self/ns/$n; done\'"|Exited (0)||none\nns-priv|"sh -c \'df -k /dev/shm | tail -1; mount | grep /dev/shm\'"|Exited (0)||none\nns-self|"true"|Created||\nns-uh|"sh -c \'hostname; cat /etc/hostname; for n in ipc pid uts net; do readlink /proc/self/ns/$n; done\'"|Exited (0)||none\nns-us|"cat /proc/self/uid_map"|Exited (0)||none\nns-ut|"sleep 1000"|Up||none',
];

Deno.test({
  name: "run namespaces: --ipc, --pid, --uts, --userns, --network container: beside dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async (t) => {
  const d = await startDaemon();
  try {
    await t.step("our daemon", async () => {
      assertEquals(await scenario(await ourSide(d)), EXPECTED);
    });
    await t.step("Debian's dockerd", async () => {
      assertEquals(await onDockerd(d, scenario), EXPECTED);
    });
    // The daemon's defaults for containers that name no IPC mode or /dev/shm size.
    const config = { "default-ipc-mode": "shareable", "default-shm-size": "32M" };
    await t.step("defaults: Debian's dockerd", async () => {
      assertEquals(await onDockerd(d, defaults, config), DEFAULTS_EXPECTED);
    });
    await t.step("defaults: our daemon", async () => {
      await d.stop();
      await d.restart(["--default-ipc-mode", "shareable", "--default-shm-size", "32M"]);
      assertEquals(await defaults(await ourSide(d)), DEFAULTS_EXPECTED);
    });
  } finally {
    await d.close();
  }
});
