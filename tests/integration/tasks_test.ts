// containerd tasks through `engine shim`, with each of the three runtimes: run, exec,
// kill, wait, delete, stdin, terminals, exit codes, and the restart cases.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";

function assertStringIncludes(text: string, part: string) {
  assert(text.includes(part), `${JSON.stringify(text)} does not include ${JSON.stringify(part)}`);
}
import { command, missing, root } from "../helpers/require.ts";
import { type ContainerdProcess, specFor, startContainerd } from "../helpers/containerd_process.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** crun 1.8 refuses this host's hybrid cgroups unless /sys/fs/cgroup/unified is hidden. */
async function crunWrapper(dir: string): Promise<string> {
  const path = `${dir}/crun`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun "$@"' crun "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

async function createTask(
  c: ContainerdProcess,
  id: string,
  args: string[],
  runtime: string,
  opts: { terminal?: boolean; stdin?: boolean } = {},
) {
  let r = await c.call("POST", "/v1/containers", {
    id,
    image: "busybox",
    snapshot: { parent: "busybox" },
    spec: specFor(args, opts.terminal),
    runtime,
  });
  assertEquals(r.status, 201, JSON.stringify(r.json));
  r = await c.call("POST", `/v1/tasks/${id}`, {
    terminal: opts.terminal ?? false,
    stdin: opts.stdin ?? false,
    log: { path: `${c.dir}/${id}.log` },
  });
  assertEquals(r.status, 201, JSON.stringify(r.json));
  return r.json.pid as number;
}

async function remove(c: ContainerdProcess, id: string) {
  const d = await c.call("DELETE", `/v1/tasks/${id}`);
  assertEquals(d.status, 200, JSON.stringify(d.json));
  const r = await c.call("DELETE", `/v1/containers/${id}`);
  assertEquals(r.status, 204, JSON.stringify(r.json));
}

async function logText(c: ContainerdProcess, id: string): Promise<string> {
  const text = await Deno.readTextFile(`${c.dir}/${id}.log`);
  return text.trim().split("\n").map((l) => JSON.parse(l).log).join("");
}

const ignore = missing(root(), command("/usr/sbin/runc"), command("/usr/bin/crun"));

for (const runtime of ["engine", "runc", "crun"]) {
  Deno.test(
    { name: `tasks: run, exec, kill, wait and delete with ${runtime}`, ignore },
    async () => {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ecw" });
      const c = await startContainerd([`--runtime`, `crun=${await crunWrapper(dir)}`]);
      try {
        // A process that exits by itself, with output on both streams.
        await createTask(c, "t1", ["sh", "-c", "echo out; echo err >&2; exit 4"], runtime);
        assertEquals((await c.call("POST", "/v1/tasks/t1/start")).status, 200);
        assertEquals((await c.call("GET", "/v1/tasks/t1/wait")).json.exitStatus, 4);
        // stdout and stderr are separate pipes: their relative order is not kept.
        assertEquals((await logText(c, "t1")).split("\n").sort(), ["", "err", "out"]);
        await remove(c, "t1");

        // A long-running one: exec into it, then a death by signal.
        await createTask(c, "t2", ["sleep", "100"], runtime);
        await c.call("POST", "/v1/tasks/t2/start");
        const process = { ...specFor(["sh", "-c", "echo in-exec; exit 3"]).process };
        const e = await c.call("POST", "/v1/tasks/t2/exec", { exec: "e1", process });
        assertEquals(e.status, 201, JSON.stringify(e.json));
        assertEquals((await c.call("GET", "/v1/tasks/t2/wait?exec=e1")).json.exitStatus, 3);
        assertEquals((await c.call("DELETE", "/v1/tasks/t2?exec=e1")).json.exitStatus, 3);
        const pids = (await c.call("GET", "/v1/tasks/t2/pids")).json.pids;
        assertEquals(pids.length, 1);
        // pid 1 of a pid namespace ignores signals it has no handler for, but not SIGKILL.
        assertEquals((await c.call("POST", "/v1/tasks/t2/kill", { signal: 9 })).status, 200);
        assertEquals((await c.call("GET", "/v1/tasks/t2/wait")).json.exitStatus, 137);
        await remove(c, "t2");
        // The deleted tasks' shims took their sockets with them: only the idle shim's is left.
        const sockets = [...Deno.readDirSync(`${c.dir}/st/s`)].map((e) => e.name);
        assert(sockets.every((n) => n.startsWith("idle-")), sockets.join(" "));
      } finally {
        await c.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test({ name: "tasks: stdin is written and closed; a terminal task", ignore }, async () => {
  const c = await startContainerd();
  try {
    await createTask(c, "in", ["cat"], "engine", { stdin: true });
    await c.call("POST", "/v1/tasks/in/start");
    const http = Deno.createHttpClient({ proxy: { transport: "unix", path: c.socket } });
    const res = await fetch("http://127.0.0.1/v1/tasks/in/stdin?close=1", {
      method: "POST",
      client: http,
      body: "line one\nline two\n",
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    assertEquals((await c.call("GET", "/v1/tasks/in/wait")).json.exitStatus, 0);
    assertEquals(await logText(c, "in"), "line one\nline two\n");
    await remove(c, "in");

    await createTask(c, "tty", ["sh", "-c", "sleep 0.3; tty; exit 2"], "engine", {
      terminal: true,
    });
    const attach = await fetch("http://127.0.0.1/v1/tasks/tty/attach?stdout=1", { client: http });
    await c.call("POST", "/v1/tasks/tty/start");
    const out = await new Response(attach.body).text();
    assertStringIncludes(out, "/dev/pts/0");
    assertEquals((await c.call("GET", "/v1/tasks/tty/wait")).json.exitStatus, 2);
    assertStringIncludes(await logText(c, "tty"), "/dev/pts/0\r\n");
    await remove(c, "tty");
    http.close();
  } finally {
    await c.close();
  }
});

Deno.test({
  name: "tasks: kill -9 containerd, containers keep running; exits meanwhile are reported",
  ignore,
}, async () => {
  const c = await startContainerd();
  try {
    await createTask(c, "long", ["sleep", "100"], "engine");
    await c.call("POST", "/v1/tasks/long/start");
    await createTask(c, "short", ["sh", "-c", "sleep 1; exit 5"], "engine");
    await c.call("POST", "/v1/tasks/short/start");
    await c.kill9();
    await sleep(1500);
    await c.restart();
    assertEquals((await c.call("GET", "/v1/tasks/long")).json.status, "running");
    assertEquals((await c.call("GET", "/v1/tasks/short/wait")).json.exitStatus, 5);
    const events = await fetch(`http://127.0.0.1/v1/events?since=0&follow=0`, {
      client: Deno.createHttpClient({ proxy: { transport: "unix", path: c.socket } }),
    }).then((r) => r.text());
    const exits = events.trim().split("\n").map((l) => JSON.parse(l))
      .filter((e) => e.topic === "task.exit" && e.id === "short");
    assertEquals(exits.length, 1);
    assertEquals(exits[0].data.exitStatus, 5);
    await c.call("POST", "/v1/tasks/long/kill", { signal: 9 });
    assertEquals((await c.call("GET", "/v1/tasks/long/wait")).json.exitStatus, 137);
    await remove(c, "long");
    await remove(c, "short");
  } finally {
    await c.close();
  }
});

Deno.test(
  { name: "tasks: kill -9 a shim: the task is reported dead and cleaned up", ignore },
  async () => {
    const c = await startContainerd();
    try {
      const pid = await createTask(c, "victim", ["sleep", "100"], "engine");
      await c.call("POST", "/v1/tasks/victim/start");
      const shimPid = (await c.call("GET", "/v1/tasks/victim")).json.shimPid as number;
      assert(shimPid > 0);
      Deno.kill(shimPid, "SIGKILL");
      const exit = await c.call("GET", "/v1/tasks/victim/wait");
      assertEquals(exit.json.exitStatus, 137, JSON.stringify(exit.json));
      await remove(c, "victim");
      // No process, mount or cgroup is left.
      assert(!(await Deno.stat(`/proc/${pid}`).then(() => true, () => false)), "init still exists");
      const mounts = await Deno.readTextFile("/proc/self/mountinfo");
      assert(!mounts.includes(c.dir), "a mount is left");
      assert(
        !(await Deno.stat("/sys/fs/cgroup/pids/victim").then(() => true, () => false)),
        "cgroup left",
      );
    } finally {
      await c.close();
    }
  },
);

Deno.test(
  { name: "tasks: stats and update of a running task; an OOM kill is an event", ignore },
  async () => {
    const c = await startContainerd();
    try {
      await createTask(c, "res", ["sleep", "100"], "engine");
      await c.call("POST", "/v1/tasks/res/start");
      let stats = (await c.call("GET", "/v1/tasks/res/stats")).json;
      assertEquals(stats.pids.current, 1);
      assert(stats.memory.usage.usage > 0, JSON.stringify(stats.memory));
      const u = await c.call("POST", "/v1/tasks/res/update", {
        resources: { pids: { limit: 42 } },
      });
      assertEquals(u.status, 200, JSON.stringify(u.json));
      stats = (await c.call("GET", "/v1/tasks/res/stats")).json;
      assertEquals(stats.pids.limit, 42);
      await c.call("POST", "/v1/tasks/res/kill", { signal: 9 });
      await c.call("GET", "/v1/tasks/res/wait");
      await remove(c, "res");

      // 16 MiB of memory, a 64 MiB buffer: the OOM killer ends the init.
      let r = await c.call("POST", "/v1/containers", {
        id: "oom",
        image: "busybox",
        snapshot: { parent: "busybox" },
        spec: (() => {
          const s = specFor(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
          s.linux.resources = { ...s.linux.resources, memory: { limit: 16 << 20 } };
          return s;
        })(),
      });
      assertEquals(r.status, 201, JSON.stringify(r.json));
      r = await c.call("POST", "/v1/tasks/oom", { log: { path: `${c.dir}/oom.log` } });
      assertEquals(r.status, 201, JSON.stringify(r.json));
      await c.call("POST", "/v1/tasks/oom/start");
      const exit = (await c.call("GET", "/v1/tasks/oom/wait")).json;
      assertEquals(exit.exitStatus, 137);
      assertEquals(exit.oomKilled, true);
      const http = Deno.createHttpClient({ proxy: { transport: "unix", path: c.socket } });
      const events = await fetch("http://127.0.0.1/v1/events?since=0&follow=0", { client: http })
        .then((
          x,
        ) => x.text());
      http.close();
      const topics = events.trim().split("\n").map((l) => JSON.parse(l)).filter((e) =>
        e.id === "oom"
      )
        .map((e) => e.topic);
      assert(
        topics.indexOf("task.oom") >= 0 && topics.indexOf("task.oom") < topics.indexOf("task.exit"),
        topics.join(),
      );
      await remove(c, "oom");
    } finally {
      await c.close();
    }
  },
);
