// `runc ps [--format table|json] ID [ps options]`: the container's processes.
import { cgroupOf } from "./cgroup_setup.ts";
import { loadState } from "./state.ts";

/** The pids in the container's cgroup. */
export async function pidsOf(root: string, id: string): Promise<number[]> {
  const state = await loadState(root, id);
  return await (await cgroupOf(state)).procs();
}

/** How many processes the OOM killer has killed in the container's cgroup. */
export async function oomKillsOf(root: string, id: string): Promise<number> {
  const state = await loadState(root, id);
  return await (await cgroupOf(state)).oomKills();
}

export async function ps(
  root: string,
  id: string,
  format: string,
  psArgs: string[],
): Promise<string> {
  const pids = await pidsOf(root, id);
  if (format === "json") return JSON.stringify(pids) + "\n";
  if (format !== "table") throw new Error(`invalid format option`);
  const out = await new Deno.Command("ps", { args: psArgs.length ? psArgs : ["-ef"] }).output();
  if (!out.success) {
    throw new Error(`ps: ${new TextDecoder().decode(out.stderr).trim() || "failed"}`);
  }
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const pidCol = lines[0].trim().split(/\s+/).indexOf("PID");
  if (pidCol < 0) throw new Error("couldn't find PID field in ps output");
  const want = new Set(pids.map(String));
  const kept = lines.slice(1).filter((l) => want.has(l.trim().split(/\s+/)[pidCol]));
  return [lines[0], ...kept].join("\n") + "\n";
}
