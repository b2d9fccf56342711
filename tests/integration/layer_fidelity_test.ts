// File-system fidelity of layers and archives, both directions, as Debian's dockerd 20.10
// (overlay2) keeps it. An image whose layers Python's tarfile writes (ustar, PAX and GNU:
// SCHILY.xattr security.capability, setuid/setgid/sticky modes, directory modes and mtimes,
// fifos, device nodes, hardlinks across directories, long names and link targets, ids
// above 65535 and 2^21, AUFS whiteouts and opaque directories, a file replaced by a
// directory and back; overlay-style opaque xattr and 0/0 device whiteout) is loaded and
// looked at from a container, a non-root process gains cap_net_raw from the file (our
// snapshot keeps its user.* xattr as well); a container's changes are committed and saved,
// exported, copied out (GET archive) and in (PUT archive), a running container exported,
// an image built with COPY, RUN and ADD, each tar read back with tarfile. One transcript,
// checked against dockerd's answers; the third test crosses the daemons.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD, startDockerd } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { BUSYBOX } from "../helpers/rootfs.ts";
import { command, missing, root } from "../helpers/require.ts";
import * as fs from "../../src/sys/fs.ts";

const PYTHON = "/usr/bin/python3";
const TARPY = new URL("./layer_fidelity_tar.py", import.meta.url).pathname;
const dec = new TextDecoder();

interface Side {
  /** The docker CLI: raw stdout, failing on a non-zero exit. */
  run(args: string[], stdin?: Uint8Array): Promise<Uint8Array>;
  dir: string;
}

