// `runc start`: release the init blocked on its exec fifo, then run poststart hooks.
import { logWarning } from "./log.ts";
import { runHooks } from "./hooks.ts";
import { type ContainerState, fifoPath, hookState, loadState } from "./state.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import { computeStatus } from "./state.ts";

export async function start(root: string, id: string): Promise<ContainerState> {
  const state = await loadState(root, id);
  const status = await computeStatus(root, state, async () => (await cgroupOf(state)).frozen());
  if (status === "stopped") throw new Error("cannot start a container that has stopped");
  if (status === "paused") throw new Error("cannot start a container in the paused state");
  if (status !== "created") throw new Error("cannot start an already running container");
  await releaseFifo(root, id);
  try {
    await runHooks(state.config.hooks?.poststart, hookState(state, "running"));
  } catch (e) {
    logWarning(`${(e as Error).message}`);
  }
  return state;
}

/** Opens the exec fifo for reading: the init's blocked open completes and it execs. */
export async function releaseFifo(root: string, id: string) {
  const path = fifoPath(root, id);
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1);
    const n = await f.read(buf);
    if (n === null || n === 0) throw new Error("cannot start an already running container");
  } finally {
    f.close();
    try {
      Deno.removeSync(path);
    } catch { /* already gone */ }
  }
}
