// `runc pause` / `runc resume`: the cgroup freezer.
import { cgroupOf } from "./cgroup_setup.ts";
import { computeStatus, loadState } from "./state.ts";

export async function pause(root: string, id: string) {
  const state = await loadState(root, id);
  const cg = await cgroupOf(state);
  const status = await computeStatus(root, state, () => cg.frozen());
  if (status !== "running" && status !== "created") throw new Error("container not running");
  await cg.freeze();
}

export async function resume(root: string, id: string) {
  const state = await loadState(root, id);
  const cg = await cgroupOf(state);
  if ((await computeStatus(root, state, () => cg.frozen())) !== "paused") {
    throw new Error("container not paused");
  }
  await cg.thaw();
}
