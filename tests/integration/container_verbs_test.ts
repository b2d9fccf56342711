// The container verbs other than run (kill, rename, exec, wait, update, logs, ps, prune,
// cp, start) as dockerd 20.10 answers them, their error words included: one transcript run
// on our daemon and on a private Debian dockerd (EXPECTED is dockerd's).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const NAMES = ["cv-run", "cv-mem", "cv-vol", "cv-bad", "cv-oom", "cv-tty"];

/** Fails after `ms` instead of waiting for ever (a daemon that keeps a container locked). */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function scenario(s: Side): Promise<string[]> {
  const ids = new Map<string, string>();
  const masked = (text: string) => {
    for (const [id, name] of ids) text = text.replaceAll(id, `<${name}>`);
    return text.trim();
  };
  const log: string[] = [];
  // stdout, or the error's words (exit code aside: the CLI's is 1 for all of these).
  const say = async (what: string, args: string[]) => {
    const out = await s.docker(args).catch((e) => `ERR ${e.message.replace(/^docker .*?: /, "")}`);
    log.push(`${what}: ${masked(out)}`);
  };
  const api = async (what: string, method: string, path: string) => {
    log.push(`${what}: ${masked(await s.api(method, path))}`);
  };
  const run = async (name: string, ...args: string[]) => {
    const id = (await s.docker(["run", "-d", "--name", name, "--network", "none", ...args]))
      .trim();
    ids.set(id, name);
  };
  try {
    await run("cv-run", "busybox", "sh", "-c", "echo one; echo two; exec sleep 1000");
    await run("cv-mem", "--memory", "64m", "busybox", "sleep", "1000");
    await run("cv-vol", "-v", "/vol1", "busybox", "sh", "-c", "echo x > /big");
    await s.docker(["wait", "cv-vol"]);

    await say("kill missing", ["kill", "cv-nope"]);
    await say("kill -s 99", ["kill", "-s", "99", "cv-run"]);
    await say("kill -s NOPE", ["kill", "-s", "NOPE", "cv-run"]);
    await say("rename taken", ["rename", "cv-run", "cv-mem"]);
    await say("rename invalid", ["rename", "cv-run", "bad name"]);
    await say("logs --details", ["logs", "--details", "cv-run"]);
    await api("wait bogus condition", "POST", "/containers/cv-vol/wait?condition=bogus");
    await say("logs --tail bogus", ["logs", "--tail", "bogus", "cv-run"]);
    const stamped = await s.docker(["logs", "-t", "--tail", "1", "cv-run"]);
    log.push(`logs -t: ${stamped.replace(/\d/g, "0")}`);

    // The OOM killer's end: State.OOMKilled, and an oom event before die.
    const oom = ["--memory", "8m", "--memory-swap", "8m", "busybox", "sh", "-c"];
    await run("cv-oom", ...oom, "x=0123456789abcdef; while true; do x=$x$x; done");
    await say("wait oom", ["wait", "cv-oom"]);
    await say("oom state", ["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "cv-oom"]);
    const until = `${Math.ceil(Date.now() / 1000)}`;
    const events = await s.docker([
      "events",
      "--since",
      "0",
      "--until",
      until,
      "--filter",
      "container=cv-oom",
      "--format",
      "{{.Action}}",
    ]);
    log.push(`oom events: ${events.trim().split("\n").join(" ")}`);

    // top runs ps on the container's pids: a TTY container's processes are not the daemon's
    // session's.
    await run("cv-tty", "-t", "busybox", "sleep", "1000");
    const top = await s.docker(["top", "cv-tty", "-o", "pid,comm,tty"]);
    log.push(`top tty: ${top.replace(/\d+/g, "N").replace(/ +/g, " ")}`);

    await s.docker(["pause", "cv-run"]);
    await say("exec paused", ["exec", "cv-run", "true"]);
    await s.docker(["unpause", "cv-run"]);

    await say("update 1k", ["update", "--memory", "1k", "cv-mem"]);
    await say("update cpus", ["update", "--cpus", "99", "cv-mem"]);
    await say("update no limit", ["update", "--memory", "16m", "cv-run"]);
    await say("update limit", ["update", "--memory", "32m", "--cpus", "0.5", "cv-mem"]);
    await say("update restart", ["update", "--restart", "on-failure:3", "cv-vol"]);
    const limits = "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy}}";
    await say("inspect updated", ["inspect", "-f", limits, "cv-mem", "cv-vol"]);

    await say("ps volume", ["ps", "-a", "--filter", "volume=/vol1", "--format", "{{.Names}}"]);
    await say("ps bad status", ["ps", "--filter", "status=bogus"]);
    const sized = JSON.parse((await s.api("GET", "/containers/json?all=1&size=1")).slice(4))
      .filter((c: { Names: string[] }) => c.Names[0] === "/cv-vol")
      .map((c: { SizeRw: number; SizeRootFs: number }) =>
        `SizeRw ${c.SizeRw}, SizeRootFs > SizeRw: ${c.SizeRootFs > c.SizeRw}`
      );
    log.push(`ps size: ${sized}`);

    // A copy the client gives up on (its destination directory is missing) must not leave
    // the container locked: the next copy into it answers.
    await s.docker(["exec", "cv-run", "sh", "-c", "echo hi > /f"]);
    await Deno.writeTextFile(`${s.dir}/up.txt`, "up\n");
    await say("cp to missing dir", ["cp", "cv-run:/f", `${s.dir}/missing/`]);
    const after = s.docker(["cp", `${s.dir}/up.txt`, "cv-run:/"]).catch((e) => `ERR ${e.message}`);
    log.push(`cp after: ${masked(await within(15_000, "cp after a dropped cp", after))}`);

    await s.docker(["create", "--name", "cv-bad", "--network", "none", "busybox", "/nonexist"])
      .then((id) => ids.set(id.trim(), "cv-bad"));
    await say("start missing command", ["start", "cv-bad"]);
    // The runtime's own words in the middle are runc's (ours says them differently).
    log.push(log.pop()!.replace(/(create failed: ).*(: no such file)/, "$1…$2"));
    await say("state", ["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "cv-bad"]);

    await s.docker(["rm", "cv-bad"]);
    await s.docker(["stop", "-t", "0", "cv-mem"]);
    const pruned = JSON.parse((await s.api("POST", "/containers/prune")).slice(4));
    log.push(`prune: ${pruned.ContainersDeleted?.length} ${pruned.SpaceReclaimed}`);
  } finally {
    await s.docker(["rm", "-f", "-v", ...NAMES]).catch(() => "");
  }
  return log;
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED = [
  "kill missing: ERR Error response from daemon: Cannot kill container: cv-nope: No such " +
  "container: cv-nope",
  "kill -s 99: ERR Error response from daemon: Cannot kill container: cv-run: The linux daemon " +
  "does not support signal 99",
  "kill -s NOPE: ERR Error response from daemon: Invalid signal: NOPE",
  'rename taken: ERR Error response from daemon: Error when allocating new name: Conflict. The container name "/cv-mem" is already in use by container "<cv-mem>". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named cv-run',
  "rename invalid: ERR Error response from daemon: Error when allocating new name: Invalid " +
  "container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to " +
  "rename container named cv-run",
  "logs --details: one\n two",
  'wait bogus condition: 200 {"Error":null,"StatusCode":0}',
  "logs --tail bogus: one\ntwo",
  "logs -t: 0000-00-00T00:00:00.000000000Z two\n",
  "wait oom: 137",
  "oom state: true 137",
  "oom events: create start oom die",
  "top tty: PID COMMAND TT\nN sleep ?\n",
  "exec paused: ERR Error response from daemon: Container cv-run is paused, unpause the " +
  "container before exec",
  "update 1k: ERR Error response from daemon: Minimum memory limit allowed is 6MB",
  `update cpus: ERR Error response from daemon: Range of CPUs is from 0.01 to ${navigator.hardwareConcurrency}.00, as there are only ${navigator.hardwareConcurrency} CPUs available`,
  "update no limit: ERR Error response from daemon: Cannot update container <cv-run>: Memory " +
  "limit should be smaller than already set memoryswap limit, update the memoryswap at the same " +
  "time",
  "update limit: cv-mem",
  "update restart: cv-vol",
  "inspect updated: 33554432 500000000 map[MaximumRetryCount:0 Name:no]\n" +
  "0 0 map[MaximumRetryCount:3 Name:on-failure]",
  "ps volume: cv-vol",
  "ps bad status: ERR Error response from daemon: Invalid filter 'status=bogus'",
  "ps size: SizeRw 2, SizeRootFs > SizeRw: true",
  "cp to missing dir: ERR no such directory",
  "cp after: ",
  "start missing command: ERR Error response from daemon: failed to create shim task: OCI " +
  "runtime create failed: …: no such file or directory: unknown\nError: failed to start " +
  "containers: cv-bad",
  "state: created 127",
  "prune: 3 2",
];

Deno.test({
  name: "container verbs: errors, update, logs --details, ps filters and sizes, cp, prune",
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
  name: "container verbs: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
