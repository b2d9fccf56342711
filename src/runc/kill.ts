// `runc kill ID [SIGNAL]` and `--all`.
import { kill as sysKill } from "../sys/libc.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import { computeStatus, loadState } from "./state.ts";
import { logWarning } from "./log.ts";

export async function kill(root: string, id: string, signal: number, all: boolean) {
  const state = await loadState(root, id);
  const cg = await cgroupOf(state);
  const status = await computeStatus(root, state, () => cg.frozen());
  if (status === "stopped" && !all) throw new Error("container not running");
  if (all) {
    // As runc's signalAllProcesses: frozen while signalled, so no process forks past the
    // list, and thawed after, so that a SIGKILL takes a paused container down too.
    await cg.freeze().catch(() => {});
    try {
      for (const pid of await cg.procs()) sysKill(pid, signal);
    } finally {
      await cg.thaw().catch((e) => logWarning((e as Error).message));
    }
    return;
  }
  if (!sysKill(state.pid, signal)) throw new Error("container not running");
}
