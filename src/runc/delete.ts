// `runc delete [--force] ID`: kill what is left, remove the cgroup and the state.
import { logWarning } from "./log.ts";
import { kill as sysKill, tryWait } from "../sys/libc.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import { runHooks } from "./hooks.ts";
import {
  computeStatus,
  containerDir,
  type ContainerState,
  hookState,
  initAlive,
  loadState,
} from "./state.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function deleteContainer(root: string, id: string, force: boolean) {
  let state: ContainerState;
  try {
    state = await loadState(root, id);
  } catch (e) {
    if (force && (e as Error).message === "container does not exist") {
      // A create that died half-way may have left only the directory.
      await Deno.remove(containerDir(root, id), { recursive: true }).catch(() => {});
      return;
    }
    throw e;
  }
  const cg = await cgroupOf(state);
  const status = await computeStatus(root, state, () => cg.frozen());
  if ((status === "running" || status === "paused") && !force) {
    throw new Error(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  await destroy(root, state);
}

/**
 * Kills every process of the container, waits for the init to go, removes everything.
 * `initReaped`: the caller has waited for the init (run in the foreground); with its own
 * pid namespace nothing else can be left (the kernel kills the namespace with its init),
 * so the cgroup is not searched for processes.
 */
export async function destroy(root: string, state: ContainerState, initReaped = false) {
  const cg = await cgroupOf(state);
  const ownPidNs = (state.config.linux?.namespaces ?? []).some((n) => n.type === "pid" && !n.path);
  if (!(initReaped && ownPidNs)) {
    if (initAlive(state)) sysKill(state.pid, 9);
    for (const pid of await cg.procs().catch(() => [])) sysKill(pid, 9);
    await cg.thaw().catch(() => {});
    for (let i = 0; i < 500 && initAlive(state); i++) {
      // Our own child (run, or a test harness's) must be reaped to stop being a zombie.
      try {
        tryWait(state.pid);
      } catch { /* not our child */ }
      await sleep(10);
    }
  }
  await cg.destroy();
  try {
    await runHooks("poststop", state.config.hooks?.poststop, hookState(state, "stopped"));
  } catch (e) {
    logWarning(`${(e as Error).message}`);
  }
  Deno.removeSync(containerDir(root, state.id), { recursive: true });
}
