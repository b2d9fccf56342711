// GET /containers/{id}/json, /containers/json, /stats, /exec/{id}/json and the docker CLI
// views built on them (inspect -s, inspect -f templates, port, stats --no-stream) field for
// field as Debian's dockerd 20.10 answers them, for containers made by the CLI with a spread
// of options and by bare API creates: one transcript run on our daemon and on a private
// dockerd, what legitimately differs (ids, times, paths under the daemon's root, pids,
// addresses, counters, Go map order) normalised away, the rest compared as a deep diff: keys,
// their order, types, null vs [] vs {}, values. FIDELITY_DUMP=<prefix> writes both sides'
// normalised answers to <prefix>.ours.json and <prefix>.dockerd.json.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const HEX64 = /\b[0-9a-f]{64}\b/g;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

const byDestination = (a: unknown, b: unknown) =>
  String((a as { Destination: string }).Destination)
    .localeCompare(String((b as { Destination: string }).Destination));

/** Values that differ between two daemons for no fault of either, masked. */
function normalise(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => normalise(x, key));
    // dockerd's order of both is a Go map's (random); the CLI sends -v's binds from one.
    if (key === "Mounts") out.sort(byDestination);
    if (key === "Binds") out.sort();
    // The list's Ports: dockerd ranges over the map (random order).
    if (key === "Ports") out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    // The CLI passes -e through a map (its proxy settings' merge): random order too.
    if (key === "Env") out.sort();
    // Checks at 1s intervals: how many ran by now is timing.
    if (key === "Log") return out.slice(0, 1);
    // Ours masks /sys/devices/virtual/powercap too (as newer dockerd does).
    if (key === "MaskedPaths") return out.filter((p) => p !== "/sys/devices/virtual/powercap");
    return out;
  }
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // Our storage is containerd's overlay snapshotter: other paths, no -init layer, and the
      // rootfs is mounted (merged) in the task's bundle while it runs, not under the root.
      if (key === "GraphDriver" && k === "Data" && x) {
        out[k] = Object.fromEntries(Object.keys(x).map((p) => [p, "<PATH>"]));
        continue;
      }
      out[maskId(k)] = normalise(x, k);
    }
    return out;
  }
  if (typeof v === "number") {
    if (["Pid", "SizeRw", "SizeRootFs", "HostPort", "PublicPort", "Created"].includes(key)) {
      return v > 0 ? "<N>" : v;
    }
    return v;
  }
  if (typeof v !== "string") return v;
  if (key === "Runtime" && v === "engine") return "runc"; // our built-in runc's name
  // The list's Status: "Up 3 seconds", "Exited (3) 2 seconds ago".
  if (key === "Status") {
    return v.replace(/(Less than a second|\d+ seconds?|About a minute)/, "<DUR>");
  }
  if (TIME.test(v) && !v.startsWith("0001-01-01")) return "<TIME>";
  if (IPV4.test(v) && !["0.0.0.0", "127.0.0.1"].includes(v)) return "<IP>";
  if (MAC.test(v)) return "<MAC>";
  if (key === "HostPort" && v) return "<PORT>";
  if (/^[0-9a-f]{12}$/.test(v)) return "<SHORT>"; // hostnames, aliases
  return maskId(v);
}

function maskId(s: string): string {
  return s
    .replaceAll(/\/tmp\/[^/:]+\//g, "<TMP>/")
    // The sandbox's namespace file (exec-roots: ours "r", the reference's "exec"); dockerd
    // names it by the sandbox id's first 12 digits, ours by the container id.
    .replace(/^<TMP>\/(r|exec)\/netns\//, "<EXEC>/netns/")
    .replace(/^<EXEC>\/netns\/[0-9a-f]{12}([0-9a-f]{52})?$/, "<EXEC>/netns/<NS>")
    .replaceAll(HEX64, "<ID>");
}

/**
 * The value's shape: object keys, element shapes, null, and scalar types. A blkio list is
 * "list" whether empty or not (whether a container read from disk yet is timing).
 */
function shape(v: unknown, key = ""): unknown {
  if (v === null) return null;
  if (Array.isArray(v) && key.endsWith("_recursive")) return "list";
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === "object") {
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x, k)]));
  }
  return typeof v;
}

