// Adversarial review (SECURITY.md classes a, c, e): an image, a build context or a running
// container that points paths out of its root through symlinks, FIFOs and swapped path
// components, against the daemon's own work on that root: the files it binds (/etc/hosts,
// resolv.conf, hostname), WORKDIR, VOLUME copy-up, -v/--tmpfs/bind destinations, --user's
// /etc/passwd lookup, exec's HOME lookup and --workdir, docker cp in and out (with a
// container swapping the path while cp runs) and build's COPY --chown/--from and ADD.
// Every attack must fail or land inside the container; a host directory outside the
// daemon's data (`host`) holds sentinels that must stay untouched and unmounted.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { makeBusyboxRootfs } from "../helpers/rootfs.ts";
import { file, hardlink, symlink, tarBytes } from "../helpers/layers.ts";

const DOCKER = "/usr/local/bin/docker";
const ignore = missing(root(), command(DOCKER));

/** The host directory the attacks aim at, with its sentinels. */
async function makeHost(d: TestDaemon): Promise<string> {
  const host = `${d.dir}/host`;
  await Deno.mkdir(`${host}/sub`, { recursive: true });
  await Deno.writeTextFile(`${host}/sentinel`, "host secret\n");
  await Deno.writeTextFile(`${host}/hosts`, "host hosts\n");
  await Deno.writeTextFile(`${host}/resolv.conf`, "host resolv\n");
  await Deno.writeTextFile(`${host}/hostname`, "host hostname\n");
  await Deno.writeTextFile(`${host}/passwd`, "hostonly:x:4242:4242::/hosthome:/bin/sh\n");
  await Deno.writeTextFile(`${host}/group`, "hostonly:x:4242:\n");
  return host;
}

/** Every name under `dir` with its type, mode and content, and whether anything is mounted. */
async function hostState(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const names = [...Deno.readDirSync(`${dir}${rel}`)].map((e) => e.name).sort();
    for (const n of names) {
      const p = `${dir}${rel}/${n}`;
      const st = Deno.lstatSync(p);
      out.push(`${rel}/${n} ${st.mode?.toString(8)} ${st.uid}`);
      if (st.isFile) out.push(Deno.readTextFileSync(p));
      if (st.isDirectory) await walk(`${rel}/${n}`);
    }
  };
  await walk("");
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  for (const line of mounts.split("\n")) if (line.includes(dir)) out.push(`MOUNTED ${line}`);
  return out;
}

