// The whole suite leaked no mount, engine process, cgroup or netfilter rule (checked after
// every other file).
import { deepStrictEqual } from "node:assert/strict";
import { BASELINE, type Snapshot, snapshot } from "../helpers/leaks.ts";

Deno.test("the suite left no mount, engine process, cgroup, netfilter rule or link behind", async () => {
  let before: Snapshot;
  try {
    before = JSON.parse(await Deno.readTextFile(BASELINE));
  } catch {
    return; // run alone, without the baseline file
  }
  // Processes a test stopped may take a moment to go.
  let now = await snapshot();
  for (let i = 0; i < 20 && now.processes.length > before.processes.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await snapshot();
  }
  const added = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  deepStrictEqual({
    mounts: added(now.mounts, before.mounts),
    processes: added(
      now.processes.map((p) => p.slice(p.indexOf(" ") + 1)),
      before.processes.map((p) => p.slice(p.indexOf(" ") + 1)),
    ),
    cgroups: added(now.cgroups, before.cgroups),
    netfilter: added(now.netfilter, before.netfilter ?? []),
    links: added(now.links, before.links ?? []),
  }, { mounts: [], processes: [], cgroups: [], netfilter: [], links: [] });
  await Deno.remove(BASELINE).catch(() => {});
});