/** Paths where `a` and `b` differ, each with both values. */
function diff(a: unknown, b: unknown, path = ""): string[] {
  if (a && b && typeof a === "object" && typeof b === "object") {
    if (Array.isArray(a) !== Array.isArray(b)) return [`${path}: ${show(a)} vs ${show(b)}`];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const out: string[] = [];
    // The docker CLI prints inspect's JSON as the daemon wrote it: the order shows.
    const order = (o: object) => Object.keys(o).join(",");
    const sameKeys = keys.size === Object.keys(a).length && keys.size === Object.keys(b).length;
    if (sameKeys && order(a) !== order(b)) {
      out.push(`${path}: key order ${order(a)} vs ${order(b)}`);
    }
    for (const k of keys) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (!(k in (a as object))) out.push(`${path}.${k}: missing vs ${show(y)}`);
      else if (!(k in (b as object))) out.push(`${path}.${k}: ${show(x)} vs missing`);
      else out.push(...diff(x, y, `${path}.${k}`));
    }
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${show(a)} vs ${show(b)}`];
}

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 300);

const NAMES = [
  "fi-plain",
  "fi-run",
  "fi-mem",
  "fi-cpu",
  "fi-env",
  "fi-vols",
  "fi-opts",
  "fi-health",
  "fi-log",
  "fi-host",
  "fi-user",
  "fi-ucreated",
  "fi-hrun",
  "fi-exit",
  "fi-pause",
  "fi-tty",
  "fi-byid",
  "fi-nolog",
  "fi-priv",
  "fi-publish",
  "fi-mounts",
  "fi-retry",
  "fi-raw",
  "fi-raw2",
];

/** Lines of a stream's first `n` frames (curl stops after `secs`). */
async function streamed(s: Side, path: string, secs: number): Promise<string[]> {
  const out = await new Deno.Command("curl", {
    args: ["-sN", "--max-time", String(secs), "--unix-socket", s.socket, `http://127.0.0.1${path}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

/** POST `body` to the API (what SDKs and compose send: no CLI filling the defaults). */
async function post(s: Side, path: string, body: unknown): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "--unix-socket",
      s.socket,
      "-H",
      "Content-Type: application/json",
      "-d",
      JSON.stringify(body),
      `http://127.0.0.1/v1.41${path}`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function scenario(s: Side): Promise<Record<string, unknown>> {
  const got: Record<string, unknown> = {};
  const api = async (path: string) => {
    const text = await s.api("GET", path);
    const i = text.indexOf(" ");
    return { status: text.slice(0, i), json: JSON.parse(text.slice(i + 1) || "null") };
  };
  const docker = (args: string[]) =>
    s.docker(args).catch((e) => `ERR ${(e as Error).message.replace(/^docker .*?: /, "")}`);
  await Deno.mkdir(`${s.dir}/bind`, { recursive: true });
  const none = ["--network", "none"];
  try {
    await s.docker(["network", "create", "--subnet", "10.251.77.0/24", "fi-net"]);
    await s.docker(["volume", "create", "fi-vol"]);
    await s.docker(["create", "--name", "fi-plain", ...none, "busybox", "sh"]);
    await s.docker(["run", "-d", "--name", "fi-run", ...none, "busybox", "sleep", "1000"]);
    await s.docker(["create", "--name", "fi-mem", ...none, "-m", "64m", "busybox", "sh"]);
    await s.docker([
      "create",
      "--name",
      "fi-cpu",
      ...none,
      "--cpus",
      "0.5",
      "--cpu-shares",
      "512",
      "--pids-limit",
      "100",
      "busybox",
      "sh",
    ]);
    await s.docker(
      ["create", "--name", "fi-env", ...none, "-e", "A=1", "-e", "B", "-l", "k=v", "busybox", "sh"],
    );
    await s.docker([
      "create",
      "--name",
      "fi-vols",
      ...none,
      "-v",
      `${s.dir}/bind:/b:ro`,
      "-v",
      "fi-vol:/n",
      "-v",
      "/anon",
      "--tmpfs",
      "/t:size=1m",
      "busybox",
      "sh",
    ]);
    await s.docker([
      "run",
      "-d",
      "--name",
      "fi-opts",
      ...none,
      "--restart",
      "on-failure:3",
      "--init",
      "--read-only",
      "--cap-add",
      "NET_ADMIN",
      "--cap-drop",
      "CHOWN",
      "--security-opt",
      "no-new-privileges",
      "-u",
      "1000:1000",
      "-w",
      "/tmp",
      "--entrypoint",
      "/bin/sh",
      "busybox",
      "-c",
      "sleep 1000",
    ]);
    await s.docker([
      "run",
      "-d",
      "--name",
      "fi-health",
      ...none,
      "--health-cmd",
      "true",
      "--health-interval",
      "1s",
      "busybox",
      "sleep",
      "1000",
    ]);
    await s.docker([
      "create",
      "--name",
      "fi-log",
      ...none,
      "--log-opt",
      "max-size=1m",
      "--log-opt",
      "max-file=2",
      "--stop-signal",
      "SIGUSR1",
      "--stop-timeout",
      "5",
      "busybox",
      "sh",
    ]);
    await s.docker(["create", "--name", "fi-host", "--network", "host", "busybox", "sh"]);
    await s.docker([
      "run",
      "-d",
      "--name",
      "fi-user",
      "--network",
      "fi-net",
      "-p",
      "127.0.0.1::80",
      "-p",
      "127.0.0.1::53/udp",
      "--expose",
      "7000",
      "busybox",
      "sleep",
      "1000",
    ]);
    await s.docker(["create", "--name", "fi-ucreated", "--network", "fi-net", "busybox", "sh"]);
    await s.docker([
      "run",
      "-d",
      "--name",
      "fi-hrun",
      "--network",
      "host",
      "busybox",
      "sleep",
      "1000",
    ]);
    await s.docker(["run", "-d", "--name", "fi-exit", ...none, "busybox", "sh", "-c", "exit 3"]);
    await s.docker(["wait", "fi-exit"]);
    await s.docker(["run", "-d", "--name", "fi-pause", ...none, "busybox", "sleep", "1000"]);
    await s.docker(["pause", "fi-pause"]);
    await s.docker([
      "create",
      "--name",
      "fi-tty",
      ...none,
      "-it",
      "-h",
      "h1",
      "--domainname",
      "example.com",
      "busybox:latest",
      "sh",
    ]);
    const imageId = (await s.docker(["images", "-q", "busybox"])).trim();
    await s.docker(["create", "--name", "fi-byid", ...none, imageId, "sh"]);
    await s.docker([
      "run",
      "-d",
      "--name",
      "fi-nolog",
      ...none,
      "--log-driver",
      "none",
      "busybox",
      "sleep",
      "1000",
    ]);
    await s.docker(["create", "--name", "fi-priv", ...none, "--privileged", "busybox", "sh"]);
    await s.docker([
      "create",
      "--name",
      "fi-publish",
      "--network",
      "fi-net",
      "-P",
      "--expose",
      "8080",
      "--mac-address",
      "02:42:0a:00:00:09",
      "busybox",
      "sh",
    ]);
    await s.docker([
      "create",
      "--name",
      "fi-mounts",
      ...none,
      "--mount",
      "type=volume,dst=/mv",
      "--mount",
      `type=bind,src=${s.dir}/bind,dst=/mb,readonly`,
      "--mount",
      "type=tmpfs,dst=/mt,tmpfs-size=1048576",
      "--mount",
      "type=volume,src=fi-vol,dst=/mn,volume-nocopy",
      "busybox",
      "sh",
    ]);
    // Stopped by the daemon: SIGTERM ignored by a pid 1 sleep, then SIGKILL (137).
    await s.docker(["stop", "-t", "1", "fi-nolog"]);
    // A bare API create: every default is the daemon's.
    await post(s, "/containers/create?name=fi-raw", {
      Image: "busybox",
      Cmd: ["sh"],
      HostConfig: { NetworkMode: "none" },
    });
    await post(s, "/containers/create?name=fi-raw2", {
      Image: "busybox",
      Entrypoint: "sh",
      Cmd: "-c true",
      Env: null,
      Labels: null,
      ExposedPorts: { "80/tcp": {} },
      Healthcheck: { Test: ["NONE"] },
      StopTimeout: 0,
      HostConfig: {
        NetworkMode: "none",
        Memory: 67108864,
        MemorySwap: -1,
        Binds: [`${s.dir}/bind:/b`],
        Tmpfs: { "/t2": "", "/t1": "size=1m" },
        Sysctls: { "net.ipv4.ip_forward": "1" },
        Init: false,
        RestartPolicy: { Name: "always" },
        CapAdd: "NET_ADMIN",
      },
    });
    // One exec still running, one done (dockerd keeps both in ExecIDs until its GC).
    await s.docker(["exec", "-d", "fi-run", "sleep", "1000"]);
    await s.docker(["exec", "fi-run", "true"]);
    await s.docker(
      ["run", "-d", "--name", "fi-retry", ...none, "--restart", "on-failure:2", "busybox", "false"],
    );
    for (let i = 0; i < 100; i++) {
      const r = await docker(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "fi-retry"]);
      if (r.trim() === "exited 2") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 100; i++) {
      const h = await docker(["inspect", "-f", "{{.State.Health.Status}}", "fi-health"]);
      if (h.trim() === "healthy") break;
      await new Promise((r) => setTimeout(r, 100));
    }

    for (const n of NAMES) got[`inspect ${n}`] = normalise(await api(`/containers/${n}/json`));
    // A health probe is an exec while it runs (1 s interval): whether inspect catches one
    // in ExecIDs is timing, on either daemon.
    const health = got["inspect fi-health"] as { json: { ExecIDs?: unknown } };
    health.json.ExecIDs = "<probes>";
    got["inspect size"] = normalise(await api("/containers/fi-plain/json?size=1"));
    got["inspect missing"] = await api("/containers/fi-nope/json");
    // The exec still running (the CLI reads an exec's ExitCode from this).
    const execs = (await api("/containers/fi-run/json")).json.ExecIDs as string[];
    got["exec inspect"] = normalise(await api(`/exec/${execs[0]}/json`));
    // The list's entries (ps --format '{{json .}}' and compose read them), by name.
    const listed = (await api("/containers/json?all=1&size=1")).json as { Names: string[] }[];
    for (const c of listed.sort((a, b) => a.Names[0].localeCompare(b.Names[0]))) {
      got[`list ${c.Names[0]}`] = normalise(c);
    }

    // Stats: shapes (the counters differ), a one-shot frame, a stream=false one and the first
    // two streamed frames (precpu_stats empty on the first).
    for (const n of ["fi-run", "fi-user", "fi-plain", "fi-hrun", "fi-pause"]) {
      got[`stats ${n}`] = shape((await api(`/containers/${n}/stats?stream=false`)).json);
    }
    got["stats one-shot"] = shape(
      (await api("/containers/fi-run/stats?stream=false&one-shot=true")).json,
    );
    const frames = await streamed(s, "/v1.41/containers/fi-user/stats", 2.5);
    got["stats streamed"] = frames.slice(0, 2).map((f) => shape(JSON.parse(f)));
    const line = await docker(["stats", "--no-stream", "--format", "{{json .}}", "fi-run"]);
    got["stats --format json"] = shape(JSON.parse(line.startsWith("ERR") ? "null" : line));
    // libnetwork turns IPv6 off in a sandbox on networks without it: nothing is sent
    // (router solicitations) that the stats would count.
    const ipv6 = "cd /proc/sys/net/ipv6/conf; grep . */disable_ipv6; ip -6 addr";
    got["ipv6 user"] = await docker(["exec", "fi-user", "sh", "-c", ipv6]);
    got["ipv6 none"] = await docker(["exec", "fi-run", "sh", "-c", ipv6]);
    // The table, sizes and percentages masked (what a container reads or gets sent is
    // timing): its columns and rows.
    const table = await docker(["stats", "--no-stream", "fi-run", "fi-user", "fi-plain"]);
    got["stats table"] = table
      .replaceAll(/\b[0-9a-f]{12}\b/g, "<SHORT>")
      .replaceAll(/\b[\d.]+[kKMG]?i?B\b/g, "<SIZE>")
      .replaceAll(/[\d.]+%/g, "<PCT>")
      .split("\n").map((l) => l.replaceAll(/ +/g, " ")).sort();

    // The CLI views.
    const fmt = (n: string, f: string) => docker(["inspect", "--type", "container", "-f", f, n]);
    got["inspect -s"] = normalise(
      JSON.parse(await docker(["container", "inspect", "-s", "fi-run"])),
    );
    got["-f health"] = await fmt("fi-health", "{{.State.Health.Status}}");
    got["-f ports"] = normalise(
      JSON.parse(await fmt("fi-user", "{{json .NetworkSettings.Ports}}")),
    );
    got["-f ports plain"] = await fmt("fi-plain", "{{json .NetworkSettings.Ports}}");
    got["-f mounts"] = (await fmt(
      "fi-vols",
      "{{range .Mounts}}{{.Destination}} {{.Type}} {{.Name}} {{.RW}} {{.Mode}};{{end}}",
    )).replaceAll(HEX64, "<ID>").split(";").sort();
    got["-f ip"] = normalise(
      (await fmt("fi-user", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")).trim(),
    );
    got["-f restart"] = await fmt(
      "fi-opts",
      "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
    );
    got["-f missing key"] = await fmt("fi-plain", "{{.State.Health.Status}}");
    // The CLI lists the Ports map as Go ranges over it: in random order.
    got["port"] = (await docker(["port", "fi-user"])).replaceAll(/:\d+$/gm, ":<PORT>")
      .split("\n").sort();
    got["port 80"] = (await docker(["port", "fi-user", "80"])).replaceAll(/:\d+$/gm, ":<PORT>");
    got["port none"] = await docker(["port", "fi-run"]);
    got["port 9"] = await docker(["port", "fi-user", "9"]);
    // A health-checked container stopped: its health status (a probe cut short by the stop
    // may count as a failure or not, on either daemon).
    await s.docker(["stop", "-t", "1", "fi-health"]);
    got["health stopped"] = await fmt("fi-health", "{{.State.Status}} {{.State.Health.Status}}");
    return got;
  } finally {
    await s.docker(["rm", "-f", "-v", ...NAMES]).catch(() => {});
    await s.docker(["network", "rm", "fi-net"]).catch(() => {});
    await s.docker(["volume", "rm", "fi-vol"]).catch(() => {});
  }
}

Deno.test({
  name: "inspect, stats, port and inspect templates: field for field as Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    const ours = await scenario(await ourSide(d));
    const theirs = await onDockerd(d, scenario);
    if (Deno.env.get("FIDELITY_DUMP")) {
      const dump = Deno.env.get("FIDELITY_DUMP");
      await Deno.writeTextFile(`${dump}.ours.json`, JSON.stringify(ours, null, 1));
      await Deno.writeTextFile(`${dump}.dockerd.json`, JSON.stringify(theirs, null, 1));
    }
    // Each line: the path, our value, then dockerd's.
    assertEquals(diff(ours, theirs), []);
  } finally {
    await d.close();
  }
});