async function ok(d: TestDaemon, args: string[], bin = DOCKER): Promise<string> {
  const r = await d.docker(bin, args);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.err}`);
  return r.out;
}

/** The daemon still answers (it was not blocked by a file it read). */
async function alive(d: TestDaemon) {
  const r = await d.curl(["-m", "5", "http://127.0.0.1/_ping"]);
  assertEquals([r.status, r.body], [200, "OK"], "the daemon stopped answering");
}

/** A busybox rootfs with `extra(dir)` applied, imported as `tag`. */
async function importRootfs(d: TestDaemon, tag: string, extra: (dir: string) => Promise<void>) {
  const dir = `${d.dir}/rootfs-${tag.replace(/\W/g, "_")}`;
  await makeBusyboxRootfs(dir);
  await extra(dir);
  const tar = `${dir}.tar`;
  const out = await new Deno.Command("tar", { args: ["-C", dir, "-cf", tar, "."] }).output();
  assert(out.success, "tar of the hostile rootfs failed");
  await ok(d, ["import", tar, tag]);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(tar);
}

async function build(
  d: TestDaemon,
  tag: string,
  dockerfile: string,
  files: [string, string][] = [],
) {
  const ctx = `${d.dir}/ctx-${tag.replace(/\W/g, "_")}`;
  await Deno.mkdir(ctx, { recursive: true });
  await Deno.writeTextFile(`${ctx}/Dockerfile`, dockerfile);
  for (const [name, text] of files) await Deno.writeTextFile(`${ctx}/${name}`, text);
  const r = await d.docker(ENGINE, ["build", "-q", "-t", tag, ctx]);
  await Deno.remove(ctx, { recursive: true });
  return r;
}

Deno.test({
  name: "breakout review: image symlinks under the daemon's files, WORKDIR, VOLUME, mounts",
  ignore,
}, async () => {
  const d = await startDaemon();
  try {
    const host = await makeHost(d);
    const before = await hostState(host);
    const up = "../".repeat(12) + host.slice(1);
    await importRootfs(d, "hostile:1", async (r) => {
      for (const f of ["hosts", "resolv.conf", "hostname", "passwd", "group"]) {
        await Deno.remove(`${r}/etc/${f}`).catch(() => {});
      }
      // The path the links name exists inside the root too (with other content), so the
      // links resolve there; the dangling case is the next image's.
      await Deno.mkdir(`${r}${host}/sub`, { recursive: true });
      for (const f of ["inside.txt", "sentinel", "hosts", "resolv.conf", "hostname"]) {
        await Deno.writeTextFile(`${r}${host}/${f}`, "inside\n");
      }
      await Deno.symlink(`${host}/hosts`, `${r}/etc/hosts`);
      await Deno.symlink(`${up}/resolv.conf`, `${r}/etc/resolv.conf`);
      await Deno.symlink(`/./..${host}/hostname`, `${r}/etc/hostname`);
      await Deno.symlink(`${host}/passwd`, `${r}/etc/passwd`);
      await Deno.symlink(`/proc/self/root${host}/group`, `${r}/etc/group`);
      await Deno.symlink(`${host}/dockerenv`, `${r}/.dockerenv`);
      await Deno.symlink(host, `${r}/vol`);
      await Deno.symlink(`/proc/1/root${host}`, `${r}/volp`);
      await Deno.symlink(up, `${r}/volr`);
      await Deno.symlink(host, `${r}/wd`);
      await Deno.symlink(host, `${r}/tm`);
      await Deno.symlink(host, `${r}/bnd`);
      await Deno.symlink(`${host}/sentinel`, `${r}/file-out`);
    });

    // The daemon's files land on the container's side of the links; the image's files
    // through links to the host are not the host's.
    const src = `${d.dir}/bindsrc`;
    await Deno.mkdir(src);
    const script = [
      "cat /etc/hosts /etc/resolv.conf /etc/hostname | grep -c '^host ' || true",
      "echo w > /vol/v; echo w > /volr/v; echo w > /vol/sub/v; echo w > /tm/t/t; echo w > /bnd/b/b",
      "pwd; cat /file-out 2>&1 | grep -c secret || true",
    ].join("; ");
    let out = await ok(d, [
      "run",
      "--name",
      "c1",
      "-v",
      "nv:/vol",
      "--mount",
      "type=volume,src=nv2,dst=/volr",
      "-v",
      "/vol/sub",
      "--tmpfs",
      "/tm/t",
      "-v",
      `${src}:/bnd/b`,
      "-w",
      "/wd/sub/deeper",
      "hostile:1",
      "sh",
      "-c",
      script,
    ]);
    // The cwd is where /wd leads inside the root (the same name as the host's directory).
    assertEquals(out, `0\n${host}/sub/deeper\n0\n`);
    // The image's copy is what the links name, and the volumes got that copy.
    const inside = "hostname\nhosts\ninside.txt\nresolv.conf\nsentinel\nsub\n";
    assertEquals(await Deno.readTextFile(`${src}/b`), "w\n");
    // The volumes got no copy of the host directory the image's paths named.
    out = await ok(d, ["run", "--rm", "-v", "nv:/a", "-v", "nv2:/b", "busybox", "ls", "/a", "/b"]);
    // All the links name one directory: nv2 went over nv there, the tmpfs and bind into nv2.
    assertEquals(out, `/a:\n${inside}\n/b:\nb\n${inside}t\nv\n`);
    assertEquals(
      await ok(d, ["run", "--rm", "-v", "nv:/a", "busybox", "cat", "/a/sentinel"]),
      "inside\n",
    );
    await ok(d, ["start", "-a", "c1"]);
    assertEquals(await hostState(host), before);

    // /dev a link out: the runtime's /dev tmpfs is refused (runc makes it inside), never
    // mounted on the host's directory.
    await importRootfs(d, "hostile:dev", async (r) => {
      await Deno.remove(`${r}/dev`);
      await Deno.symlink(host, `${r}/dev`);
      await Deno.symlink(`${host}/sub`, `${r}/vol`);
    });
    let r = await d.docker(DOCKER, ["run", "--rm", "hostile:dev", "touch", "/dev/devfile"]);
    assert(r.code === 0 || /mount tmpfs tmpfs to \/dev: no such file/.test(r.err), r.err);
    // A dangling link under a volume, a tmpfs and a bind: refused or made inside; a link
    // through /proc's magic links: refused (RESOLVE_NO_MAGICLINKS).
    for (const m of [["-v", "nv3:/vol/x"], ["--tmpfs", "/vol/x"], ["-v", `${src}:/vol/x`]]) {
      r = await d.docker(DOCKER, ["run", "--rm", ...m, "hostile:dev", "touch", "/vol/x/f"]);
      assert(r.code === 0 || /no such file or directory/.test(r.err), r.err);
    }
    await importRootfs(d, "hostile:proc", async (r) => {
      await Deno.remove(`${r}/etc/resolv.conf`).catch(() => {});
      await Deno.symlink(`/proc/1/root${host}/resolv.conf`, `${r}/etc/resolv.conf`);
    });
    r = await d.docker(DOCKER, ["run", "--rm", "hostile:proc", "true"]);
    assert(r.code !== 0 && /too many levels of symbolic links/.test(r.err), r.err);
    for (const m of [["-v", "nv4:/volp"], ["--tmpfs", "/volp/t"], ["-v", `${src}:/volp/b`]]) {
      r = await d.docker(DOCKER, ["run", "--rm", ...m, "hostile:1", "true"]);
      assert(r.code !== 0 && /too many levels of symbolic links/.test(r.err), r.err);
    }
    assertEquals(await hostState(host), before);

    // Destinations climbing with "..": cleaned to paths inside the root; no volume subpath.
    for (
      const m of [
        ["--tmpfs", `/x/../../..${host}/t`],
        ["-v", `nv5:/../../..${host}/v`],
        ["--mount", `type=volume,src=nv6,dst=/a/../../..${host}/w`],
        ["-v", `${src}:/../..${host}/b`],
      ]
    ) {
      await ok(d, ["run", "--rm", ...m, "busybox", "true"]);
    }
    r = await d.docker(DOCKER, [
      "run",
      "--rm",
      "--mount",
      "type=volume,src=nv7,dst=/v,volume-subpath=../../..",
      "busybox",
      "true",
    ]);
    assert(r.code !== 0 && /volume subpaths are not supported/.test(r.err), r.err);
    assertEquals(await hostState(host), before);

    // VOLUME, WORKDIR (made by the builder) and USER in the image's config.
    const built = await build(
      d,
      "hostile:cfg",
      "FROM hostile:1\nVOLUME /vol /volr\nWORKDIR /wd/made/by/build\n",
    );
    assertEquals(built.code, 0, built.err);
    out = await ok(d, ["run", "--rm", "hostile:cfg", "sh", "-c", "pwd; ls -A /vol /volr"]);
    const withMade = inside.replace("inside.txt\n", "inside.txt\nmade\n");
    assertEquals(out, `${host}/made/by/build\n/vol:\n${withMade}\n/volr:\n${withMade}`);
    // A user found only in the host's /etc/passwd (the image's is a link to it).
    r = await d.docker(DOCKER, ["run", "--rm", "--user", "hostonly", "hostile:1", "id"]);
    assert(r.code !== 0 && /unable to find user hostonly/i.test(r.err), r.out + r.err);
    r = await d.docker(DOCKER, ["run", "--rm", "--user", "0:hostonly", "hostile:1", "id", "-g"]);
    assert(r.code !== 0 && /unable to find group hostonly/i.test(r.err), r.out + r.err);
    assertEquals(await hostState(host), before);
    await ok(d, ["rm", "-v", "c1"]);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "breakout review: FIFOs, devices and out-of-range ids where /etc/passwd is read",
  ignore,
}, async () => {
  const d = await startDaemon();
  try {
    await importRootfs(d, "fifo:1", async (r) => {
      await Deno.remove(`${r}/etc/passwd`);
      await Deno.remove(`${r}/etc/group`);
      const mk = (args: string[]) => new Deno.Command("mknod", { args }).output();
      assert((await mk([`${r}/etc/passwd`, "p"])).success);
      assert((await mk([`${r}/etc/group`, "c", "1", "5"])).success); // /dev/zero
    });
    // --user by name: the daemon reads the image's /etc/passwd (a FIFO nobody writes).
    let r = await d.docker(DOCKER, ["run", "--rm", "--user", "nobody", "fifo:1", "true"]);
    assert(r.code !== 0 && /unable to find user nobody/.test(r.err), r.out + r.err);
    await alive(d);
    r = await d.docker(DOCKER, ["run", "--rm", "--user", "0:nogroup", "fifo:1", "true"]);
    assert(r.code !== 0 && /unable to find group nogroup/.test(r.err), r.out + r.err);
    await alive(d);
    // The runtime's HOME lookup at start and at exec reads the container's /etc/passwd.
    await ok(d, ["run", "-d", "--name", "f1", "fifo:1", "sleep", "300"]);
    assertEquals(await ok(d, ["exec", "f1", "sh", "-c", "echo $HOME"]), "/\n");
    await ok(d, ["run", "-d", "--name", "f2", "busybox", "sleep", "300"]);
    await ok(d, ["exec", "f2", "sh", "-c", "rm /etc/passwd; mkfifo /etc/passwd"]);
    assertEquals(await ok(d, ["exec", "f2", "sh", "-c", "echo $HOME"]), "/\n");
    // exec --user by name: the daemon reads the running container's files (its upper layer
    // first), which the container's processes swap for a FIFO or a device node (CAP_MKNOD).
    // Neither is opened: the lookup goes on in the image's layers (it used to hang).
    // (Not id(1): it would block on the FIFO itself, inside the container.)
    const ids = ["sh", "-c", "grep -E '^(Uid|Gid)' /proc/self/status | cut -f2"];
    r = await d.docker(DOCKER, ["exec", "-u", "nobody", "f2", ...ids]);
    assertEquals([r.code, r.out], [0, "65534\n65534\n"], r.err);
    await alive(d);
    await ok(d, ["exec", "f2", "sh", "-c", "rm /etc/group; mknod /etc/group c 1 5"]);
    r = await d.docker(DOCKER, ["exec", "-u", "0:nogroup", "f2", ...ids]);
    assertEquals([r.code, r.out], [0, "0\n65534\n"], r.err);
    await alive(d);
    // cp out and export name the tar's owners from the container's passwd and group (as
    // dockerd's chrooted archiver): the FIFO and the device are not opened there either.
    const cpOut = `${d.dir}/cp-out`;
    await ok(d, ["cp", "f2:/bin/busybox", cpOut]);
    await ok(d, ["export", "-o", `${cpOut}.tar`, "f2"]);
    await alive(d);
    await ok(d, ["rm", "-f", "f1", "f2"]);
    // The builder's COPY --chown reads the stage's /etc/passwd and /etc/group.
    r = await build(d, "fifo:2", "FROM fifo:1\nCOPY --chown=nobody x /x\n", [["x", "x"]]);
    assert(r.code !== 0 && /no such user: nobody/.test(r.err), r.out + r.err);
    await alive(d);
    r = await build(d, "fifo:3", "FROM fifo:1\nCOPY --chown=0:nogroup x /x\n", [["x", "x"]]);
    assert(r.code !== 0 && /no such group: nogroup/.test(r.err), r.out + r.err);
    await alive(d);

    // Ids in the image's passwd/group out of range (class c: 2^32 would wrap to root).
    r = await build(
      d,
      "ids:1",
      "FROM busybox\nRUN echo 'wrap:x:4294967296:4294967296::/:/bin/sh' >> /etc/passwd; " +
        "echo 'neg:x:-1:-1::/:/bin/sh' >> /etc/passwd; echo 'gw:x:18446744073709551616:' >> " +
        "/etc/group\n",
    );
    assertEquals(r.code, 0, r.err);
    for (const [flag, v] of [["--user", "wrap"], ["--user", "neg"], ["--group-add", "gw"]]) {
      r = await d.docker(DOCKER, ["run", "--rm", flag, v, "ids:1", "id"]);
      assert(r.code !== 0 && /nable to find (user|group)/.test(r.err), `${v}: ${r.out}${r.err}`);
    }
    for (const v of ["wrap", "0:gw", "4294967296"]) {
      r = await build(d, "ids:2", `FROM ids:1\nCOPY --chown=${v} x /x\n`, [["x", "x"]]);
      assert(r.code !== 0, `${v}: ${r.out}`);
    }
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "breakout review: exec --workdir through a link out; cp through links and races",
  ignore,
}, async () => {
  const d = await startDaemon();
  try {
    const host = await makeHost(d);
    const before = await hostState(host);
    await ok(d, ["run", "-d", "--name", "x1", "busybox", "sleep", "300"]);
    const links = [
      `ln -s ${host} /tmp/abs`,
      `ln -s /proc/1/root${host} /tmp/proc`,
      `ln -s ${"../".repeat(12)}${host.slice(1)} /tmp/rel`,
      `ln -s ${host}/sentinel /tmp/fileout`,
      `mkdir -p ${host}/sub/new`, // the links' target inside the container
    ].join("; ");
    await ok(d, ["exec", "x1", "sh", "-c", links]);
    for (const l of ["abs", "proc", "rel"]) {
      const out = await ok(d, ["exec", "-w", `/tmp/${l}/sub/new`, "x1", "sh", "-c", "pwd; ls"]);
      assertEquals(out, `${host}/sub/new\n`);
    }
    // cp out: the links resolve inside the container (the host's files are not there).
    const local = `${d.dir}/local`;
    await Deno.mkdir(local);
    for (
      const p of ["/tmp/abs/sentinel", "/tmp/proc/sentinel", "/tmp/rel/sentinel", "/tmp/fileout/"]
    ) {
      const r = await d.docker(DOCKER, ["cp", `x1:${p}`, `${local}/`]);
      assert(r.code !== 0 && /Could not find the file|No such container:path/.test(r.err), r.err);
    }
    // A link as the last element is copied as the link (docker cp -L aside).
    await ok(d, ["cp", "x1:/tmp/fileout", `${local}/fo`]);
    assertEquals(Deno.readLinkSync(`${local}/fo`), `${host}/sentinel`);
    // HEAD: the stat of a link leaving the root names where it leads inside the root.
    const res = await d.curl(["-I", "http://127.0.0.1/v1.47/containers/x1/archive?path=/tmp/proc"]);
    const header = /X-Docker-Container-Path-Stat: (\S+)/i.exec(res.body)?.[1];
    const stat = JSON.parse(atob(header!));
    assertEquals(stat.linkTarget, `/proc/1/root${host}`);
    // cp in: through each link, and as a file named by a link to a host file.
    await Deno.writeTextFile(`${local}/in.txt`, "in\n");
    for (const p of ["/tmp/abs/", "/tmp/proc/", "/tmp/rel/", "/tmp/abs/sub/"]) {
      await d.docker(DOCKER, ["cp", `${local}/in.txt`, `x1:${p}`]);
    }
    await ok(d, ["cp", `${local}/in.txt`, "x1:/tmp/fileout"]);
    assertEquals(await ok(d, ["exec", "x1", "cat", "/tmp/fileout"]), "in\n");
    assertEquals(await hostState(host), before);

    // PUT archives: a link then a file through it, a hardlink to the host's file by
    // absolute name, a hardlink to a container link that leaves the root.
    await ok(d, ["exec", "x1", "sh", "-c", `mkdir /tmp/put; ln -s ${host}/sentinel /tmp/put/hl`]);
    const put = async (entries: Parameters<typeof tarBytes>[0], path = "/tmp/put") => {
      const tar = `${d.dir}/put.tar`;
      await Deno.writeFile(tar, await tarBytes(entries));
      return await d.curl([
        "-X",
        "PUT",
        "--data-binary",
        `@${tar}`,
        `http://127.0.0.1/v1.47/containers/x1/archive?path=${encodeURIComponent(path)}`,
      ]);
    };
    let r = await put([symlink("s", host), file("s/evil", "evil\n")]);
    assertEquals(r.status, 400, r.body);
    r = await put([symlink("s2", "/"), file(`s2${host}/evil`, "evil\n")]);
    assertEquals(r.status, 400, r.body);
    r = await put([hardlink("h1", `${host.slice(1)}/sentinel`)]);
    assert(r.status >= 400, r.body);
    r = await put([hardlink("h2", "hl"), file("h2", "overwrite\n")]);
    assertEquals(r.status, 200, r.body);
    assertEquals(await ok(d, ["exec", "x1", "cat", "/tmp/put/h2"]), "overwrite\n");
    r = await put([file("evil", "evil\n")], `/tmp/proc`);
    assert(r.status === 404 || r.status === 400, r.body);
    assertEquals(await hostState(host), before);

    // A container swapping a path component between a directory and links out while cp
    // runs both ways.
    const swap = `while :; do rm -rf /tmp/race; mkdir -p /tmp/race/sub; ` +
      `echo inside > /tmp/race/sub/f; rm -rf /tmp/race; ln -s ${host} /tmp/race; ` +
      `rm -f /tmp/race; ln -s /proc/1/root${host} /tmp/race; rm -f /tmp/race; ` +
      `ln -s / /tmp/race; done`;
    await ok(d, ["exec", "-d", "x1", "sh", "-c", swap]);
    for (let i = 0; i < 25; i++) {
      await d.docker(DOCKER, ["cp", `${local}/in.txt`, "x1:/tmp/race/sub/"]);
      await d.docker(DOCKER, ["cp", `${local}/in.txt`, "x1:/tmp/race/"]);
      await d.docker(DOCKER, ["cp", "x1:/tmp/race/sub/f", `${local}/race-out`]);
      await d.docker(DOCKER, ["cp", "x1:/tmp/race/sentinel", `${local}/race-out2`]);
    }
    try {
      assert(Deno.readTextFileSync(`${local}/race-out`).startsWith("inside"));
    } catch { /* never won */ }
    // Through /tmp/race -> host, cp may read the container's own copy (written by the cp
    // into /tmp/fileout above, which follows the link as docker does): never the host's.
    const won = await Deno.readTextFile(`${local}/race-out2`).catch(() => "");
    assert(["", "in\n"].includes(won), won);
    assertEquals(await hostState(host), before);
    assert(!(await Deno.lstat("/in.txt").then(() => true, () => false)));
    // The same links in a stopped container (its snapshot mounted for the copy).
    await ok(d, ["kill", "x1"]);
    for (const l of ["abs", "proc", "rel"]) {
      await d.docker(DOCKER, ["cp", `${local}/in.txt`, `x1:/tmp/${l}/`]);
      const r = await d.docker(DOCKER, ["cp", `x1:/tmp/${l}/sentinel`, `${local}/st-${l}`]);
      const got = await Deno.readTextFile(`${local}/st-${l}`).catch(() => "");
      assert(["", "in\n"].includes(got), `${l}: ${got} ${r.err}`);
    }
    assertEquals(await hostState(host), before);
    await ok(d, ["rm", "-f", "x1"]);

    // A privileged container replacing its /proc with a fake (self/exe and 1/root links):
    // exec, exec -w through it, top and stats enter nothing of it and keep working.
    await ok(d, ["run", "-d", "--name", "pp", "--privileged", "busybox", "sleep", "300"]);
    await ok(d, [
      "exec",
      "pp",
      "sh",
      "-c",
      "umount -l /proc; mount -t tmpfs none /proc; mkdir -p /proc/self/fd /proc/1; " +
      `ln -s ${host}/sentinel /proc/self/exe; ln -s ${host} /proc/1/root`,
    ]);
    assertEquals(await ok(d, ["exec", "pp", "echo", "exec-ok"]), "exec-ok\n");
    const r2 = await d.docker(DOCKER, ["exec", "-w", "/proc/1/root/sub", "pp", "pwd"]);
    assert(r2.code !== 0 || r2.out === `${host}/sub\n`, r2.out + r2.err);
    assert((await ok(d, ["top", "pp"])).includes("sleep 300"));
    await ok(d, ["stats", "--no-stream", "pp"]);
    await ok(d, ["rm", "-f", "pp"]);
    assertEquals(await hostState(host), before);
  } finally {
    await d.close();
  }
});
