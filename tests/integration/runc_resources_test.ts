// linux.resources on this host's cgroups (root; v1 hybrid here), observed from inside the
// container or through counters, never by timing, and compared with /usr/sbin/runc:
// memory.limit OOM-kills (137) and `events` reports the kill; pids.max stops a fork loop;
// the cpu quota shows in cpu.stat's nr_throttled; `update` changes limits in place.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  adoptOrphans,
  type Bundle,
  cgroupDirsOf,
  makeBundle,
  normalizeIds,
  RUNC,
  type Runtime,
  sameInside,
  uniqueId,
} from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";

adoptOrphans();
const needs = () => missing(root(), command(RUNC));
const MB = 1 << 20;

Deno.test({
  name: "resources: a process over memory.limit is OOM-killed (137), as under runc",
  ignore: needs(),
  async fn() {
    const r = await sameInside(
      "oom",
      "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $?",
      (
        s,
      ) => (s.linux!.resources = {
        ...s.linux!.resources,
        memory: { limit: 16 * MB, swap: 16 * MB },
      }),
    );
    assertEquals(r.stdout, "137\n");
  },
});

Deno.test({
  name: "resources: pids.max stops a fork loop (50 sleeps, limit 20), as under runc",
  ignore: needs(),
  async fn() {
    const r = await sameInside(
      "pids",
      'sh -c "for i in \\$(seq 50); do sleep 30 & done" 2>/dev/null; echo inner=$?; ' +
        "set -- /proc/[0-9]*; echo procs=$#; read m < /sys/fs/cgroup/pids/pids.max; " +
        "echo max=$m; read k v < /sys/fs/cgroup/pids/pids.events; echo failed=$((v > 0))",
      (s) => (s.linux!.resources = { ...s.linux!.resources, pids: { limit: 20 } }),
    );
    const procs = Number(/procs=(\d+)/.exec(r.stdout)?.[1]);
    ok(procs > 0 && procs <= 20, r.stdout);
    ok(r.stdout.includes("max=20\nfailed=1"), r.stdout);
  },
});

Deno.test({
  name: "resources: cpu quota shows as nr_throttled after a bounded busy loop, as under runc",
  ignore: needs(),
  async fn() {
    const r = await sameInside(
      "cpu",
      "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; " +
        "while read k v; do [ $k = nr_throttled ] && echo throttled=$((v > 0)); done " +
        "< /sys/fs/cgroup/cpu/cpu.stat; read q < /sys/fs/cgroup/cpu/cpu.cfs_quota_us; echo q=$q; " +
        "read s < /sys/fs/cgroup/cpu/cpu.shares; echo s=$s",
      (s) => (s.linux!.resources = {
        ...s.linux!.resources,
        cpu: { quota: 5000, period: 100000, shares: 512 },
      }),
    );
    assertEquals(r.stdout, "throttled=1\nq=5000\ns=512\n");
  },
});

async function detached(b: Bundle, rt: Runtime, id: string): Promise<void> {
  await rt.ok(["run", "-d", "--bundle", b.dir, id]);
}

Deno.test({
  name: "resources: events reports the OOM kill of an exec'd process, as runc's does",
  ignore: needs(),
  async fn() {
    await using b = await makeBundle(["sleep", "600"], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 * MB } };
    });
    const seen: string[] = [];
    for (const rt of b.both) {
      const id = uniqueId(`oomev-${rt.name}`);
      await detached(b, rt, id);
      const out = await Deno.makeTempFile({ prefix: "engine-events-" });
      const [cmd, argv] = rt.argv(["events", "--interval", "1h", id]);
      const events = new Deno.Command("sh", {
        args: ["-c", 'exec "$@" >"$0" 2>&1', out, cmd, ...argv],
        stdin: "null",
      }).spawn();
      try {
        // the stream is running once it has read the cgroup: wait for the process to settle
        for (let i = 0; i < 50 && !(await isSleeping(events.pid)); i++) await tick();
        const r = await rt.run(["exec", id, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M"]);
        assertEquals(r.code, 137, `${rt.name} exec: ${r.stderr}`);
        let text = "";
        for (let i = 0; i < 100 && !text.includes('"oom"'); i++) {
          await tick();
          text = await Deno.readTextFile(out);
        }
        seen.push(normalizeIds(text.split("\n").find((l) => l.includes('"oom"')) ?? text));
      } finally {
        try {
          Deno.kill(events.pid, "SIGKILL");
        } catch { /* gone */ }
        await events.status;
        await Deno.remove(out).catch(() => {});
        await rt.run(["delete", "--force", id]);
      }
    }
    assertEquals(seen, ['{"type":"oom","id":"ID"}', '{"type":"oom","id":"ID"}']);
  },
});

Deno.test({
  name: "resources: update changes memory and pids limits in place; state and events show it",
  ignore: needs(),
  async fn() {
    await using b = await makeBundle(["sleep", "600"], (s) => {
      s.linux!.resources = {
        ...s.linux!.resources,
        memory: { limit: 32 * MB },
        pids: { limit: 20 },
      };
    });
    const seen: unknown[] = [];
    for (const rt of b.both) {
      const id = uniqueId(`upd-${rt.name}`);
      try {
        await detached(b, rt, id);
        await rt.ok(["update", "--memory", "64m", "--pids-limit", "30", id]);
        const inside = await rt.ok([
          "exec",
          id,
          "cat",
          "/sys/fs/cgroup/memory/memory.limit_in_bytes",
          "/sys/fs/cgroup/pids/pids.max",
        ]);
        // from a file, as `-r`, with an unknown-to-update field ignored
        await rt.ok(["update", "-r", "-", id], { stdin: '{"cpu":{"shares":256}}' });
        const shares = await rt.ok(["exec", id, "cat", "/sys/fs/cgroup/cpu/cpu.shares"]);
        const stats = JSON.parse((await rt.ok(["events", "--stats", id])).stdout);
        const bad = await rt.run(["update", "--memory", "bogus", id]);
        seen.push({
          inside: inside.stdout,
          shares: shares.stdout,
          status: (await rt.state(id)).status,
          type: stats.type,
          memLimit: stats.data.memory.usage.limit,
          pids: stats.data.pids,
          keys: Object.keys(stats.data),
          badCode: bad.code,
        });
      } finally {
        await rt.run(["delete", "--force", id]);
      }
      assertEquals(cgroupDirsOf(id), [], `${rt.name} left cgroups`);
    }
    assertEquals(seen[0], seen[1]);
    assertEquals((seen[0] as { inside: string }).inside, `${64 * MB}\n30\n`);
  },
});

Deno.test({
  name: "resources: events and update refuse a stopped container like runc",
  ignore: needs(),
  async fn() {
    await using b = await makeBundle(["true"]);
    const codes: number[] = [];
    for (const rt of b.both) {
      const id = uniqueId(`stopped-${rt.name}`);
      await detached(b, rt, id);
      for (let i = 0; i < 100 && (await rt.state(id)).status !== "stopped"; i++) await tick();
      codes.push((await rt.run(["events", "--stats", id])).code);
      codes.push((await rt.run(["update", "--memory", "64m", id])).code);
      await rt.run(["delete", "--force", id]);
    }
    assertEquals(codes, [1, 1, 1, 1]);
  },
});

const tick = () => new Promise((r) => setTimeout(r, 50));

async function isSleeping(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  // our events (deno) or runc's (go): S once it waits in its poll/select loop
  const comm = await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "");
  return comm.trim() !== "sh" && stat.slice(stat.lastIndexOf(")") + 2)[0] === "S";
}
