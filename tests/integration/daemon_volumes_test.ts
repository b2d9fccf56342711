// Volumes against a real `engine daemon`: named volumes outlive containers, an image's
// VOLUME gets an anonymous volume with the image's content copied up, read-only binds,
// tmpfs sizes, in-use refusal and `rm -v`, hostile names and paths refused with nothing
// created, and the real docker CLI's volume verbs and `run -v name:/data`.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, postJson, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/local/bin/docker";
const OLD_DOCKER = "/usr/bin/docker";
const ignore = missing(root(), command(DOCKER));

const post = postJson;

async function volumeDirs(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${d.dir}/data/volumes`)) out.push(e.name);
  return out.sort();
}

Deno.test(
  { name: "daemon volumes: named, anonymous, copy-up, binds, tmpfs, rm -v", ignore },
  async (t) => {
    const d = await startDaemon();
    const run = (args: string[], bin = DOCKER) => d.docker(bin, args);
    try {
      await t.step("a named volume outlives its container", async () => {
        let r = await run([
          "run",
          "--rm",
          "-v",
          "keep:/data",
          "busybox",
          "sh",
          "-c",
          "echo kept > /data/f",
        ]);
        assertEquals(r.code, 0, r.err);
        r = await run(["run", "--rm", "-v", "keep:/data:ro", "busybox", "cat", "/data/f"]);
        assertEquals([r.code, r.out], [0, "kept\n"], r.err);
        const v = JSON.parse((await d.curl(["http://d/volumes/keep"])).body);
        assertEquals([v.Name, v.Driver, v.Mountpoint], [
          "keep",
          "local",
          `${d.dir}/data/volumes/keep/_data`,
        ]);
      });

      await t.step(
        "an image VOLUME gets an anonymous volume with the image's content",
        async () => {
          let r = await run([
            "run",
            "--name",
            "base",
            "busybox",
            "sh",
            "-c",
            "mkdir -p /data/sub && echo img > /data/sub/f && ln -s /etc/passwd /data/link && " +
            "chown 1234:5678 /data/sub && chmod 0750 /data/sub && ln -s ../../../../../etc /evil",
          ]);
          assertEquals(r.code, 0, r.err);
          const c = await post(d, "/commit?container=base&repo=volimg&tag=v1", {
            Volumes: { "/data": {}, "/evil": {} },
          });
          assertEquals(c.status, 201, c.body);
          r = await run(["rm", "base"]);
          r = await run([
            "run",
            "--name",
            "anon",
            "volimg:v1",
            "sh",
            "-c",
            "cat /data/sub/f; stat -c '%u:%g %a' /data/sub; readlink /data/link; echo more > /data/new",
          ]);
          assertEquals([r.code, r.out], [0, "img\n1234:5678 750\n/etc/passwd\n"], r.err);
          r = await run(["inspect", "--format", "{{json .Mounts}}", "anon"]);
          const all = JSON.parse(r.out) as Record<string, string>[];
          // A VOLUME through a symlink out of the rootfs copies the rootfs' /etc, not the host's.
          const evil = all.find((m) => m.Destination === "/evil")!;
          const copied = [...Deno.readDirSync(`${d.dir}/data/volumes/${evil.Name}/_data`)].map((
            e,
          ) => e.name);
          assert(copied.includes("passwd") && !copied.includes("os-release"), copied.join(" "));
          const mounts = all.filter((m) => m.Destination === "/data");
          assertEquals(mounts.length, 1, r.out);
          assertEquals([mounts[0].Type, mounts[0].Destination, mounts[0].Driver, mounts[0].RW], [
            "volume",
            "/data",
            "local",
            true,
          ]);
          const name = mounts[0].Name as string;
          assert(/^[0-9a-f]{64}$/.test(name), name);
          assertEquals(
            await Deno.readTextFile(`${d.dir}/data/volumes/${name}/_data/new`),
            "more\n",
          );
          // In use by a stopped container: refused; rm -v takes it away.
          const del = await d.curl(["-X", "DELETE", `http://d/volumes/${name}`]);
          assertEquals(del.status, 409, del.body);
          assert(JSON.parse(del.body).message.includes("volume is in use - ["), del.body);
          r = await run(["rm", "-v", "anon"]);
          assertEquals(r.code, 0, r.err);
          assertEquals((await d.curl([`http://d/volumes/${name}`])).status, 404);
        },
      );

      await t.step("--volumes-from shares the volumes, :ro makes them read-only", async () => {
        let r = await run(["create", "--name", "holder", "-v", "shared:/s", "busybox", "true"]);
        assertEquals(r.code, 0, r.err);
        r = await run([
          "run",
          "--rm",
          "--volumes-from",
          "holder",
          "busybox",
          "sh",
          "-c",
          "echo x > /s/f",
        ]);
        assertEquals(r.code, 0, r.err);
        r = await run([
          "run",
          "--rm",
          "--volumes-from",
          "holder:ro",
          "busybox",
          "sh",
          "-c",
          "cat /s/f; touch /s/g",
        ]);
        assertEquals(r.out, "x\n");
        assert(r.code !== 0 && /Read-only file system/.test(r.err), r.err);
        const del = await d.curl(["-X", "DELETE", "http://d/volumes/shared"]);
        assertEquals(del.status, 409);
        await run(["rm", "-v", "holder"]);
        // Named volumes survive rm -v.
        assertEquals((await d.curl(["http://d/volumes/shared"])).status, 200);
      });

      await t.step("bind :ro is read-only; tmpfs size and mode show in /proc/mounts", async () => {
        const host = `${d.dir}/hostdir`;
        await Deno.mkdir(host);
        await Deno.writeTextFile(`${host}/x`, "from-host\n");
        let r = await run([
          "run",
          "--rm",
          "-v",
          `${host}:/data:ro`,
          "busybox",
          "sh",
          "-c",
          "cat /data/x; touch /data/y",
        ]);
        assertEquals(r.out, "from-host\n");
        assert(r.code !== 0 && /Read-only file system/.test(r.err), r.err);
        r = await run(["run", "--rm", "-v", `${host}:/data:rw,z`, "busybox", "touch", "/data/y"]);
        assertEquals(r.code, 0, r.err);
        r = await run([
          "run",
          "--rm",
          "--tmpfs",
          "/t1:size=1m,mode=0755",
          "--mount",
          "type=tmpfs,dst=/t2,tmpfs-size=2097152",
          "busybox",
          "grep",
          " /t[12] ",
          "/proc/mounts",
        ]);
        assertEquals(r.code, 0, r.err);
        assert(/ \/t1 tmpfs .*size=1024k.*mode=755/.test(r.out), r.out);
        assert(/ \/t2 tmpfs .*size=2048k/.test(r.out), r.out);
        r = await run(["run", "--rm", "--mount", "type=bind,src=/nope,dst=/x", "busybox", "true"]);
        assert(
          r.err.includes(
            `invalid mount config for type "bind": bind source path does not exist: /nope`,
          ),
          r.err,
        );
      });

      await t.step("hostile names and paths are refused with nothing created", async () => {
        const before = await volumeDirs(d);
        for (const name of ["../x", "a/b", ".", "..", "-x", "/abs", "a\u0000b"]) {
          const r = await post(d, "/volumes/create", { Name: name });
          assertEquals(r.status, 400, `${name}: ${r.body}`);
        }
        for (
          const bind of ["../x:/data", "a/b:/data", "foo:bar", "/x:/", "x:/d:bogus", "a:b:c:d"]
        ) {
          const r = await post(d, "/containers/create", {
            Image: "busybox",
            Cmd: ["true"],
            HostConfig: { Binds: [bind] },
          });
          assertEquals(r.status, 400, `${bind}: ${r.body}`);
        }
        let r = await post(d, "/containers/create", {
          Image: "busybox",
          Cmd: ["true"],
          HostConfig: { Binds: ["foo:bar"] },
        });
        assertEquals(
          JSON.parse(r.body).message,
          `invalid volume specification: 'foo:bar': invalid mount config for type "volume": invalid mount path: 'bar' mount path must be absolute`,
        );
        r = await post(d, "/containers/create", {
          Image: "busybox",
          Cmd: ["true"],
          HostConfig: { Mounts: [{ Type: "volume", Source: "../../etc", Target: "/x" }] },
        });
        assertEquals(r.status, 400, r.body);
        assertEquals((await d.curl(["http://d/volumes/..%2F..%2Fetc"])).status, 404);
        assertEquals((await d.curl(["-X", "DELETE", "http://d/volumes/.."])).status, 404);
        assertEquals(await volumeDirs(d), before);
        const ps = JSON.parse((await d.curl(["http://d/containers/json?all=1"])).body);
        assertEquals(ps.length, 0, JSON.stringify(ps));
      });

      await t.step("the docker CLIs and ours: volume create/ls/inspect/rm/prune", async () => {
        for (const bin of [DOCKER, OLD_DOCKER, ENGINE]) {
          try {
            Deno.statSync(bin);
          } catch {
            continue;
          }
          let r = await run(["volume", "create", "--label", "k=v", "cli1"], bin);
          assertEquals([r.code, r.out], [0, "cli1\n"], r.err);
          r = await run(["volume", "ls", "--filter", "name=cli"], bin);
          assertEquals(r.out, "DRIVER    VOLUME NAME\nlocal     cli1\n", bin);
          r = await run(["volume", "ls", "-q", "--filter", "label=k=v"], bin);
          assertEquals(r.out, "cli1\n", bin);
          r = await run(["volume", "inspect", "cli1"], bin);
          const [v] = JSON.parse(r.out);
          assertEquals([v.Name, v.Driver, v.Labels, v.Scope], [
            "cli1",
            "local",
            { k: "v" },
            "local",
          ]);
          r = await run(["volume", "inspect", "--format", "{{.Mountpoint}}", "cli1"], bin);
          assertEquals(r.out, `${d.dir}/data/volumes/cli1/_data\n`);
          r = await run([
            "run",
            "--rm",
            "-v",
            "cli1:/data",
            "busybox",
            "sh",
            "-c",
            "echo z > /data/z",
          ], DOCKER);
          assertEquals(r.code, 0, r.err);
          r = await run(["volume", "rm", "cli1"], bin);
          assertEquals([r.code, r.out], [0, "cli1\n"], r.err);
          r = await run(["volume", "rm", "cli1"], bin);
          assert(r.code !== 0 && /no such volume/i.test(r.err), r.err);
        }
        // An unused anonymous volume goes with prune; named ones stay without --all.
        let r = await run(["create", "--name", "pr", "-v", "/anon", "busybox", "true"]);
        assertEquals(r.code, 0, r.err);
        await run(["rm", "pr"]);
        const anon = JSON.parse(
          (await d.curl(["http://d/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D"])).body,
        )
          .Volumes.map((v: { Name: string }) => v.Name).filter((n: string) => n.length === 64);
        assertEquals(anon.length, 1);
        r = await run(["volume", "prune", "-f"], ENGINE);
        assertEquals(r.code, 0, r.err);
        assert(r.out.includes(anon[0]), r.out);
        assertEquals((await d.curl([`http://d/volumes/${anon[0]}`])).status, 404);
        assertEquals((await d.curl(["http://d/volumes/keep"])).status, 200);
      });
    } finally {
      await d.close();
    }
  },
);
