// scripts/bench run: `engine run --rm busybox true` (our CLI, daemon, containerd, shim,
// runtime) vs `docker run --rm busybox true` on Debian's dockerd, interleaved, without a
// network (--network none) and on each daemon's default bridge (dockerd on a bridge of its
// own, iptables as shipped, no masquerade); 50 `run -d` at once on the bridge; idle memory of
// our daemon + containerd vs dockerd + containerd. The burst also reports the machine's busy
// CPU per container (the whole machine: other work running meanwhile counts too). Same
// busybox image on both sides (imported from the host's busybox-static). Prints medians and
// ratios.
//
//   deno run -A scripts/bench-run.ts [--runs N] [--burst 50]
import { parseArgs } from "node:util";
import { ENGINE, startDaemon } from "../tests/helpers/daemon.ts";
import { makeBusyboxRootfs } from "../tests/helpers/rootfs.ts";
import { pidsNaming, startDockerd, unmountUnder } from "./lib/dockerd.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "15" }, burst: { type: "string", default: "50" } },
});
const RUNS = Number(values.runs), BURST = Number(values.burst);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Memory {
  rss: number;
  pss: number;
  /**
   * The side's own memory, as if it ran alone: every process's anonymous pages, plus each
   * mapped file once (its largest Rss among the side's processes). PSS depends on what else
   * runs: another dockerd or other deno processes on the machine share the binary's pages
   * and halve that side's PSS.
   */
  own: number;
  n: number;
}

