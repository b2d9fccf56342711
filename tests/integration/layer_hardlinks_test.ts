// Hardlinks in the layers a RUN step or `commit` makes, as dockerd 20.10 (overlay2) writes
// them: the first path of an inode (in walk order) is a regular file, every later one a
// hardlink entry (typeflag '1', size 0, linkname the first path, relative); the layer's size
// counts the inode once, and a container of the image sees one inode at both paths. A
// hardlinked symlink is linked the same way; a file whose other path stays in a lower layer
// (chmod of one path: overlay copies up that path alone) is written in full.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { readTar } from "../../src/lib/tar/tar_reader.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const DOCKERFILE = [
  "FROM busybox",
  "RUN echo a > /la && ln /la /lb",
  "RUN mkdir /d && head -c 10000 /bin/busybox > /big && ln /big /d/hard && " +
  "echo x > /small && ln /small /d/s2 && ln /small /zz && ln -s abc /sym && " +
  "ln /sym /d/symhard && ln /bin/busybox /d/bb && chmod 600 /la",
].join("\n") + "\n";

const PATHS = ["/la", "/lb", "/big", "/d/hard", "/small", "/d/s2", "/zz", "/sym", "/d/symhard"];

/**
 * A layer tar's entries: "<type> <name> <mode> <size>[ -> <linkname>]", the permission bits
 * only (dockerd's mode field also carries the file type bits, ours not).
 */
async function layerEntries(file: string): Promise<string[]> {
  const out: string[] = [];
  using f = await Deno.open(file);
  for await (const e of readTar(f.readable)) {
    const h = e.header;
    for await (const _ of e.body()) { /* drained */ }
    out.push(
      `${h.type} ${h.name} ${(h.mode & 0o7777).toString(8)} ${h.size}${
        h.linkname ? ` -> ${h.linkname}` : ""
      }`,
    );
  }
  return out;
}

/** The entries of an image's layers above busybox's, from `docker save`. */
async function savedLayers(s: Side, image: string, from: number): Promise<string[][]> {
  const dir = `${s.dir}/save-${image}`;
  await Deno.mkdir(dir);
  await s.docker(["save", "-o", `${dir}.tar`, image]);
  const untar = await new Deno.Command("tar", { args: ["-C", dir, "-xf", `${dir}.tar`] }).output();
  if (!untar.success) throw new Error(`untar ${image}`);
  const [manifest] = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  const layers: string[] = manifest.Layers.slice(from);
  return await Promise.all(layers.map((l) => layerEntries(`${dir}/${l}`)));
}

/** `stat` in a container: each path with its inode as a letter (same letter, same inode). */
async function inodes(s: Side, image: string, paths: string[]): Promise<string> {
  const out = await s.docker(
    ["run", "--rm", "--network", "none", image, "stat", "-c", "%i %h %n", ...paths],
  );
  const letters = new Map<string, string>();
  return out.trim().split("\n").map((line) => {
    const [ino, nlink, name] = line.split(" ");
    if (!letters.has(ino)) letters.set(ino, String.fromCharCode(65 + letters.size));
    return `${name}=${letters.get(ino)}${nlink}`;
  }).join(" ");
}

async function history(s: Side, image: string): Promise<string> {
  const h = JSON.parse((await s.api("GET", `/images/${image}/history`)).slice(4));
  return JSON.stringify(h.map((e: { Size: number }) => e.Size));
}

async function scenario(s: Side): Promise<string[]> {
  const log: string[] = [];
  await Deno.mkdir(`${s.dir}/ctx`);
  await Deno.writeTextFile(`${s.dir}/ctx/Dockerfile`, DOCKERFILE);
  await s.docker(["build", "-q", "-t", "hl", `${s.dir}/ctx`]);
  log.push(`history hl: ${await history(s, "hl")}`);
  (await savedLayers(s, "hl", 1)).forEach((l, i) => log.push(`hl layer ${i + 1}: ${l.join(", ")}`));
  log.push(`stat hl: ${await inodes(s, "hl", [...PATHS, "/bin/busybox", "/d/bb"])}`);

  const cm = "hardlinks-commit";
  await s.docker([
    "run",
    "--name",
    cm,
    "--network",
    "none",
    "busybox",
    "sh",
    "-c",
    "echo y > /one && ln /one /two && head -c 3000 /bin/busybox > /t && ln /t /t2",
  ]);
  try {
    await s.docker(["commit", cm, "hc"]);
  } finally {
    await s.docker(["rm", cm]);
  }
  log.push(`history hc: ${await history(s, "hc")}`);
  log.push(`hc layer: ${(await savedLayers(s, "hc", 1))[0].join(", ")}`);
  log.push(`stat hc: ${await inodes(s, "hc", ["/one", "/two", "/t", "/t2"])}`);
  await s.docker(["rmi", "hl", "hc"]);
  return log;
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED = [
  "history hl: [1992263,2,1984241]",
  "hl layer 1: 0 la 644 2, 1 lb 644 0 -> la",
  "hl layer 2: 0 big 644 10000, 5 bin/ 755 0, 0 bin/busybox 755 1982256, 5 d/ 755 0, " +
  "1 d/bb 755 0 -> bin/busybox, 1 d/hard 644 0 -> big, 0 d/s2 644 2, " +
  "2 d/symhard 777 0 -> abc, 0 la 600 2, 1 small 644 0 -> d/s2, 1 sym 777 0 -> d/symhard, " +
  "1 zz 644 0 -> d/s2",
  "stat hl: /la=A1 /lb=B2 /big=C2 /d/hard=C2 /small=D3 /d/s2=D3 /zz=D3 /sym=E2 /d/symhard=E2 " +
  "/bin/busybox=F2 /d/bb=F2",
  "history hc: [3002,1984241]",
  "hc layer: 0 one 644 2, 0 t 644 3000, 1 t2 644 0 -> t, 1 two 644 0 -> one",
  "stat hc: /one=A2 /two=A2 /t=B2 /t2=B2",
];

Deno.test({
  name: "layer hardlinks: build and commit write later paths of an inode as hardlink entries",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await scenario(await ourSide(d)), EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "layer hardlinks: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
