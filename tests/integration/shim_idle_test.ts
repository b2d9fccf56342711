// The shim containerd keeps idle for the next container lives only as long as its containerd:
// after a kill -9 of containerd it exits by itself, while the shim of a running container
// stays (and containerd, restarted, finds its task running).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { specFor, startContainerd } from "../helpers/containerd_process.ts";
import { tryReap } from "../../src/sys/process.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of the processes whose command line includes `text`. */
async function pidsWith(text: string): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.replaceAll("\0", " ").includes(text)) out.push(Number(e.name));
  }
  return out;
}

/** Polls `cond` every 100 ms; false if it never held within `ms` (a generous bound). */
async function eventually(cond: () => Promise<boolean> | boolean, ms = 30_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    if (await cond()) return true;
  }
  return false;
}

Deno.test({
  name: "shim: an idle shim exits when its containerd is killed; an adopted one stays",
  ignore: missing(root(), command("/usr/sbin/runc")),
}, async () => {
  const c = await startContainerd();
  try {
    let r = await c.call("POST", "/v1/containers", {
      id: "keeps",
      image: "busybox",
      snapshot: { parent: "busybox" },
      spec: specFor(["sleep", "100"]),
      runtime: "engine",
    });
    assertEquals(r.status, 201, JSON.stringify(r.json));
    r = await c.call("POST", "/v1/tasks/keeps", {
      terminal: false,
      stdin: false,
      log: { path: `${c.dir}/keeps.log` },
    });
    assertEquals(r.status, 201, JSON.stringify(r.json));
    const init = r.json.pid as number;
    assertEquals((await c.call("POST", "/v1/tasks/keeps/start")).status, 200);
    const shimPid = (await c.call("GET", "/v1/tasks/keeps")).json.shimPid as number;
    assert(shimPid > 0);

    // Taking a shim for "keeps" started the next one, idle (a shim's command line keeps the
    // idle socket it was started with).
    let idle: number[] = [];
    assert(
      await eventually(async () => {
        idle = (await pidsWith(`${c.dir}/st/s/idle-`)).filter((p) => p !== shimPid);
        return idle.length === 1;
      }),
      `no idle shim was started (${idle})`,
    );

    await c.kill9();
    // The test process is a subreaper: the orphaned idle shim becomes our child; reap it.
    assert(
      await eventually(() => tryReap(idle[0]) !== null),
      `idle shim ${idle[0]} outlives its containerd`,
    );
    assertEquals(tryReap(shimPid), null, "the running container's shim exited");
    assert(await Deno.stat(`/proc/${init}`).then(() => true, () => false), "the container died");

    await c.restart();
    assertEquals((await c.call("GET", "/v1/tasks/keeps")).json.status, "running");
  } finally {
    await c.close();
  }
});
