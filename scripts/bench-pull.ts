// scripts/bench pull: pull + unpack of a realistic image, ours (`engine pull` through our
// daemon, and `engine containerd` through its API alone) against Debian's dockerd (`docker
// pull`, overlay2) and against `skopeo copy` + `umoci unpack`, from one local docker-registry
// on 127.0.0.1, interleaved in one run. Every
// run is cold: the image is removed (and ours garbage-collected) between runs. Prints
// per-tool medians, MB/s (compressed bytes pulled / time), files/s (tar entries unpacked /
// time), ratios, and where our time goes (from our pull's progress lines).
//
//   deno run -A scripts/bench-pull.ts [--runs N] [--prepare-only]
//
// The image: a Debian bookworm minbase rootfs (`debootstrap --variant=minbase`, the only
// step that contacts anything but 127.0.0.1: Debian's mirror), cached as a tarball in
// /var/tmp/engine-bench/ (ENGINE_BENCH_CACHE), cleaned like Debian's official images, split
// into 3 gzip layers (/usr/lib; the rest of /usr; /etc, /var and the rest) in an OCI layout
// (also cached) and pushed with `skopeo copy --preserve-digests`.
import { DOCKER, DOCKERD, startDockerd, unmountUnder } from "./lib/dockerd.ts";
import { parseArgs } from "node:util";
import { ContainerdClient } from "../src/containerd/client/mod.ts";
import type { ProgressLine } from "../src/containerd/api/images.ts";
import { type ContainerdProcess, startContainerd } from "../tests/helpers/containerd_process.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../tests/helpers/daemon.ts";
import { type Registry, startRegistry } from "../tests/helpers/registry.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    "prepare-only": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: not a positive integer`);
const CACHE = Deno.env.get("ENGINE_BENCH_CACHE") ?? "/var/tmp/engine-bench";
const MIRROR = "http://deb.debian.org/debian";
const ROOTFS_TAR = `${CACHE}/bookworm-minbase.tar`;
const LAYOUT = `${CACHE}/minbase-oci`;
const SKOPEO = "/usr/bin/skopeo";
const UMOCI = "/usr/bin/umoci";

const te = new TextEncoder();
const td = new TextDecoder();
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; stdout?: "piped" | "inherit" | "null" } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env: opts.env,
    stdin: "null",
    stdout: opts.stdout ?? "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = td.decode(out.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${err}`);
  }
  return opts.stdout === "piped" || opts.stdout === undefined ? td.decode(out.stdout) : "";
}

