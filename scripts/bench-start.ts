// scripts/bench start: container start latency and memory per container, ours (engine
// containerd + engine shim + engine runc) against Debian's containerd + containerd-shim-runc-v2
// + runc driven with ctr, in one run, interleaved. Prints medians and ratios.
//
//   deno run -A scripts/bench-start.ts [--runs N] [--counts 1,10,50]
import { parseArgs } from "node:util";
import {
  type ContainerdProcess,
  specFor,
  startContainerd,
} from "../tests/helpers/containerd_process.ts";
import { makeBusyboxRootfs } from "../tests/helpers/rootfs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "10" },
    counts: { type: "string", default: "1,10,50" },
  },
});
const RUNS = Number(values.runs);
const COUNTS = values.counts.split(",").map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Debian's containerd on its own socket, with a busybox rootfs for `ctr run --rootfs`. */
async function startReference(dir: string) {
  await Deno.writeTextFile(
    `${dir}/config.toml`,
    `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\n[grpc]\n  address = "${dir}/c.sock"\n` +
      `[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n`,
  );
  await makeBusyboxRootfs(`${dir}/rootfs`);
  const child = new Deno.Command("/usr/bin/containerd", {
    args: ["--config", `${dir}/config.toml`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (
    let i = 0;
    i < 100 && !(await Deno.stat(`${dir}/c.sock`).then(() => true, () => false));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const ctr = (...args: string[]) => run("/usr/bin/ctr", ["--address", `${dir}/c.sock`, ...args]);
  return {
    child,
    async start(id: string) {
      await ctr("run", "-d", "--rootfs", `${dir}/rootfs`, id, "/bin/sleep", "1000");
    },
    async remove(id: string) {
      await ctr("task", "kill", "-s", "9", id).catch(() => {});
      for (let i = 0; i < 50; i++) {
        if ((await ctr("task", "ls").catch(() => "")).includes(`${id} `) === false) break;
        const ls = await ctr("task", "ls");
        if (!ls.split("\n").some((l) => l.startsWith(id + " ") && l.includes("RUNNING"))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await ctr("task", "delete", id).catch(() => {});
      await ctr("container", "delete", id).catch(() => {});
    },
    shimPids: () => pidsOf("containerd-shim-runc-v2", dir),
  };
}

/** Pids of processes whose command line runs `exe` and mentions `marker`. */
async function pidsOf(exe: string, marker: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.includes(exe) && cmd.includes(marker)) pids.push(Number(e.name));
  }
  return pids;
}

async function pss(pids: number[]): Promise<number> {
  let kb = 0;
  for (const pid of pids) {
    const text = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`).catch(() => "");
    kb += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return kb / 1024;
}

function ours(c: ContainerdProcess) {
  return {
    async start(id: string) {
      const spec = specFor(["/bin/sleep", "1000"]);
      let r = await c.call("POST", "/v1/containers", {
        id,
        image: "busybox",
        snapshot: { parent: "busybox" },
        spec,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.json));
      r = await c.call("POST", `/v1/tasks/${id}`, {});
      if (r.status !== 201) throw new Error(JSON.stringify(r.json));
      r = await c.call("POST", `/v1/tasks/${id}/start`);
      if (r.status !== 200) throw new Error(JSON.stringify(r.json));
    },
    async remove(id: string) {
      await c.call("POST", `/v1/tasks/${id}/kill`, { signal: 9 });
      await c.call("GET", `/v1/tasks/${id}/wait`);
      await c.call("DELETE", `/v1/tasks/${id}`);
      await c.call("DELETE", `/v1/containers/${id}`);
    },
    shimPids: async () => {
      const ids = (await c.call("GET", "/v1/tasks")).json as string[];
      return await Promise.all(
        ids.map(async (id) => (await c.call("GET", `/v1/tasks/${id}`)).json.shimPid as number),
      );
    },
  };
}

const refDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ebr" });
const c = await startContainerd();
const ref = await startReference(refDir);
const engine = ours(c);
try {
  const times = { engine: [] as number[], containerd: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    for (const [name, side] of [["engine", engine], ["containerd", ref]] as const) {
      const t0 = performance.now();
      await side.start(`b${i}`);
      times[name].push(performance.now() - t0);
      await side.remove(`b${i}`);
    }
  }
  const e = median(times.engine), r = median(times.containerd);
  console.log(`start (API call until the process runs), median of ${RUNS}:`);
  console.log(
    `  engine ${e.toFixed(1)} ms   containerd+ctr ${r.toFixed(1)} ms   ratio ${(e / r).toFixed(2)}`,
  );

  console.log("shim memory (PSS per container):");
  for (const n of COUNTS) {
    const row: string[] = [];
    const per: Record<string, number> = {};
    for (const [name, side] of [["engine", engine], ["containerd", ref]] as const) {
      for (let i = 0; i < n; i++) await side.start(`m${i}`);
      await new Promise((r) => setTimeout(r, 500));
      per[name] = (await pss(await side.shimPids())) / n;
      row.push(`${name} ${per[name].toFixed(1)} MiB`);
      for (let i = 0; i < n; i++) await side.remove(`m${i}`);
    }
    console.log(
      `  ${String(n).padStart(3)} containers: ${row.join("   ")}   ratio ${
        (per.engine / per.containerd).toFixed(2)
      }`,
    );
  }
} finally {
  await c.close();
  ref.child.kill("SIGTERM");
  await ref.child.status;
  await Deno.remove(refDir, { recursive: true }).catch(() => {});
}
