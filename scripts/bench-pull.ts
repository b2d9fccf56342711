// scripts/bench pull: pull + unpack of a realistic image, ours (`engine pull` through our
// daemon, and `engine containerd` through its API alone) against Debian's dockerd (`docker
// pull`, overlay2) and against `skopeo copy` + `umoci unpack`, from one local docker-registry
// on 127.0.0.1, interleaved in one run. Every
// run is cold: the image is removed (and ours garbage-collected) between runs. Prints
// per-tool medians, MB/s (compressed bytes pulled / time), files/s (tar entries unpacked /
// time), ratios, and where our time goes (from our pull's progress lines).
//
//   deno run -A scripts/bench-pull.ts [--runs N] [--prepare-only] [--journal-fs]
//
// The image: a Debian bookworm minbase rootfs (`debootstrap --variant=minbase`, the only
// step that contacts anything but 127.0.0.1: Debian's mirror), cached as a tarball in
// /var/tmp/engine-bench/ (ENGINE_BENCH_CACHE), cleaned like Debian's official images, split
// into 3 gzip layers (/usr/lib; the rest of /usr; /etc, /var and the rest) in an OCI layout
// (also cached) and pushed with `skopeo copy --preserve-digests`.
//
// All four unpack under one directory in /var/tmp. Where matters on this host: its ext4 has
// no journal, so creating a file walks past every inode of its block group freed in the
// last 5 minutes (ext4's recently_deleted, seen with perf: 60% of GNU tar's time). Under
// /tmp, where every test creates and removes trees, GNU tar spent 3.6–5.2 s of system time
// on layer 2, in /var/tmp or /work 0.2–2.3 s; ours ran in /tmp, docker in /var/tmp.
// --journal-fs runs all four in a fresh ext4 made with mkfs's defaults (journal on, where
// ext4 skips that walk), loop-mounted from a sparse file: the usual Linux host's disk.
import { DOCKER, DOCKERD, startDockerd } from "./lib/dockerd.ts";
import { parseArgs } from "node:util";
import { ContainerdClient } from "../src/containerd/client/mod.ts";
import type { ProgressLine } from "../src/containerd/api/images.ts";
import { type ContainerdProcess, startContainerd } from "../tests/helpers/containerd_process.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../tests/helpers/daemon.ts";
import { type Registry, startRegistry } from "../tests/helpers/registry.ts";
import {
  buildLayout,
  exists,
  makeWorkDir,
  median,
  pushMinbase,
  removeTree,
  ROOTFS_TAR,
  run,
  SKOPEO,
} from "./lib/minbase.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    "prepare-only": { type: "boolean", default: false },
    "journal-fs": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: not a positive integer`);
const UMOCI = "/usr/bin/umoci";

// ---------------------------------------------------------------------------------------
// The three pullers

interface Puller {
  name: string;
  /** One cold pull + unpack; returns seconds. */
  pull(): Promise<number>;
  /** Filesystem paths the last pull unpacked (a check that it really did). */
  unpacked(): Promise<number>;
  /** Removes what pull() made, so the next pull is cold (not timed). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface Phase {
  /** ms from the request: first byte of progress, downloads complete, each layer done. */
  firstLine: number;
  downloadsDone: number;
  extract: { id: string; start: number; end: number }[];
  done: number;
}

async function countFiles(dir: string): Promise<number> {
  return Number((await run("sh", ["-c", 'find "$1" | wc -l', "sh", dir])).trim());
}

async function ourPuller(ref: string, phases: Phase[], tmp: string): Promise<Puller> {
  // Its root beside docker's (see the top), not in the helper's directory under /tmp.
  const root = `${tmp}/containerd`;
  const ctd: ContainerdProcess = await startContainerd(["--root", root]);
  const client = new ContainerdClient(ctd.socket);
  const blobs = `${root}/content/blobs/sha256`;
  const snaps = `${root}/snapshots`;
  const baseline = { blobs: -1, snaps: -1 };
  return {
    name: "containerd",
    async pull() {
      if (baseline.blobs < 0) {
        baseline.blobs = await countFiles(blobs).catch(() => 0);
        baseline.snaps = await countFiles(snaps);
      }
      const ph: Phase = { firstLine: -1, downloadsDone: -1, extract: [], done: -1 };
      const downloaded = new Set<string>();
      const t0 = performance.now();
      const onProgress = (l: ProgressLine) => {
        const t = performance.now() - t0;
        if (ph.firstLine < 0) ph.firstLine = t;
        if (l.status === "Download complete" || l.status === "Already exists") {
          downloaded.add(l.id);
          ph.downloadsDone = t;
        }
        if (l.status === "Extracting" && !ph.extract.some((e) => e.id === l.id)) {
          ph.extract.push({ id: l.id, start: t, end: -1 });
        }
        if (l.status === "Pull complete") {
          const e = ph.extract.find((e) => e.id === l.id);
          if (e) e.end = t;
        }
      };
      const done = await client.images.pull(ref, { onProgress });
      const s = (performance.now() - t0) / 1000;
      ph.done = s * 1000;
      phases.push(ph);
      if (!done.updated) throw new Error("containerd: the pull was not cold (image already there)");
      return s;
    },
    async unpacked() {
      return await countFiles(snaps) - baseline.snaps;
    },
    async reset() {
      await client.images.remove(ref);
      const b = await countFiles(blobs).catch(() => 0);
      const n = await countFiles(snaps);
      if (b !== baseline.blobs || n !== baseline.snaps) {
        throw new Error(
          `containerd: image delete left ${b - baseline.blobs} blob and ${
            n - baseline.snaps
          } snapshot paths behind: runs would not be cold`,
        );
      }
    },
    async close() {
      client.close();
      await ctd.close();
    },
  };
}

/** `engine pull -q` (our CLI) through our daemon, as `docker pull -q` through dockerd. */
async function daemonPuller(ref: string, tmp: string): Promise<Puller> {
  const data = `${tmp}/engine`;
  const d: TestDaemon = await startDaemon(["--data-root", data]);
  const engine = async (...args: string[]) => {
    const r = await d.docker(ENGINE, ["-H", d.host, ...args]);
    if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const root = `${data}/containerd`;
  const baseline = { blobs: -1, snaps: -1 };
  return {
    name: "engine",
    async pull() {
      if (baseline.blobs < 0) {
        baseline.blobs = await countFiles(`${root}/content/blobs/sha256`);
        baseline.snaps = await countFiles(`${root}/snapshots`);
      }
      const t0 = performance.now();
      await engine("pull", "-q", ref);
      return (performance.now() - t0) / 1000;
    },
    async unpacked() {
      return await countFiles(`${root}/snapshots`) - baseline.snaps;
    },
    async reset() {
      await engine("rmi", ref);
      const b = await countFiles(`${root}/content/blobs/sha256`);
      const n = await countFiles(`${root}/snapshots`);
      if (b !== baseline.blobs || n !== baseline.snaps) {
        throw new Error(
          `engine: rmi left ${b - baseline.blobs} blob and ${
            n - baseline.snaps
          } snapshot paths behind: runs would not be cold`,
        );
      }
    },
    close: () => d.close(),
  };
}

async function dockerPuller(ref: string, tmp: string): Promise<Puller> {
  const dir = `${tmp}/docker`;
  const dockerd = await startDockerd(dir);
  const docker = (...args: string[]) => dockerd.docker(args);
  const close = async () => {
    await dockerd.close();
    await removeTree(dir);
  };
  return {
    name: "docker",
    async pull() {
      const t0 = performance.now();
      await docker("pull", "-q", ref);
      return (performance.now() - t0) / 1000;
    },
    async unpacked() {
      return await countFiles(`${dir}/data/overlay2`);
    },
    async reset() {
      await docker("rmi", ref);
      const left = (await docker("images", "-q", "-a")).trim();
      if (left) throw new Error(`docker: images left after rmi: ${left}`);
    },
    close,
  };
}

function skopeoUmociPuller(ref: string, tmp: string): Puller {
  const dir = `${tmp}/skopeo`;
  return {
    name: "skopeo+umoci",
    async pull() {
      await Deno.mkdir(dir, { recursive: true });
      const t0 = performance.now();
      await run(SKOPEO, [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--src-no-creds",
        `docker://${ref}`,
        `oci:${dir}/oci:latest`,
      ]);
      await run(UMOCI, ["unpack", "--image", `${dir}/oci:latest`, `${dir}/bundle`]);
      return (performance.now() - t0) / 1000;
    },
    async unpacked() {
      return await countFiles(`${dir}/bundle/rootfs`);
    },
    async reset() {
      await removeTree(dir);
    },
    async close() {
      await removeTree(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------

// Ctrl-C (or SIGTERM) stops at the next step and still cleans up; a second one exits now.
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    console.error(`${sig}: stopping after this step and cleaning up (again to exit now)`);
  });
}
function checkInterrupted() {
  if (interrupted) throw new Error("interrupted");
}

