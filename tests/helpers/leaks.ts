// What the test suite could leak: mounts, engine processes, cgroups. A baseline is taken
// before the first test file and compared after the last (files run in name order).

export const BASELINE = "/tmp/engine-test-leak-baseline.json";

export interface Snapshot {
  mounts: string[];
  processes: string[];
  cgroups: string[];
}

/** This checkout: processes of other checkouts (another run beside ours) are not ours. */
const REPO = new URL("../..", import.meta.url).pathname;
const ENGINE_PROC = /(main\.ts|engine) (shim|runc|containerd|daemon)\b/;

export async function snapshot(): Promise<Snapshot> {
  const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .map((l) => l.split(" ")[4]).filter((m) =>
      m && (m.startsWith("/tmp/") || m.startsWith("/run/engine"))
    );
  const processes: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmd = (await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "")).replaceAll(
      "\0",
      " ",
    );
    if (ENGINE_PROC.test(cmd) && cmd.includes(REPO)) processes.push(`${e.name} ${cmd.trim()}`);
  }
  const cgroups: string[] = [];
  try {
    for await (const e of Deno.readDir("/sys/fs/cgroup/pids")) {
      if (e.isDirectory) cgroups.push(e.name);
    }
  } catch { /* no v1 pids hierarchy */ }
  return { mounts: mounts.sort(), processes, cgroups: cgroups.sort() };
}