async function removeTree(dir: string) {
  await unmountUnder(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

// ---------------------------------------------------------------------------------------
// The image

interface ImageInfo {
  layers: { digest: string; size: number; diffId: string; tarSize: number; entries: number }[];
  /** Compressed bytes pulled: the layers (config and manifest are a few hundred bytes). */
  bytes: number;
  /** Tar entries in all layers: what an unpack creates. */
  entries: number;
}

async function buildRootfsTar() {
  if (await exists(ROOTFS_TAR)) return;
  await Deno.mkdir(CACHE, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: CACHE, prefix: "debootstrap-" });
  try {
    console.error(`debootstrap --variant=minbase bookworm (from ${MIRROR}) ...`);
    await run("/usr/sbin/debootstrap", ["--variant=minbase", "bookworm", `${dir}/root`, MIRROR], {
      stdout: "null",
    });
    await unmountUnder(dir); // debootstrap unmounts proc/sys itself; make sure
    await run("tar", [
      "--sort=name",
      "--numeric-owner",
      "--xattrs",
      "--xattrs-include=security.capability",
      "-C",
      `${dir}/root`,
      "-cf",
      `${ROOTFS_TAR}.tmp`,
      ".",
    ]);
    await Deno.rename(`${ROOTFS_TAR}.tmp`, ROOTFS_TAR);
  } finally {
    await Deno.remove(`${ROOTFS_TAR}.tmp`).catch(() => {});
    await removeTree(dir);
  }
}

async function sha256File(path: string): Promise<string> {
  return "sha256:" + (await run("sha256sum", [path])).split(" ")[0];
}

async function writeBlob(layout: string, bytes: Uint8Array<ArrayBuffer>) {
  const hex = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeFile(`${layout}/blobs/sha256/${hex}`, bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** The OCI layout: 3 gzip layers split from the rootfs tarball, config, manifest, index. */
async function buildLayout(): Promise<ImageInfo> {
  if (await exists(`${LAYOUT}/bench.json`)) {
    return JSON.parse(await Deno.readTextFile(`${LAYOUT}/bench.json`));
  }
  await buildRootfsTar();
  const tmp = await Deno.makeTempDir({ dir: CACHE, prefix: "layout-" });
  try {
    const root = `${tmp}/root`;
    const out = `${tmp}/oci`;
    await Deno.mkdir(root);
    await Deno.mkdir(`${out}/blobs/sha256`, { recursive: true });
    await run("tar", [
      "--numeric-owner",
      "--xattrs",
      "--xattrs-include=security.capability",
      "-C",
      root,
      "-xpf",
      ROOTFS_TAR,
    ]);
    // Cleaned like Debian's official images: no .debs, apt caches or package lists; empty
    // /dev, /proc and /sys.
    await run("sh", [
      "-c",
      'cd "$1" && rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* ' +
      "dev/* proc/* sys/*",
      "sh",
      root,
    ]);
    const common = ["--sort=name", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", root];
    // Three layers of unequal size so downloads and unpacks overlap: /usr/lib; the rest of
    // /usr; /etc, /var and the rest. (Exclusions precede the names they apply to.)
    const splits: string[][] = [
      ["./usr/lib"],
      ["--anchored", "--exclude=./usr/lib", "./usr"],
      ["--anchored", "--exclude=./usr", "."],
    ];
    const layers: ImageInfo["layers"] = [];
    for (const [i, paths] of splits.entries()) {
      const tar = `${tmp}/layer${i}.tar`;
      await run("tar", [...common, "-cf", tar, ...paths]);
      const entries = (await run("tar", ["-tf", tar])).split("\n").filter(Boolean).length;
      const diffId = await sha256File(tar);
      const tarSize = (await Deno.stat(tar)).size;
      await run("gzip", ["-n", "-6", tar]);
      const gz = `${tar}.gz`;
      const digest = await sha256File(gz);
      const size = (await Deno.stat(gz)).size;
      await Deno.rename(gz, `${out}/blobs/sha256/${digest.slice(7)}`);
      layers.push({ digest, size, diffId, tarSize, entries });
    }
    const config = await writeBlob(
      out,
      te.encode(JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "2024-01-01T00:00:00Z",
        config: {
          Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
          Cmd: ["bash"],
        },
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({
          created: "2024-01-01T00:00:00Z",
          created_by: `scripts/bench-pull.ts: debootstrap minbase bookworm, layer ${i + 1}/3`,
        })),
      })),
    );
    const manifest = await writeBlob(
      out,
      te.encode(JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: layers.map((l) => ({
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: l.digest,
          size: l.size,
        })),
      })),
    );
    await Deno.writeTextFile(`${out}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await Deno.writeTextFile(
      `${out}/index.json`,
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": "latest" },
        }],
      }),
    );
    const info: ImageInfo = {
      layers,
      bytes: layers.reduce((a, l) => a + l.size, 0),
      entries: layers.reduce((a, l) => a + l.entries, 0),
    };
    await Deno.writeTextFile(`${out}/bench.json`, JSON.stringify(info, null, 1));
    await Deno.remove(LAYOUT, { recursive: true }).catch(() => {});
    await Deno.rename(out, LAYOUT);
    return info;
  } finally {
    await removeTree(tmp);
  }
}

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

async function ourPuller(ref: string, phases: Phase[]): Promise<Puller> {
  const ctd: ContainerdProcess = await startContainerd();
  const client = new ContainerdClient(ctd.socket);
  const blobs = `${ctd.dir}/root/content/blobs/sha256`;
  const snaps = `${ctd.dir}/root/snapshots`;
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
async function daemonPuller(ref: string): Promise<Puller> {
  const d: TestDaemon = await startDaemon();
  const engine = async (...args: string[]) => {
    const r = await d.docker(ENGINE, ["-H", d.host, ...args]);
    if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const root = `${d.dir}/data/containerd`;
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

  const tmp = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "engine-bench-pull-" });
  let reg: Registry | undefined;
  const pullers: Puller[] = [];
  const phases: Phase[] = [];
  try {
    reg = await startRegistry();
    const ref = `${reg.host}/minbase:latest`;
    await run(SKOPEO, [
      "copy",
      "--quiet",
      "--preserve-digests",
      "--dest-tls-verify=false",
      "--dest-no-creds",
      `oci:${LAYOUT}:latest`,
      `docker://${ref}`,
    ]);
    checkInterrupted();
    pullers.push(await daemonPuller(ref));
    checkInterrupted();
    pullers.push(await ourPuller(ref, phases));
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
    await removeTree(tmp);
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