async function main() {
  if (Deno.uid() !== 0) throw new Error("bench pull: needs root (overlay, umoci unpack, dockerd)");
  for (const bin of [DOCKERD, DOCKER, SKOPEO, UMOCI, "/usr/bin/docker-registry"]) {
    if (!await exists(bin)) throw new Error(`bench pull: ${bin} is missing (scripts/setup)`);
  }
  if (!await exists(ROOTFS_TAR) && !await exists("/usr/sbin/debootstrap")) {
    throw new Error("bench pull: /usr/sbin/debootstrap is missing (apt-get install debootstrap)");
  }
  const img = await buildLayout();
  const mb = img.bytes / 1e6;
  console.log(
    `image: debian bookworm minbase, ${img.layers.length} gzip layers, ${mb.toFixed(1)} MB ` +
      `compressed (${img.layers.map((l) => (l.size / 1e6).toFixed(1)).join(" + ")}), ` +
      `${(img.layers.reduce((a, l) => a + l.tarSize, 0) / 1e6).toFixed(1)} MB of tar, ` +
      `${img.entries} entries`,
  );
  if (values["prepare-only"]) return;

  const work = await makeWorkDir("engine-bench-pull-", !!values["journal-fs"]);
  const tmp = work.path;
  let reg: Registry | undefined;
  const pullers: Puller[] = [];
  const phases: Phase[] = [];
  try {
    reg = await startRegistry();
    const ref = `${reg.host}/minbase:latest`;
    await pushMinbase(ref);
    checkInterrupted();
    pullers.push(await daemonPuller(ref, tmp));
    checkInterrupted();
    pullers.push(await ourPuller(ref, phases, tmp));
    checkInterrupted();
    pullers.push(await dockerPuller(ref, tmp));
    pullers.push(skopeoUmociPuller(ref, tmp));
    // Registry warm-up (its first blob reads come from disk): one untimed pull of each.
    // Then count what each unpacked: every tool must have created the whole tree.
    const counts: string[] = [];
    for (const p of pullers) {
      checkInterrupted();
      await p.pull();
      const n = await p.unpacked();
      counts.push(`${p.name} ${n}`);
      if (n < img.entries * 0.95) {
        throw new Error(`${p.name}: unpacked ${n} paths, the layers hold ${img.entries} entries`);
      }
      await p.reset();
    }
    console.log(`paths on disk after one pull: ${counts.join(", ")} (tar entries: ${img.entries})`);
    phases.length = 0;

    const times = new Map<string, number[]>(pullers.map((p) => [p.name, []]));
    for (let r = 0; r < RUNS; r++) {
      // Rotate the order so no tool always runs right after another's big rm -rf.
      for (let k = 0; k < pullers.length; k++) {
        checkInterrupted();
        const p = pullers[(r + k) % pullers.length];
        const s = await p.pull();
        times.get(p.name)!.push(s);
        await p.reset();
        // Flush the removal (ext4 here is mounted with discard) before the next timed pull.
        await run("sync", ["-f", tmp]);
      }
      console.error(
        `run ${r + 1}/${RUNS}: ` +
          [...times].map(([n, t]) => `${n} ${t[t.length - 1].toFixed(2)}s`).join(", "),
      );
    }

    console.log(`\npull + unpack, ${RUNS} cold runs each, interleaved (median):`);
    console.log(
      `${"tool".padEnd(14)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${
        "max s".padStart(7)
      } ${"MB/s".padStart(7)} ${"files/s".padStart(8)}`,
    );
    const med = new Map<string, number>();
    for (const [name, t] of times) {
      const m = median(t);
      med.set(name, m);
      console.log(
        `${name.padEnd(14)} ${m.toFixed(3).padStart(9)} ${Math.min(...t).toFixed(3).padStart(7)} ${
          Math.max(...t).toFixed(3).padStart(7)
        } ${(mb / m).toFixed(1).padStart(7)} ${Math.round(img.entries / m).toString().padStart(8)}`,
      );
    }
    // Ratios of medians, and the median of each round's own ratio (the same minutes of the
    // same disk: robust to the host's drift).
    const ratio = (a: string, b: string, note = "") => {
      const x = times.get(a)!;
      const y = times.get(b)!;
      const perRound = median(x.map((t, i) => t / y[i])).toFixed(2);
      return `${`${a}/${b}`.padEnd(24)} ${(med.get(a)! / med.get(b)!).toFixed(2).padStart(9)}x ${
        perRound.padStart(9)
      }x${note}`;
    };
    console.log(
      `\n${"ratio".padEnd(24)} ${"of medians".padStart(10)} ${"per round".padStart(10)}\n` +
        [
          ratio("engine", "docker", "   (CLI + daemon on both sides; target ≤ 1.00)"),
          ratio("containerd", "docker", "   (our containerd's API alone)"),
          ratio("containerd", "skopeo+umoci"),
        ].join("\n"),
    );
    // Our phases, from the pull's own progress lines (median over runs, ms from request).
    const pm = (f: (p: Phase) => number) => median(phases.map(f)).toFixed(0);
    console.log(
      `\ncontainerd phases (median ms from request): first progress line ${
        pm((p) => p.firstLine)
      }, all layers downloaded ${pm((p) => p.downloadsDone)}, done ${pm((p) => p.done)}`,
    );
    for (const [i, l] of img.layers.entries()) {
      const id = l.digest.slice(7, 19);
      const x = (p: Phase) => p.extract.find((e) => e.id === id);
      if (!phases.every((p) => x(p) && x(p)!.end >= 0)) continue;
      console.log(
        `  layer ${i + 1} (${(l.size / 1e6).toFixed(1)} MB, ${l.entries} entries): extract ${
          pm((p) => x(p)!.start)
        }–${pm((p) => x(p)!.end)} ms (${pm((p) => x(p)!.end - x(p)!.start)} ms, ${
          (l.tarSize / 1e6 / (median(phases.map((p) => x(p)!.end - x(p)!.start)) / 1000))
            .toFixed(0)
        } MB/s of tar)`,
      );
    }
  } finally {
    for (const p of pullers.reverse()) {
      await p.close().catch((err) => console.error(`close ${p.name}: ${err}`));
    }
    await reg?.stop();
    await work.remove();
  }
}

// Explicit exits: the signal listeners would keep the process alive.
try {
  await main();
  Deno.exit(0);
} catch (err) {
  console.error(`bench pull: ${err instanceof Error ? err.stack ?? err.message : err}`);
  Deno.exit(interrupted ? 130 : 1);
}
