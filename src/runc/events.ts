// `runc events`: the container's cgroup statistics as runc's JSON events. `--stats` prints
// one stats event and exits; otherwise a stats event every --interval and an
// {"type":"oom","id":…} event each time the OOM killer kills in the cgroup (found by
// polling memory.oom_control's oom_kill on v1, memory.events' oom_kill on v2). Unlike
// runc, which runs until killed, the stream ends once the container is deleted.

import { cgroupOf } from "./cgroup_setup.ts";
import { goJson } from "./cgroups/stats_types.ts";
import { logError } from "./log.ts";
import { computeStatus, loadState } from "./state.ts";

const OOM_POLL_MS = 100;

export interface EventsOptions {
  stats: boolean;
  intervalMs: number;
  /** Where event lines go (stdout by default). */
  write?: (line: string) => void;
  signal?: AbortSignal;
}

const stdoutWrite = (line: string) => {
  Deno.stdout.writeSync(new TextEncoder().encode(line));
};

export async function events(root: string, id: string, o: EventsOptions): Promise<void> {
  const write = o.write ?? stdoutWrite;
  const state = await loadState(root, id);
  if (o.intervalMs <= 0) throw new Error("duration interval must be greater than 0");
  const cg = await cgroupOf(state);
  if ((await computeStatus(root, state, () => cg.frozen())) === "stopped") {
    throw new Error(`container with id ${id} is not running`);
  }
  const emit = (type: string, data?: unknown) =>
    write(goJson({ type, id, ...(data === undefined ? {} : { data }) }) + "\n");
  if (o.stats) {
    emit("stats", await cg.stats());
    return;
  }
  const gone = async () =>
    !(await Deno.stat(`${root}/${id}/state.json`).then(() => true, () => false));
  let kills = await cg.oomKills().catch(() => 0);
  let nextStats = Date.now() + o.intervalMs;
  while (!o.signal?.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(OOM_POLL_MS, o.intervalMs)));
    if (await gone()) return;
    const now = await cg.oomKills().catch(() => kills);
    for (; kills < now; kills++) emit("oom");
    if (Date.now() >= nextStats) {
      nextStats += o.intervalMs;
      try {
        emit("stats", await cg.stats());
      } catch (err) {
        logError((err as Error).message);
      }
    }
  }
}
