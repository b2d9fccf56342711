// What the test suite could leak: mounts (netns files too), engine processes, cgroups,
// netfilter rules, bridges and veths. A baseline is taken before the first test file and
// compared after the last (files run in name order).

export const BASELINE = "/tmp/engine-test-leak-baseline.json";

export interface Snapshot {
  mounts: string[];
  processes: string[];
  cgroups: string[];
  /** iptables rules carrying an engine daemon's comment (a network's or a container's). */
  netfilter: string[];
  /** Network interfaces a daemon creates: bridges (engine0, test et<tag>, br-<id>), veths. */
  links: string[];
}

const ENGINE_LINK = /^(engine0|et[0-9a-f]{6}|br-[0-9a-f]{12}|veth[0-9a-f]{7})$/;

/** This checkout: processes of other checkouts (another run beside ours) are not ours. */
const REPO = new URL("../..", import.meta.url).pathname;
/** cgroup parents a daemon creates once and keeps (Docker keeps /docker the same way). */
const SHARED_PARENTS = ["engine", "docker"];
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
  const dirs = (path: string) => {
    try {
      return [...Deno.readDirSync(path)].filter((e) => e.isDirectory).map((e) => e.name);
    } catch {
      return []; // no v1 pids hierarchy
    }
  };
  for (const name of dirs("/sys/fs/cgroup/pids")) {
    // The daemons' parents (/engine, /docker) stay, as dockerd's do: look at their children.
    if (SHARED_PARENTS.includes(name)) {
      for (const child of dirs(`/sys/fs/cgroup/pids/${name}`)) cgroups.push(`${name}/${child}`);
    } else cgroups.push(name);
  }
  const links = [...Deno.readDirSync("/sys/class/net")].map((e) => e.name)
    .filter((n) => ENGINE_LINK.test(n)).sort();
  return {
    mounts: mounts.sort(),
    processes,
    cgroups: cgroups.sort(),
    netfilter: await rules(),
    links,
  };
}

async function rules(): Promise<string[]> {
  try {
    const out = await new Deno.Command("iptables-save", { stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.includes('--comment "engine/')).sort();
  } catch {
    return []; // no iptables here
  }
}
