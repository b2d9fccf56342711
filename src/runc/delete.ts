// `runc delete [--force] ID`: kill what is left, remove the cgroup and the state.
import { logWarning } from "./log.ts";
import { kill as sysKill, tryWait } from "../sys/libc.ts";
import { cgroupOf, type ContainerCgroup } from "./cgroup_setup.ts";
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
  await destroy(root, state, { cgroup: cg });
}

/**
 * Kills every process of the container, waits for the init to go, removes everything.
 * With its own pid namespace and its init gone (or reaped by the caller: `initReaped`, run
 * in the foreground) nothing else can be left — the kernel kills the namespace with its
 * init — so the cgroup is not searched for processes. `cgroup`: the caller's, already open.
 */
export async function destroy(
  root: string,
  state: ContainerState,
  opts: { initReaped?: boolean; cgroup?: ContainerCgroup } = {},
) {
  const cg = opts.cgroup ?? await cgroupOf(state);
  const ownPidNs = (state.config.linux?.namespaces ?? []).some((n) => n.type === "pid" && !n.path);
  if (!(ownPidNs && (opts.initReaped || !initAlive(state)))) {
    if (initAlive(state)) sysKill(state.pid, 9);
    for (const pid of await cg.procs().catch(() => [])) sysKill(pid, 9);
    await cg.thaw().catch(() => {});
    // ~5 s; short sleeps first: a killed init is usually gone within a millisecond
    for (let i = 0; i < 510 && initAlive(state); i++) {
      // Our own child (run, or a test harness's) must be reaped to stop being a zombie.
      try {
        tryWait(state.pid);
      } catch { /* not our child */ }
      await sleep(i < 10 ? 1 : 10);
    }
  }
  await cg.destroy();
  try {
    await runHooks(state.config.hooks?.poststop, hookState(state, "stopped"));
  } catch (e) {
    logWarning(`${(e as Error).message}`);
  }
  Deno.removeSync(containerDir(root, state.id), { recursive: true });
}