function side(env: Record<string, string>, dir: string): Side {
  return {
    dir,
    async run(args, stdin) {
      const p = new Deno.Command(DOCKER, {
        args,
        env: { ...env, DOCKER_BUILDKIT: "0" },
        stdin: stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin) {
        const w = p.stdin.getWriter();
        await w.write(stdin);
        await w.close();
      }
      const out = await p.output();
      if (!out.success) throw new Error(`docker ${args.join(" ")}: ${dec.decode(out.stderr)}`);
      return out.stdout;
    },
  };
}

const text = async (s: Side, args: string[]) => dec.decode(await s.run(args));

async function python(args: string[]): Promise<string> {
  const out = await new Deno.Command(PYTHON, { args: [TARPY, ...args], stdout: "piped" })
    .output();
  if (!out.success) throw new Error(`layer_fidelity_tar.py ${args.join(" ")} failed`);
  return dec.decode(out.stdout);
}

/** A tar's entries as tarfile reads them; mtimes in full for the `fixed` names. */
async function dump(file: string, fixed: string[] = []): Promise<string[]> {
  return (await python(["dump", file, ...fixed])).trimEnd().split("\n");
}

const LONG = "long/" + "n".repeat(120) + "/" + "f".repeat(150);
const GNULONG = "gnulong/" + "g".repeat(150);
const short = (s: string) =>
  s.replace(/(.)\1{19,}/g, (m) => `${m[0]}{${m.length}}`).replace(/\n$/, "");

/** `stat` in a container, inodes as letters (same letter, same inode). */
async function stat(s: Side, image: string, paths: string[]): Promise<string[]> {
  const out = await text(s, [
    "run",
    "--rm",
    "--network",
    "none",
    image,
    "stat",
    "-c",
    "%n|%F|%a|%u:%g|%t,%T|%s|%h|%Y|%i",
    ...paths,
  ]);
  const letters = new Map<string, string>();
  return out.trimEnd().split("\n").map((line) => {
    const f = line.split("|");
    const ino = f.pop()!;
    if (f[1] === "directory") f[5] = "-"; // st_size of a directory: the filesystem's
    if (!letters.has(ino)) letters.set(ino, String.fromCharCode(65 + letters.size));
    return short(`${f.join(" ")} ${letters.get(ino)}`);
  });
}

const LOADED = [
  "/d1",
  "/d1/sub",
  "/d1/sub/f",
  "/sticky",
  "/suid",
  "/sgid",
  "/capbin/grep",
  "/fifo",
  "/devs/chr",
  "/devs/blk",
  "/hl/a",
  "/other/b",
  "/big",
  "/huge",
  `/${LONG}`,
  "/lsym",
  "/odir",
  "/odir/new",
  "/f2d",
  "/f2d/z",
  "/d2f",
  `/${GNULONG}`,
  "/gsym",
  "/hl2/c",
  "/other2/d",
];

const CHANGES = [
  "touch -d @1500000000 /capbin/grep",
  "mkfifo /nfifo",
  "chmod 610 /nfifo",
  "mknod /nchr c 5 1",
  "chown 70000:80000 /nchr",
  "chmod 640 /nchr",
  "mkdir /nsticky",
  "chmod 1777 /nsticky",
  "echo s > /nsuid",
  "chown 3000000:3000000 /nsuid",
  "chmod 6755 /nsuid",
  "rm /big",
  "rm -rf /hl /odir",
  "mkdir /odir",
  "echo k > /odir/k",
  "touch -d @1500000000 /nfifo /nchr /nsuid /odir/k /nsticky /odir",
].join(" && ");

const BUILT = [
  "/capbin2/grep",
  "/bsuid",
  "/capbin/grep",
  "/bnod",
  "/bfifo",
  "/added/put",
  "/added/put/cap",
  "/added/put/suid",
  "/added/put/hl",
  "/added/put/fifo",
  "/added/put/chr",
];
const COMMITTED = ["/capbin/grep", "/nfifo", "/nchr", "/nsticky", "/nsuid", "/odir", "/odir/k"];
const FIXED = [
  ...LOADED,
  ...COMMITTED,
  ...BUILT,
  "/put",
  "/put/cap",
  "/put/suid",
  "/put/hl",
  "/put/fifo",
  "/put/chr",
].flatMap((p) => [p.slice(1), p.slice(p.lastIndexOf("/") + 1)]);

/** The last layer of a saved image. */
async function lastLayer(s: Side, image: string): Promise<string> {
  const dir = `${s.dir}/save-${image}`;
  await Deno.mkdir(dir);
  await s.run(["save", "-o", `${dir}.tar`, image]);
  const untar = await new Deno.Command("tar", { args: ["-C", dir, "-xf", `${dir}.tar`] }).output();
  if (!untar.success) throw new Error(`untar ${image}`);
  const [manifest] = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  return `${dir}/${manifest.Layers.at(-1)}`;
}

/** `docker cp <container>:<path> -` read back. */
async function cpOut(s: Side, container: string, path: string): Promise<string[]> {
  const file = `${s.dir}/cp-${path.replaceAll("/", "_")}.tar`;
  await Deno.writeFile(file, await s.run(["cp", `${container}:${path}`, "-"]));
  return await dump(file, FIXED);
}

/** The effective capabilities of a non-root process running the image's /capbin/grep. */
async function capEff(s: Side, image: string): Promise<string> {
  const run = ["run", "--rm", "--network", "none", "-u", "1000", image];
  return await text(s, [...run, "/capbin/grep", "CapEff", "/proc/self/status"]);
}

/** Runs CHANGES in a container of "fid" and commits it as "fidc"; the container's name. */
async function commitChanges(s: Side): Promise<string> {
  const c = "fidelity-c";
  await s.run(["run", "--name", c, "--network", "none", "fid", "sh", "-c", CHANGES]);
  await s.run(["commit", c, "fidc"]);
  return c;
}

/** "fidc" seen from a container. */
async function committedView(s: Side): Promise<string[]> {
  return [...await stat(s, "fidc", COMMITTED), short(`cap ${await capEff(s, "fidc")}`)];
}

/**
 * The xattrs of /capbin/grep in our snapshot of the loaded layer (dockerd keeps every
 * SCHILY.xattr of a layer too, but writes only security.capability into its own tars).
 */
async function snapshotXattrs(dataRoot: string): Promise<string[]> {
  const out = await new Deno.Command("find", {
    args: [dataRoot, "-path", "*/capbin/grep", "-type", "f"],
    stdout: "piped",
  }).output();
  const files = dec.decode(out.stdout).trim().split("\n").filter((f) => f);
  return files.map((f) => {
    const hex = (k: string) => [...lgetxattr(f, k) ?? []].map((b) => b.toString(16)).join(".");
    return `${hex("security.capability")} ${dec.decode(lgetxattr(f, "user.note") ?? undefined)}`;
  });
}

function lgetxattr(path: string, key: string): Uint8Array | null {
  const slash = path.lastIndexOf("/");
  using dir = fs.openAt(fs.AT_FDCWD, path.slice(0, slash), fs.O_PATH | fs.O_DIRECTORY);
  return fs.lgetxattrAt(dir.fd, path.slice(slash + 1), key);
}

async function scenario(s: Side, dataRoot?: string): Promise<string[]> {
  const log: string[] = [];
  const add = (what: string, lines: string[]) =>
    lines.forEach((l) => log.push(short(`${what}: ${l}`)));
  await python(["image", `${s.dir}/fid.tar`, BUSYBOX]);
  await s.run(["load", "-i", `${s.dir}/fid.tar`]);
  add("loaded", await stat(s, "fid", LOADED));
  add("ls", [
    await text(s, ["run", "--rm", "--network", "none", "fid", "ls", "/", "/odir", "/ovl"]),
  ]);
  add("cap", [await capEff(s, "fid")]);
  const dockerenv = ["stat", "-c", "%n %F %a %u:%g %s", "/.dockerenv"];
  add("dockerenv", [await text(s, ["run", "--rm", "--network", "none", "fid", ...dockerenv])]);
  if (dataRoot) {
    assertEquals(await snapshotXattrs(dataRoot), [
      "1.0.0.2.0.20.0.0.0.0.0.0.0.0.0.0.0.0.0.0 hello",
    ]);
  }

  const c = await commitChanges(s);
  try {
    add("commit layer", await dump(await lastLayer(s, "fidc"), FIXED));
    add("committed", await committedView(s));
    await s.run(["export", "-o", `${s.dir}/export.tar`, c]);
    add("export", await dump(`${s.dir}/export.tar`, FIXED));
    for (
      const p of [
        "/capbin/grep",
        "/nsuid",
        "/nchr",
        "/nfifo",
        "/d1",
        "/devs",
        "/lsym",
        "/etc/hostname",
        "/etc/hosts",
      ]
    ) {
      add(`cp ${p}`, await cpOut(s, c, p));
    }
    await python(["put", `${s.dir}/put.tar`]);
    await s.run(["cp", "-", `${c}:/`], await Deno.readFile(`${s.dir}/put.tar`));
    add("put", await cpOut(s, c, "/put"));
  } finally {
    await s.run(["rm", "-f", c]);
  }
  // cp -a: the owner of the container's user, looked up on the host as dockerd does.
  for (const user of ["65534", "1:4"]) {
    const u = "fidelity-u";
    await s.run(["create", "--name", u, "-u", user, "--network", "none", "fid", "sh"]);
    try {
      const put = await Deno.readFile(`${s.dir}/put.tar`);
      const err = await s.run(["cp", "-a", "-", `${u}:/`], put).then(() => "", (e) => e.message);
      if (err) add(`put -a ${user}`, [err.slice(err.indexOf("Error response"))]);
      else add(`put -a ${user}`, await cpOut(s, u, "/put"));
    } finally {
      await s.run(["rm", "-f", u]);
    }
  }

  const r = "fidelity-r";
  await s.run(["run", "-d", "--name", r, "--network", "none", "fid", "busybox", "sleep", "1000"]);
  try {
    await s.run(["export", "-o", `${s.dir}/export-running.tar`, r]);
  } finally {
    await s.run(["rm", "-f", r]);
  }
  add("export running", await dump(`${s.dir}/export-running.tar`, FIXED));

  await python(["ctx", `${s.dir}/ctx`, BUSYBOX]);
  await s.run(["build", "-q", "-t", "fidb", `${s.dir}/ctx`]);
  add("build layer", await dump(await lastLayer(s, "fidb"), FIXED));
  add("built", await stat(s, "fidb", BUILT));
  const run = ["run", "--rm", "--network", "none", "-u", "1000", "fidb"];
  add("built cap", [await text(s, [...run, "/capbin2/grep", "CapEff", "/proc/self/status"])]);
  add("built RUN cap", [await capEff(s, "fidb")]);
  await s.run(["rmi", "fidb", "fidc", "fid"]);
  return log;
}

/** dockerd 20.10's answers (the second test checks them). */
const EXPECTED = [
  "loaded: /d1 directory 2750 0:0 0,0 - 3 1000000000 A",
  "loaded: /d1/sub directory 700 0:0 0,0 - 2 1100000000 B",
  "loaded: /d1/sub/f regular file 644 0:0 0,0 1 1 1200000000 C",
  "loaded: /sticky directory 1777 0:0 0,0 - 2 1300000000 D",
  "loaded: /suid regular file 4755 0:0 0,0 1 1 1600000000 E",
  "loaded: /sgid regular file 2711 0:0 0,0 1 1 1600000000 F",
  "loaded: /capbin/grep regular file 755 0:0 0,0 1982256 1 1600000000 G",
  "loaded: /fifo fifo 640 0:0 0,0 0 1 1600000000 H",
  "loaded: /devs/chr character special file 666 0:0 1,3 0 1 1600000000 I",
  "loaded: /devs/blk block special file 660 0:0 7,0 0 1 1600000000 J",
  "loaded: /hl/a regular file 644 0:0 0,0 1 2 1600000000 K",
  "loaded: /other/b regular file 644 0:0 0,0 1 2 1600000000 K",
  "loaded: /big regular file 640 70000:80000 0,0 1 1 1600000000 L",
  "loaded: /huge regular file 644 3000000:4000000 0,0 1 1 1600000000 M",
  "loaded: /long/n{120}/f{150} regular file 644 0:0 0,0 1 1 1600000000 N",
  "loaded: /lsym symbolic link 777 0:0 0,0 201 1 1600000000 O",
  "loaded: /odir directory 750 0:0 0,0 - 2 1400000000 P",
  "loaded: /odir/new regular file 644 0:0 0,0 1 1 1600000000 Q",
  "loaded: /f2d directory 755 0:0 0,0 - 2 1600000000 R",
  "loaded: /f2d/z regular file 644 0:0 0,0 1 1 1600000000 S",
  "loaded: /d2f regular file 644 0:0 0,0 1 1 1600000000 T",
  "loaded: /gnulong/g{150} regular file 644 3000000:3000001 0,0 1 1 1600000000 U",
  "loaded: /gsym symbolic link 777 0:0 0,0 150 1 1600000000 V",
  "loaded: /hl2/c regular file 600 5:0 0,0 1 2 1700000000 W",
  "loaded: /other2/d regular file 600 5:0 0,0 1 2 1700000000 W",
  "ls: /:\nbig\nbin\ncapbin\nd1\nd2f\ndev\ndevs\netc\nf2d\nfifo\ngnulong\ngsym\nhl\nhl2\nhuge\nlong\nlsym\nodir\nother\nother2\novl\nproc\nsgid\nsticky\nsuid\nsys\n\n/odir:\nnew\n\n/ovl:\nnew",
  "cap: CapEff:\t0000000000002000",
  "dockerenv: /.dockerenv regular empty file 755 0:0 0",
  "commit layer: .wh.big 0 600 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "commit layer: capbin 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "commit layer: capbin/grep 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=1500000000 pax= xattrs=security.capability=010000020020{29}",
  "commit layer: .wh.hl 0 600 0:0 root:root size=0 link=big dev=0,0 mtime=whole pax= xattrs=",
  "commit layer: nchr 3 20640 70000:80000 : size=0 link= dev=5,1 mtime=1500000000 pax= xattrs=",
  "commit layer: nfifo 6 10610 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "commit layer: nsticky 5 41777 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "commit layer: nsuid 0 106755 3000000:3000000 : size=2 link= dev=0,0 mtime=1500000000 pax=gid,uid xattrs=",
  "commit layer: odir 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "commit layer: odir/.wh..wh..opq 0 755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "commit layer: odir/k 0 100644 0:0 root:root size=2 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "committed: /capbin/grep regular file 755 0:0 0,0 1982256 1 1500000000 A",
  "committed: /nfifo fifo 610 0:0 0,0 0 1 1500000000 B",
  "committed: /nchr character special file 640 70000:80000 5,1 0 1 1500000000 C",
  "committed: /nsticky directory 1777 0:0 0,0 - 2 1500000000 D",
  "committed: /nsuid regular file 6755 3000000:3000000 0,0 2 1 1500000000 E",
  "committed: /odir directory 755 0:0 0,0 - 2 1500000000 F",
  "committed: /odir/k regular file 644 0:0 0,0 2 1 1500000000 G",
  "committed: cap CapEff:\t0000000000002000",
  "export: .dockerenv 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: bin 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/busybox 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/cat 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/chmod 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/chown 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/echo 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/grep 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/head 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/ln 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/ls 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/mkdir 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/mkfifo 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/mknod 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/rm 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/sh 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/stat 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: bin/touch 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export: capbin 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: capbin/grep 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=1500000000 pax= xattrs=security.capability=010000020020{29}",
  "export: d1 5 42750 0:0 root:root size=0 link= dev=0,0 mtime=1000000000 pax= xattrs=",
  "export: d1/sub 5 40700 0:0 root:root size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "export: d1/sub/f 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1200000000 pax= xattrs=",
  "export: d2f 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: dev 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: dev/console 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: dev/pts 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: dev/shm 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: devs 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: devs/blk 4 60660 0:0 root:root size=0 link= dev=7,0 mtime=1600000000 pax= xattrs=",
  "export: devs/chr 3 20666 0:0 root:root size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "export: etc 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: etc/hostname 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: etc/hosts 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: etc/mtab 2 120777 0:0 root:root size=0 link=/proc/mounts dev=0,0 mtime=whole pax= xattrs=",
  "export: etc/resolv.conf 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: f2d 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: f2d/z 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: fifo 6 10640 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: gnulong 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: gnulong/gggggggggggg...158 0 100644 3000000:3000001 : size=1 link= dev=0,0 mtime=whole pax=gid,path,uid xattrs=",
  "export: gsym 2 120777 0:0 root:root size=0 link=...150 dev=0,0 mtime=1600000000 pax=linkpath xattrs=",
  "export: hl2 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: hl2/c 0 100600 5:0 :root size=1 link= dev=0,0 mtime=1700000000 pax= xattrs=",
  "export: huge 0 100644 3000000:4000000 : size=1 link= dev=0,0 mtime=1600000000 pax=gid,uid xattrs=",
  "export: long 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: long/nnnnnnnnnnnnnnn...125 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax=path xattrs=",
  "export: long/nnnnnnnnnnnnnnn...276 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=whole pax=path xattrs=",
  "export: lsym 2 120777 0:0 root:root size=0 link=...201 dev=0,0 mtime=1600000000 pax=linkpath xattrs=",
  "export: nchr 3 20640 70000:80000 : size=0 link= dev=5,1 mtime=1500000000 pax= xattrs=",
  "export: nfifo 6 10610 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "export: nsticky 5 41777 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "export: nsuid 0 106755 3000000:3000000 : size=2 link= dev=0,0 mtime=1500000000 pax=gid,uid xattrs=",
  "export: odir 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "export: odir/k 0 100644 0:0 root:root size=2 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "export: other 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: other/b 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: other2 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: other2/d 1 100600 5:0 :root size=0 link=hl2/c dev=0,0 mtime=1700000000 pax= xattrs=",
  "export: ovl 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: ovl/new 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: proc 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export: sgid 0 102711 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: sticky 5 41777 0:0 root:root size=0 link= dev=0,0 mtime=1300000000 pax= xattrs=",
  "export: suid 0 104755 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export: sys 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "cp /capbin/grep: grep 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=1500000000 pax= xattrs=security.capability=010000020020{29}",
  "cp /nsuid: nsuid 0 106755 3000000:3000000 : size=2 link= dev=0,0 mtime=1500000000 pax=gid,uid xattrs=",
  "cp /nchr: nchr 3 20640 70000:80000 : size=0 link= dev=5,1 mtime=1500000000 pax= xattrs=",
  "cp /nfifo: nfifo 6 10610 0:0 root:root size=0 link= dev=0,0 mtime=1500000000 pax= xattrs=",
  "cp /d1: d1 5 42750 0:0 root:root size=0 link= dev=0,0 mtime=1000000000 pax= xattrs=",
  "cp /d1: d1/sub 5 40700 0:0 root:root size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "cp /d1: d1/sub/f 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1200000000 pax= xattrs=",
  "cp /devs: devs 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "cp /devs: devs/blk 4 60660 0:0 root:root size=0 link= dev=7,0 mtime=1600000000 pax= xattrs=",
  "cp /devs: devs/chr 3 20666 0:0 root:root size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "cp /lsym: lsym 2 120777 0:0 root:root size=0 link=...201 dev=0,0 mtime=1600000000 pax=linkpath xattrs=",
  "cp /etc/hostname: hostname 0 100644 0:0 root:root size=13 link= dev=0,0 mtime=whole pax= xattrs=",
  "cp /etc/hosts: hosts 0 100644 0:0 root:root size=150 link= dev=0,0 mtime=whole pax= xattrs=",
  "put: put 5 41750 0:0 root:root size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "put: put/cap 0 100755 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=security.capability=010000020020{29}",
  "put: put/chr 3 20620 0:0 root:root size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "put: put/fifo 6 10600 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "put: put/hl 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "put: put/own 0 106750 3000000:70000 : size=1 link= dev=0,0 mtime=whole pax=uid xattrs=",
  "put: put/suid 1 100644 0:0 root:root size=0 link=put/hl dev=0,0 mtime=1600000000 pax= xattrs=",
  "put -a 65534: put 5 41750 65534:65534 nobody:nogroup size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "put -a 65534: put/cap 0 100755 65534:65534 nobody:nogroup size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=security.capability=010000020020{29}",
  "put -a 65534: put/chr 3 20620 65534:65534 nobody:nogroup size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "put -a 65534: put/fifo 6 10600 65534:65534 nobody:nogroup size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "put -a 65534: put/hl 0 100644 65534:65534 nobody:nogroup size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "put -a 65534: put/own 0 106750 65534:65534 nobody:nogroup size=1 link= dev=0,0 mtime=whole pax= xattrs=",
  "put -a 65534: put/suid 1 100644 65534:65534 nobody:nogroup size=0 link=put/hl dev=0,0 mtime=1600000000 pax= xattrs=",
  'put -a 1:4: Error response from daemon: getent unable to find entry "1:4" in passwd database',
  "export running: .dockerenv 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: big 0 100640 70000:80000 : size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: bin 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/busybox 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/cat 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/chmod 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/chown 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/echo 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/grep 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/head 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/ln 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/ls 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/mkdir 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/mkfifo 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/mknod 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/rm 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/sh 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/stat 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: bin/touch 2 120777 0:0 root:root size=0 link=busybox dev=0,0 mtime=whole pax= xattrs=",
  "export running: capbin 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: capbin/grep 0 100755 0:0 root:root size=1982256 link= dev=0,0 mtime=1600000000 pax= xattrs=security.capability=010000020020{29}",
  "export running: d1 5 42750 0:0 root:root size=0 link= dev=0,0 mtime=1000000000 pax= xattrs=",
  "export running: d1/sub 5 40700 0:0 root:root size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "export running: d1/sub/f 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1200000000 pax= xattrs=",
  "export running: d2f 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: dev 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: dev/console 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: dev/pts 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: dev/shm 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: devs 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: devs/blk 4 60660 0:0 root:root size=0 link= dev=7,0 mtime=1600000000 pax= xattrs=",
  "export running: devs/chr 3 20666 0:0 root:root size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "export running: etc 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: etc/hostname 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: etc/hosts 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: etc/mtab 2 120777 0:0 root:root size=0 link=/proc/mounts dev=0,0 mtime=whole pax= xattrs=",
  "export running: etc/resolv.conf 0 100755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: f2d 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: f2d/z 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: fifo 6 10640 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: gnulong 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: gnulong/gggggggggggg...158 0 100644 3000000:3000001 : size=1 link= dev=0,0 mtime=whole pax=gid,path,uid xattrs=",
  "export running: gsym 2 120777 0:0 root:root size=0 link=...150 dev=0,0 mtime=1600000000 pax=linkpath xattrs=",
  "export running: hl 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: hl/a 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: hl2 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: hl2/c 0 100600 5:0 :root size=1 link= dev=0,0 mtime=1700000000 pax= xattrs=",
  "export running: huge 0 100644 3000000:4000000 : size=1 link= dev=0,0 mtime=1600000000 pax=gid,uid xattrs=",
  "export running: long 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: long/nnnnnnnnnnnnnnn...125 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax=path xattrs=",
  "export running: long/nnnnnnnnnnnnnnn...276 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=whole pax=path xattrs=",
  "export running: lsym 2 120777 0:0 root:root size=0 link=...201 dev=0,0 mtime=1600000000 pax=linkpath xattrs=",
  "export running: odir 5 40750 0:0 root:root size=0 link= dev=0,0 mtime=1400000000 pax= xattrs=",
  "export running: odir/new 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: other 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: other/b 1 100644 0:0 root:root size=0 link=hl/a dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: other2 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: other2/d 1 100600 5:0 :root size=0 link=hl2/c dev=0,0 mtime=1700000000 pax= xattrs=",
  "export running: ovl 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: ovl/new 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: proc 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "export running: sgid 0 102711 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: sticky 5 41777 0:0 root:root size=0 link= dev=0,0 mtime=1300000000 pax= xattrs=",
  "export running: suid 0 104755 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "export running: sys 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "build layer: added 5 40755 0:0 root:root size=0 link= dev=0,0 mtime=whole pax= xattrs=",
  "build layer: added/put 5 41750 0:0 root:root size=0 link= dev=0,0 mtime=1100000000 pax= xattrs=",
  "build layer: added/put/cap 0 100755 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=security.capability=010000020020{29}",
  "build layer: added/put/chr 3 20620 0:0 root:root size=0 link= dev=1,3 mtime=1600000000 pax= xattrs=",
  "build layer: added/put/fifo 6 10600 0:0 root:root size=0 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "build layer: added/put/hl 0 100644 0:0 root:root size=1 link= dev=0,0 mtime=1600000000 pax= xattrs=",
  "build layer: added/put/own 0 106750 3000000:70000 : size=1 link= dev=0,0 mtime=whole pax=uid xattrs=",
  "build layer: added/put/suid 1 100644 0:0 root:root size=0 link=added/put/hl dev=0,0 mtime=1600000000 pax= xattrs=",
  "built: /capbin2/grep regular file 755 0:0 0,0 1982256 1 1500000000 A",
  "built: /bsuid regular file 755 0:0 0,0 1 1 1500000000 B",
  "built: /capbin/grep regular file 755 0:0 0,0 1982256 1 1500000000 C",
  "built: /bnod block special file 640 0:0 7,1 0 1 1500000000 D",
  "built: /bfifo fifo 604 0:0 0,0 0 1 1500000000 E",
  "built: /added/put directory 1750 0:0 0,0 - 2 1100000000 F",
  "built: /added/put/cap regular file 755 0:0 0,0 1 1 1600000000 G",
  "built: /added/put/suid regular file 644 0:0 0,0 1 2 1600000000 H",
  "built: /added/put/hl regular file 644 0:0 0,0 1 2 1600000000 H",
  "built: /added/put/fifo fifo 600 0:0 0,0 0 1 1600000000 I",
  "built: /added/put/chr character special file 620 0:0 1,3 0 1 1600000000 J",
  "built cap: CapEff:\t0000000000000000",
  "built RUN cap: CapEff:\t0000000000002000",
];

Deno.test({
  name: "layer fidelity: load, commit, save, export, cp out and in keep what dockerd keeps",
  ignore: missing(root(), command(DOCKER), command(PYTHON)),
}, async () => {
  const d = await startDaemon();
  try {
    await Deno.mkdir(`${d.dir}/side`, { recursive: true });
    const s = side({ DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/dockercfg` }, `${d.dir}/side`);
    const log = await scenario(s, `${d.dir}/data`);
    assertEquals(log, EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "layer fidelity: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD), command(PYTHON)),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fidelity-dockerd-" });
  try {
    const ref = await startDockerd(dir);
    try {
      await Deno.mkdir(`${dir}/side`);
      const log = await scenario(side(ref.env, `${dir}/side`));
      assertEquals(log, EXPECTED);
    } finally {
      await ref.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test({
  name: "layer fidelity: an image committed by one daemon and loaded by the other looks the same",
  ignore: missing(root(), command(DOCKER), command(DOCKERD), command(PYTHON)),
}, async () => {
  const d = await startDaemon();
  const dir = await Deno.makeTempDir({ prefix: "fidelity-dockerd-" });
  try {
    const ref = await startDockerd(dir);
    try {
      await Deno.mkdir(`${d.dir}/side`, { recursive: true });
      await Deno.mkdir(`${dir}/side`);
      const ours = side(
        { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/dockercfg` },
        `${d.dir}/side`,
      );
      const theirs = side(ref.env, `${dir}/side`);
      const want = EXPECTED.filter((l) => l.startsWith("committed: ")).map((l) => l.slice(11));
      for (const [from, to] of [[ours, theirs], [theirs, ours]]) {
        await python(["image", `${from.dir}/fid.tar`, BUSYBOX]);
        await from.run(["load", "-i", `${from.dir}/fid.tar`]);
        await from.run(["rm", "-f", await commitChanges(from)]);
        await from.run(["save", "-o", `${from.dir}/fidc.tar`, "fidc"]);
        await to.run(["load", "-i", `${from.dir}/fidc.tar`]);
        assertEquals(await committedView(to), want);
        await to.run(["rmi", "fidc"]);
      }
    } finally {
      await ref.close();
    }
  } finally {
    await d.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
