// scripts/bench save: `engine save` and `engine load` (our CLI and daemon) against `docker
// save` / `docker load` on Debian's dockerd, on the same Debian minbase image (pulled into
// both from one local docker-registry), interleaved. Each side loads the archive it saved;
// every load is cold (the image removed first, untimed). Prints medians and ratios. Both
// data roots and the archives sit in one fresh dir under /var/tmp (not /tmp, where tests
// churn files: on this host's journal-less ext4 each create walks past the inodes freed in
// the last minutes, and every cold load follows an rmi). --journal-fs: in a fresh
// loop-mounted ext4 with a journal instead, as scripts/bench pull --journal-fs.
//
//   deno run -A scripts/bench-save.ts [--runs N] [--journal-fs]
import { parseArgs } from "node:util";
import { DOCKER, DOCKERD, startDockerd } from "./lib/dockerd.ts";
import {
  buildLayout,
  exists,
  makeWorkDir,
  median,
  pushMinbase,
  run,
  SKOPEO,
} from "./lib/minbase.ts";
import { ENGINE, startDaemon } from "../tests/helpers/daemon.ts";
import { type Registry, startRegistry } from "../tests/helpers/registry.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    "journal-fs": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: not a positive integer`);

interface Side {
  name: string;
  cli(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

async function main() {
  if (Deno.uid() !== 0) throw new Error("bench save: needs root (daemons)");
  for (const bin of [DOCKERD, DOCKER, SKOPEO, "/usr/bin/docker-registry"]) {
    if (!await exists(bin)) throw new Error(`bench save: ${bin} is missing (scripts/setup)`);
  }
  const img = await buildLayout();
  console.log(
    `image: debian bookworm minbase, ${img.layers.length} layers, ` +
      `${(img.layers.reduce((a, l) => a + l.tarSize, 0) / 1e6).toFixed(1)} MB of tar`,
  );
  const work = await makeWorkDir("engine-bench-save-", !!values["journal-fs"]);
  const tmp = work.path;
  let reg: Registry | undefined;
  const sides: Side[] = [];
  try {
    reg = await startRegistry();
    const ref = `${reg.host}/minbase:latest`;
    await pushMinbase(ref);
    const d = await startDaemon(["--data-root", `${tmp}/engine`]);
    sides.push({
      name: "engine",
      async cli(...args) {
        const r = await d.docker(ENGINE, ["-H", d.host, ...args]);
        if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.err}`);
        return r.out;
      },
      close: () => d.close(),
    });
    const dockerd = await startDockerd(`${tmp}/docker`);
    sides.push({
      name: "docker",
      cli: (...args) => dockerd.docker(args),
      close: () => dockerd.close(),
    });
    for (const s of sides) await s.cli("pull", "-q", ref);

    const saves = new Map(sides.map((s) => [s.name, [] as number[]]));
    const loads = new Map(sides.map((s) => [s.name, [] as number[]]));
    for (let r = 0; r < RUNS; r++) {
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(r + k) % sides.length];
        const tar = `${tmp}/${s.name}.tar`;
        saves.get(s.name)!.push(await timed(() => s.cli("save", "-o", tar, ref)));
        await s.cli("rmi", ref);
        await run("sync", ["-f", tmp]);
        loads.get(s.name)!.push(await timed(() => s.cli("load", "-q", "-i", tar)));
        await Deno.remove(tar);
        await run("sync", ["-f", tmp]);
      }
      console.error(
        `run ${r + 1}/${RUNS}: ` +
          sides.map((s) =>
            `${s.name} save ${saves.get(s.name)!.at(-1)!.toFixed(2)}s load ${
              loads.get(s.name)!.at(-1)!.toFixed(2)
            }s`
          ).join(", "),
      );
    }
    console.log(`\n${RUNS} runs each, interleaved (median s, min–max):`);
    for (const [what, times] of [["save", saves], ["load", loads]] as const) {
      for (const [name, t] of times) {
        console.log(
          `${what} ${name.padEnd(8)} ${median(t).toFixed(3).padStart(7)}  ${
            Math.min(...t).toFixed(3)
          }–${Math.max(...t).toFixed(3)}`,
        );
      }
      const e = times.get("engine")!;
      const o = times.get("docker")!;
      console.log(
        `${what} engine/docker: ${(median(e) / median(o)).toFixed(2)}x of medians, ${
          median(e.map((t, i) => t / o[i])).toFixed(2)
        }x per round (target ≤ 1.00)\n`,
      );
    }
  } finally {
    for (const s of sides.reverse()) {
      await s.close().catch((err) => console.error(`close ${s.name}: ${err}`));
    }
    await reg?.stop();
    await work.remove();
  }
}

try {
  await main();
  Deno.exit(0);
} catch (err) {
  console.error(`bench save: ${err instanceof Error ? err.stack ?? err.message : err}`);
  Deno.exit(1);
}
