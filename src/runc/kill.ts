// `runc kill ID [SIGNAL]` and `--all`.
import { kill as sysKill } from "../sys/libc.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import { computeStatus, loadState } from "./state.ts";

export async function kill(root: string, id: string, signal: number, all: boolean) {
  const state = await loadState(root, id);
  const cg = await cgroupOf(state);
  const status = await computeStatus(root, state, () => cg.frozen());
  if (status === "stopped" && !all) throw new Error("container not running");
  if (all) {
    for (const pid of await cg.procs()) sysKill(pid, signal);
    return;
  }
  if (!sysKill(state.pid, signal)) throw new Error("container not running");
}
