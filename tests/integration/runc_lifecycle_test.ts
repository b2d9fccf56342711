// Lifecycle verbs: create/start/state/kill/delete, run --detach, pause/resume, list, ps,
// pid files, --preserve-fds. Each flow runs under both runtimes; what it observes must match.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  adoptOrphans,
  type Bundle,
  makeBundle,
  reapAdopted,
  type Runtime,
  uniqueId,
} from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));
// Detached containers outlive the runtime process that created them: adopt and reap them.
adoptOrphans();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(rt: Runtime, id: string): Promise<string> {
  const r = await rt.run(["state", id]);
  return r.code === 0 ? JSON.parse(r.stdout).status : `error: ${r.stderr.includes("not exist")}`;
}

async function waitStatus(rt: Runtime, id: string, want: string): Promise<string> {
  let s = "";
  for (let i = 0; i < 100; i++) {
    s = await status(rt, id);
    if (s === want) break;
    await sleep(20);
  }
  return s;
}

/** Runs `flow` under each runtime on one bundle; their observations must be equal. */
async function sameFlow(
  b: Bundle,
  flow: (rt: Runtime, id: string) => Promise<unknown[]>,
): Promise<unknown[]> {
  const seen = [];
  for (const rt of b.both) seen.push(await flow(rt, uniqueId(`flow-${rt.name}`)));
  assertEquals(seen[0], seen[1]);
  return seen[0];
}

const LOOP = "trap 'exit 3' TERM; while :; do sleep 0.05; done";

Deno.test({
  name: "runc lifecycle: created → running → stopped, exec fifo, pid file, delete",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", LOOP]);
    const seen = await sameFlow(b, async (rt, id) => {
      const obs: unknown[] = [];
      const pidFile = `${b.dir}/${id}.pid`;
      await rt.ok(["create", "--bundle", b.dir, "--pid-file", pidFile, id]);
      const st = await rt.state(id);
      obs.push(st.status, Object.keys(st).sort(), st.bundle === b.dir);
      obs.push(Number(await Deno.readTextFile(pidFile)) === st.pid);
      obs.push(Deno.statSync(`${rt.root}/${id}/exec.fifo`).isFifo);
      obs.push((await rt.run(["create", "--bundle", b.dir, id])).code); // duplicate id
      await rt.ok(["start", id]);
      obs.push(await status(rt, id));
      obs.push((await rt.run(["start", id])).code); // already running
      obs.push((await rt.run(["delete", id])).code); // running: refused
      await rt.ok(["kill", id, "TERM"]);
      obs.push(await waitStatus(rt, id, "stopped"));
      await rt.ok(["delete", id]);
      obs.push(await status(rt, id));
      obs.push((await rt.run(["delete", id])).code);
      return obs;
    });
    assertEquals(seen.slice(0, 1), ["created"]);
  },
});

Deno.test({
  name: "runc lifecycle: kill by name and number, --all, delete --force",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", "trap '' TERM USR1; sleep 100 & wait; wait"]);
    await sameFlow(b, async (rt, id) => {
      const obs: unknown[] = [];
      await rt.ok(["run", "--detach", "--bundle", b.dir, id]);
      obs.push(await status(rt, id));
      for (const sig of ["SIGUSR1", "USR1", "10", "TERM", "15"]) {
        obs.push(sig, (await rt.run(["kill", id, sig])).code);
      }
      obs.push((await rt.run(["kill", id, "NOPE"])).code);
      obs.push(await status(rt, id));
      await sleep(100);
      const ps = JSON.parse((await rt.ok(["ps", "--format", "json", id])).stdout);
      obs.push(ps.length);
      await rt.ok(["kill", "--all", id, "KILL"]);
      obs.push(await waitStatus(rt, id, "stopped"));
      reapAdopted();
      await rt.ok(["delete", id]);
      // delete --force of a running container
      await rt.ok(["run", "--detach", "--bundle", b.dir, id]);
      const pid = (await rt.state(id)).pid as number;
      await rt.ok(["delete", "--force", id]);
      obs.push(await status(rt, id));
      reapAdopted();
      obs.push(procGone(pid));
      return obs;
    }).catch((e) => {
      throw e;
    });
  },
});

function procGone(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1][0] === "Z";
  } catch {
    return true;
  }
}

