// The benches' realistic image: a Debian bookworm minbase rootfs (`debootstrap
// --variant=minbase`, the only step that contacts anything but 127.0.0.1: Debian's mirror),
// cached as a tarball in /var/tmp/engine-bench/ (ENGINE_BENCH_CACHE), cleaned like Debian's
// official images, split into 3 gzip layers (/usr/lib; the rest of /usr; /etc, /var and the
// rest) in an OCI layout (also cached). Plus the small helpers the benches share.
import { unmountUnder } from "./dockerd.ts";

export const CACHE = Deno.env.get("ENGINE_BENCH_CACHE") ?? "/var/tmp/engine-bench";
const MIRROR = "http://deb.debian.org/debian";
export const ROOTFS_TAR = `${CACHE}/bookworm-minbase.tar`;
export const LAYOUT = `${CACHE}/minbase-oci`;

const te = new TextEncoder();
const td = new TextDecoder();
export const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

export async function run(
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

export async function removeTree(dir: string) {
  await unmountUnder(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

export const SKOPEO = "/usr/bin/skopeo";

/** A bench's work directory under /var/tmp, or a fresh ext4 with a journal loop-mounted there. */
export interface WorkDir {
  /** Where the tools keep their data. */
  path: string;
  /** Unmounts (when loop-mounted) and removes everything. */
  remove(): Promise<void>;
}

export async function makeWorkDir(prefix: string, journalFs: boolean): Promise<WorkDir> {
  const top = await Deno.makeTempDir({ dir: "/var/tmp", prefix });
  let path = top;
  if (journalFs) {
    await run("truncate", ["-s", "16G", `${top}/fs.img`]);
    await run("mkfs.ext4", ["-q", "-F", `${top}/fs.img`]);
    path = `${top}/mnt`;
    await Deno.mkdir(path);
    await run("mount", ["-o", "loop", `${top}/fs.img`, path]);
    console.log("filesystem: a fresh ext4 with a journal, loop-mounted");
  }
  return {
    path,
    async remove() {
      if (path !== top) await run("umount", [path]).catch((err) => console.error(`umount: ${err}`));
      await removeTree(top);
    },
  };
}

/** Pushes the cached minbase layout to `ref` on a local (plain http) registry. */
export async function pushMinbase(ref: string): Promise<void> {
  await run(SKOPEO, [
    "copy",
    "--quiet",
    "--preserve-digests",
    "--dest-tls-verify=false",
    "--dest-no-creds",
    `oci:${LAYOUT}:latest`,
    `docker://${ref}`,
  ]);
}

export interface ImageInfo {
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
export async function buildLayout(): Promise<ImageInfo> {
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

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
