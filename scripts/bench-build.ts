// scripts/bench build: a 10-step Dockerfile built by the docker CLI's legacy builder
// (DOCKER_BUILDKIT=0, the same /usr/bin/docker on both sides) against our daemon and
// against Debian's dockerd, interleaved: cold (--no-cache) and fully cached. Same busybox
// image on both sides (saved from ours, loaded into dockerd). Prints medians and ratios.
//
//   deno run -A scripts/bench-build.ts [--runs N]
import { parseArgs } from "node:util";
import { startDaemon } from "../tests/helpers/daemon.ts";
import { DOCKER, startDockerd } from "./lib/dockerd.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "5" } },
});
const RUNS = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const DOCKERFILE = [
  "FROM busybox:latest",
  "ENV A=1",
  "WORKDIR /work",
  "COPY data/ ./data/",
  "RUN echo one > one.txt",
  "RUN mkdir -p out && cp -r data out/",
  "ARG V=1",
  "LABEL bench=build",
  "EXPOSE 8080",
  'CMD ["cat", "one.txt"]',
  "",
].join("\n");

async function cli(host: string, config: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(DOCKER, {
    args,
    env: { DOCKER_HOST: host, DOCKER_CONFIG: config, DOCKER_BUILDKIT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`docker ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ebbuild" });
const ours = await startDaemon();
let theirs;
try {
  theirs = await startDockerd(`${tmp}/docker`);
  const ctx = `${tmp}/ctx`;
  await Deno.mkdir(`${ctx}/data/sub`, { recursive: true });
  await Deno.writeTextFile(`${ctx}/Dockerfile`, DOCKERFILE);
  for (let i = 0; i < 20; i++) await Deno.writeTextFile(`${ctx}/data/f${i}.txt`, `${i}\n`);
  await Deno.writeTextFile(`${ctx}/data/sub/x.txt`, "x\n");
  await cli(ours.host, `${tmp}/client`, ["save", "-o", `${tmp}/bb.tar`, "busybox:latest"]);
  await theirs.docker(["load", "-i", `${tmp}/bb.tar`]);

  const sides = {
    engine: (args: string[]) => cli(ours.host, `${tmp}/client`, args),
    dockerd: (args: string[]) => cli(theirs!.env.DOCKER_HOST, theirs!.env.DOCKER_CONFIG, args),
  };
  const build = (extra: string[]) => ["build", "--network", "none", ...extra, "-t", "bench:1", ctx];
  // One warm-up build each (pays first-use costs and fills the cache).
  for (const run of Object.values(sides)) await run(build([]));

  const cold = { engine: [] as number[], dockerd: [] as number[] };
  const cached = { engine: [] as number[], dockerd: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(sides) as [keyof typeof cold, typeof sides.engine][]) {
      cold[name].push(await timed(() => run(build(["--no-cache"]))));
      cached[name].push(await timed(() => run(build([]))));
    }
  }
  const report = (what: string, t: typeof cold) => {
    const e = median(t.engine), d = median(t.dockerd);
    console.log(`${what}, median of ${RUNS}, interleaved:`);
    console.log(
      `  engine ${e.toFixed(0)} ms   dockerd ${d.toFixed(0)} ms   ratio ${(e / d).toFixed(2)}`,
    );
  };
  report("10-step build, cold (--no-cache)", cold);
  report("10-step build, fully cached", cached);
} finally {
  await theirs?.close();
  await ours.close();
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