Deno.test({
  name: "runc lifecycle: run --detach, pause/resume, list and ps formats",
  ignore,
  async fn() {
    await using b = await makeBundle(["sleep", "100"]);
    await sameFlow(b, async (rt, id) => {
      const obs: unknown[] = [];
      await rt.ok(["run", "-d", "--bundle", b.dir, id]);
      obs.push(await status(rt, id));
      await rt.ok(["pause", id]);
      obs.push(await status(rt, id));
      obs.push((await rt.run(["exec", id, "true"])).code);
      await rt.ok(["resume", id]);
      obs.push(await status(rt, id));
      const list = JSON.parse((await rt.ok(["list", "--format", "json"])).stdout);
      obs.push(list.length, Object.keys(list[0]).sort(), list[0].id === id, list[0].status);
      obs.push((await rt.ok(["list", "-q"])).stdout === `${id}\n`);
      const table = (await rt.ok(["list"])).stdout.split("\n")[0].split(/\s+/);
      obs.push(table);
      const ps = JSON.parse((await rt.ok(["ps", "--format", "json", id])).stdout);
      obs.push(ps.length, ps[0] === (await rt.state(id)).pid);
      const psTable = (await rt.ok(["ps", id])).stdout.split("\n")[0].split(/\s+/);
      obs.push(psTable);
      const pid = (await rt.state(id)).pid as number;
      await rt.ok(["delete", "-f", id]);
      reapAdopted();
      obs.push(procGone(pid));
      return obs;
    });
  },
});

Deno.test({
  name: "runc lifecycle: --preserve-fds passes fd 3 into the container",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", "cat <&3; ls /proc/self/fd | wc -l"]);
    await Deno.writeTextFile(`${b.dir}/extra`, "from fd 3\n");
    await sameFlow(b, async (rt, id) => {
      const [cmd, args] = rt.argv(["run", "--preserve-fds", "1", "--bundle", b.dir, id]);
      const q = (s: string) => `'${s}'`;
      const out = await new Deno.Command("sh", {
        args: ["-c", `exec 3<${q(`${b.dir}/extra`)}; exec ${[cmd, ...args].map(q).join(" ")}`],
      }).output();
      return [out.code, new TextDecoder().decode(out.stdout)];
    });
  },
});

Deno.test({
  name: "runc lifecycle: state of a container whose init died is stopped; delete cleans up",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", "exit 0"]);
    await sameFlow(b, async (rt, id) => {
      await rt.ok(["create", "--bundle", b.dir, id]);
      await rt.ok(["start", id]);
      const s = await waitStatus(rt, id, "stopped");
      const st = await rt.state(id);
      reapAdopted();
      await rt.ok(["delete", id]);
      return [s, st.pid];
    });
  },
});

ok(true);

Deno.test({
  name: "runc lifecycle: a created container paused: start and delete refuse, kill --all ends it",
  ignore,
  async fn() {
    await using b = await makeBundle(["sleep", "30"]);
    const msg = (r: { stderr: string }) => /msg="([^"]*)"/.exec(r.stderr)?.[1] ?? r.stderr;
    await sameFlow(b, async (rt, id) => {
      const obs: unknown[] = [];
      obs.push((await rt.run(["create", "--bundle", b.dir, id])).code);
      obs.push((await rt.run(["pause", id])).code, await status(rt, id));
      obs.push(
        msg(await rt.run(["start", id])),
        msg(await rt.run(["delete", id])).replace(id, "ID"),
      );
      obs.push((await rt.run(["kill", id, "0"])).code);
      obs.push((await rt.run(["kill", "--all", id, "KILL"])).code);
      obs.push(await waitStatus(rt, id, "stopped"));
      obs.push((await rt.run(["kill", id, "0"])).code);
      obs.push((await rt.run(["delete", id])).code);
      reapAdopted();
      return obs;
    });
  },
});

Deno.test({
  name: "runc lifecycle: kill of a created container stops it, as runc's (a pid-namespace init)",
  ignore,
  async fn() {
    // The init of a PID namespace ignores signals it has no handler for; runc's created
    // init (Go) exits on TERM, INT, HUP…; ours catches the same until it execs.
    await using b = await makeBundle(["sleep", "30"]);
    await sameFlow(b, async (rt, id) => {
      const obs: unknown[] = [];
      for (const signal of ["TERM", "INT"]) {
        await rt.ok(["create", "--bundle", b.dir, id]);
        obs.push((await rt.run(["kill", id, signal])).code);
        obs.push(await waitStatus(rt, id, "stopped"));
        obs.push((await rt.run(["start", id])).code);
        await rt.ok(["delete", id]);
        reapAdopted();
      }
      // After start, the program is the init: its own handlers decide (sleep has none).
      await rt.ok(["run", "-d", "--bundle", b.dir, id]);
      obs.push((await rt.run(["kill", id, "TERM"])).code);
      await sleep(200);
      obs.push(await status(rt, id));
      await rt.ok(["delete", "-f", id]);
      reapAdopted();
      return obs;
    });
  },
});
