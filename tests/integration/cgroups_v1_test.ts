// The cgroup manager on this host's real hierarchy (root; v1 or v2). A `sleep` child is
// put in a fresh cgroup, frozen, thawed, killed; the cgroup must be gone from every
// hierarchy afterwards, whatever happens.

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { killAll, openCgroupManager } from "../../src/runc/cgroups/mod.ts";
import { missing, root } from "../helpers/require.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test({
  name: "cgroups: create, apply, procs, freeze, thaw, killAll, destroy on the real hierarchy",
  ignore: missing(root()),
  async fn() {
    const path = `/engine-test-${crypto.randomUUID().slice(0, 8)}`;
    const m = await openCgroupManager({ id: "t", cgroupsPath: path });
    const dirs = Object.values(m.paths());
    const child = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
      .spawn();
    try {
      await m.create();
      for (const d of dirs) ok(await exists(d), `${d} created`);
      await m.apply(child.pid);
      assertEquals(await m.procs(), [child.pid]);

      await m.freeze();
      assertEquals(await m.state(), "frozen");
      const freezer = m.paths().freezer;
      if (freezer) {
        assertEquals((await Deno.readTextFile(`${freezer}/freezer.state`)).trim(), "FROZEN");
      }
      const stat = await Deno.readTextFile(`/proc/${child.pid}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      ok("SDt".includes(state), `frozen process is stopped-ish, got state ${state}`);

      await m.thaw();
      assertEquals(await m.state(), "thawed");

      assertEquals(await m.setResources({ pids: { limit: 50 } }), []);
      if (m.paths().pids) {
        assertEquals((await Deno.readTextFile(`${m.paths().pids}/pids.max`)).trim(), "50");
      }

      assertEquals(await killAll(m, "SIGKILL"), [child.pid]);
      assertEquals((await child.status).signal, "SIGKILL");
      for (let i = 0; i < 100 && (await m.procs()).length > 0; i++) await sleep(10);
      assertEquals(await m.procs(), []);
    } finally {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await m.thaw().catch(() => {});
      await m.destroy().catch((err) => console.error(`cleanup: ${err.message}`));
    }
    for (const d of dirs) assertEquals(await exists(d), false, `${d} left behind`);
    await m.destroy(); // idempotent
  },
});