/** In MiB, summed over the distinct pids (a pid listed twice would count twice). */
async function memory(pids: number[]): Promise<Memory> {
  let rss = 0, pss = 0, anon = 0;
  const files = new Map<string, number>();
  const distinct = [...new Set(pids)];
  for (const pid of distinct) {
    const t = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`).catch(() => "");
    rss += Number(/^Rss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
    pss += Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
    anon += Number(/^Anonymous:\s+(\d+)/m.exec(t)?.[1] ?? 0);
    const perFile = new Map<string, number>();
    let path = "";
    for (
      const line of (await Deno.readTextFile(`/proc/${pid}/smaps`).catch(() => "")).split("\n")
    ) {
      const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ [1-9]\d*\s+(\/.*)$/.exec(line);
      if (m) path = m[1];
      else if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) path = "";
      else if (path && /^(Rss|Anonymous):/.test(line)) {
        // A file mapping's anonymous (copied-on-write) pages are in `anon` already.
        const kb = Number(line.split(/\s+/)[1]) * (line.startsWith("Rss") ? 1 : -1);
        perFile.set(path, (perFile.get(path) ?? 0) + kb);
      }
    }
    for (const [f, kb] of perFile) files.set(f, Math.max(files.get(f) ?? 0, kb));
  }
  const own = anon + [...files.values()].reduce((a, b) => a + b, 0);
  return { rss: rss / 1024, pss: pss / 1024, own: own / 1024, n: distinct.length };
}

/** CPU time the whole machine spent busy so far, in ms (/proc/stat: all but idle and iowait). */
async function busyMs(): Promise<number> {
  const f = (await Deno.readTextFile("/proc/stat")).split("\n")[0].trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return (user + nice + system + irq + softirq + steal) * 1000 / 100; // USER_HZ = 100
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** The reference daemon's default bridge (dockerd takes an existing one with its address). */
const DOCKER_BRIDGE = "ebdock0";
async function ip(args: string[]) {
  const o = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!o.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
}

const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ebrun" });
const ours = await startDaemon();
let theirs;
try {
  await ip(["link", "add", DOCKER_BRIDGE, "type", "bridge"]);
  await ip(["addr", "add", "10.199.77.1/24", "dev", DOCKER_BRIDGE]);
  await ip(["link", "set", DOCKER_BRIDGE, "up"]);
  theirs = await startDockerd(`${tmp}/docker`, { bridge: DOCKER_BRIDGE });
  await makeBusyboxRootfs(`${tmp}/bb`);
  const tar = await new Deno.Command("tar", {
    args: ["-C", `${tmp}/bb`, "-c", "."],
    stdout: "piped",
  }).output();
  await theirs.docker(["import", "-", "busybox:latest"], tar.stdout);
  const engine = async (args: string[]) => {
    const r = await ours.docker(ENGINE, args);
    if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.err}`);
    return r.out;
  };

  // Idle memory first, before any container ran. pidsNaming finds the daemon too (its
  // command line names the dir): memory() counts each pid once.
  const idleOurs = await memory([ours.child.pid, ...await pidsNaming(ours.dir)]);
  const idleTheirs = await memory(await theirs.pids());

  for (const [label, net] of [["--network none", ["--network", "none"]], ["default bridge", []]]) {
    const times = { engine: [] as number[], docker: [] as number[] };
    const args = ["run", "--rm", ...net, "busybox", "true"];
    for (let i = 0; i < RUNS; i++) {
      times.engine.push(await timed(() => engine(args)));
      times.docker.push(await timed(() => theirs!.docker(args)));
    }
    const e = median(times.engine), d = median(times.docker);
    console.log(`run --rm busybox true (${label}), median of ${RUNS}, interleaved:`);
    console.log(
      `  engine ${e.toFixed(1)} ms   docker ${d.toFixed(1)} ms   ratio ${(e / d).toFixed(2)}`,
    );
  }

  // Wall time, and the machine's busy CPU per container meanwhile (every process: CLI,
  // daemon, containerd, shims, runtime, kernel work).
  const burst = async (run: (args: string[]) => Promise<unknown>) => {
    const cpu0 = await busyMs();
    const wall = await timed(() =>
      Promise.all(
        Array.from({ length: BURST }, () => run(["run", "-d", "busybox", "sleep", "300"])),
      )
    );
    return { wall, cpu: (await busyMs() - cpu0) / BURST };
  };
  const be = await burst(engine);
  const bd = await burst((a) => theirs!.docker(a));
  console.log(`${BURST} run -d at once (default bridge):`);
  console.log(
    `  engine ${(be.wall / 1000).toFixed(2)} s   docker ${(bd.wall / 1000).toFixed(2)} s   ratio ${
      (be.wall / bd.wall).toFixed(2)
    }`,
  );
  console.log(
    `  busy CPU per container: engine ${be.cpu.toFixed(0)} ms   docker ${bd.cpu.toFixed(0)} ms` +
      `   ratio ${(be.cpu / bd.cpu).toFixed(2)}`,
  );
  for (const id of (await engine(["ps", "-aq"])).trim().split("\n").filter(Boolean)) {
    await engine(["rm", "-f", id]);
  }
  const left = (await theirs.docker(["ps", "-aq"])).trim().split("\n").filter(Boolean);
  if (left.length) await theirs.docker(["rm", "-f", ...left]);
  // Again once every container is gone and both sides sat idle 6 s (our layers trim their C
  // heap every 5 s; Go's scavenger returns memory in the background too): what each side
  // kept from the runs and the burst.
  await new Promise((r) => setTimeout(r, 6000));
  const afterOurs = await memory([ours.child.pid, ...await pidsNaming(ours.dir)]);
  const afterTheirs = await memory(await theirs.pids());

  const line = (o: Memory, t: Memory) =>
    `  engine RSS ${o.rss.toFixed(1)}, PSS ${o.pss.toFixed(1)}, own ${o.own.toFixed(1)} MiB   ` +
    `docker RSS ${t.rss.toFixed(1)}, PSS ${t.pss.toFixed(1)}, own ${t.own.toFixed(1)} MiB   ` +
    `ratio PSS ${(o.pss / t.pss).toFixed(2)}, own ${(o.own / t.own).toFixed(2)}`;
  console.log(
    `idle memory of the daemon side (daemon + containerd; ${idleOurs.n} and ${idleTheirs.n} ` +
      "processes), before any container ran:",
  );
  console.log(line(idleOurs, idleTheirs));
  console.log(
    `after the runs and the burst, every container removed, 6 s idle (${afterOurs.n} and ` +
      `${afterTheirs.n} processes: ours keeps a spare shim):`,
  );
  console.log(line(afterOurs, afterTheirs));
} finally {
  await ours.close();
  await theirs?.close();
  await new Deno.Command("ip", { args: ["link", "del", DOCKER_BRIDGE], stderr: "null" }).output();
  await unmountUnder(tmp);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
