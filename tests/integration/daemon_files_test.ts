// docker cp (GET/HEAD/PUT /containers/{id}/archive), top, stats, diff (changes) and
// export against engine daemon, driven by the real docker CLIs (28 and 20.10) and ours:
// cp in and out of running and stopped containers (content, mode, owner), directories, a
// symlink to / inside the container (lands inside, never on the host), a hostile tar with
// "../" entries refused with nothing written.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { TypeFlag } from "../../src/lib/tar/tar_header.ts";
import { TarWriter } from "../../src/lib/tar/tar_writer.ts";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER28 = "/usr/local/bin/docker";
const DOCKER20 = "/usr/bin/docker";
const ignore = missing(root(), command(DOCKER20));

const exists = (p: string) => {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

async function tarBytes(entries: [string, string][]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const w = new TarWriter((c) => {
    parts.push(c.slice());
  });
  const enc = new TextEncoder();
  for (const [name, text] of entries) {
    await w.add({ name, type: TypeFlag.file, mode: 0o644 }, enc.encode(text));
  }
  await w.close();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The cp checks with one CLI; `setup` is the docker CLI that creates containers. */
async function cpChecks(d: TestDaemon, bin: string, tag: string, work: string) {
  const cli = async (args: string[], b = bin) => {
    const r = await d.docker(b, args);
    assertEquals(r.code, 0, `${b} ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const run = `r-${tag}`;
  const stopped = `s-${tag}`;
  await cli(["run", "-d", "--name", run, "busybox", "sleep", "300"], DOCKER28);
  await cli(
    ["run", "--name", stopped, "busybox", "sh", "-c", "mkdir /data; ln -s / /tmp/rl"],
    DOCKER28,
  );
  const local = `${work}/${tag}`;
  await Deno.mkdir(`${local}/out`, { recursive: true });
  await Deno.writeTextFile(`${local}/f.txt`, `hello ${tag}\n`);
  await Deno.chmod(`${local}/f.txt`, 0o751);
  await Deno.chown(`${local}/f.txt`, 1234, 2345);

  // Into a running container, then back out.
  await cli(["cp", `${local}/f.txt`, `${run}:/tmp/`]);
  assertEquals(
    await cli(["exec", run, "sh", "-c", "stat -c '%a %u %g' /tmp/f.txt; cat /tmp/f.txt"], DOCKER28),
    `751 1234 2345\nhello ${tag}\n`,
  );
  await cli([
    "exec",
    run,
    "sh",
    "-c",
    "echo from-ctr > /tmp/c.txt; chown 42:43 /tmp/c.txt; chmod 640 /tmp/c.txt",
  ], DOCKER28);
  await cli(["cp", `${run}:/tmp/c.txt`, `${local}/out/c.txt`]);
  assertEquals(await Deno.readTextFile(`${local}/out/c.txt`), "from-ctr\n");
  assertEquals((await Deno.stat(`${local}/out/c.txt`)).mode! & 0o777, 0o640);
  await cli(["cp", `${run}:/etc/hostname`, `${local}/out/hostname`]);
  assertEquals(
    (await Deno.readTextFile(`${local}/out/hostname`)).trim(),
    (await cli(["exec", run, "hostname"], DOCKER28)).trim(),
  );

  // Into a stopped container (its snapshot is mounted for the copy), then back out.
  await cli(["cp", `${local}/f.txt`, `${stopped}:/data/g.txt`]);
  await cli(["cp", `${stopped}:/data/g.txt`, `${local}/out/g.txt`]);
  assertEquals(await Deno.readTextFile(`${local}/out/g.txt`), `hello ${tag}\n`);
  assertEquals((await Deno.stat(`${local}/out/g.txt`)).mode! & 0o777, 0o751);

  // Directories both ways.
  await Deno.mkdir(`${local}/tree/sub`, { recursive: true });
  await Deno.writeTextFile(`${local}/tree/sub/a`, "a\n");
  await cli(["cp", `${local}/tree`, `${run}:/`]);
  assertEquals(await cli(["exec", run, "cat", "/tree/sub/a"], DOCKER28), "a\n");
  await cli(["cp", `${run}:/tree`, `${local}/out/tree2`]);
  assertEquals(await Deno.readTextFile(`${local}/out/tree2/sub/a`), "a\n");
  await cli(["cp", `${stopped}:/bin`, `${local}/out/`]);
  assert(exists(`${local}/out/bin/busybox`));

  // A symlink to / inside the container: the copy lands in the container's root.
  const esc = `cpesc-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(`${local}/${esc}`, "inside\n");
  await cli(["exec", run, "ln", "-s", "/", "/tmp/rl"], DOCKER28);
  await cli(["cp", `${local}/${esc}`, `${run}:/tmp/rl/`]);
  assertEquals(await cli(["exec", run, "cat", `/${esc}`], DOCKER28), "inside\n");
  await cli(["cp", `${local}/${esc}`, `${stopped}:/tmp/rl/`]);
  await cli(["cp", `${stopped}:/${esc}`, `${local}/out/esc`]);
  assertEquals(await Deno.readTextFile(`${local}/out/esc`), "inside\n");
  assert(!exists(`/${esc}`), "cp through a symlink to / wrote on the host");

  // A missing source: docker's 404 message (20.10 stats the path first and says so).
  const r = await d.docker(bin, ["cp", `${run}:/nonexistent`, `${local}/out/`]);
  const notFound = new RegExp(
    `Could not find the file /nonexistent in container|No such container:path: ${run}:/nonexistent`,
  );
  assert(r.code !== 0 && notFound.test(r.err), r.err);
}

Deno.test({ name: "daemon files: docker cp in and out, through symlinks", ignore }, async () => {
  const d = await startDaemon();
  try {
    const work = `${d.dir}/work`;
    const clis: [string, string][] = [[DOCKER28, "d28"], [DOCKER20, "d20"], [ENGINE, "ours"]];
    for (const [bin, tag] of clis) {
      if (!exists(bin)) continue;
      await cpChecks(d, bin, tag, work);
      // sleep as PID 1 ignores SIGTERM: remove now rather than wait for the daemon's stop.
      await d.docker(DOCKER28, ["rm", "-f", `r-${tag}`, `s-${tag}`]);
    }
  } finally {
    await d.close();
  }
});

Deno.test({ name: "daemon files: hostile archives are refused", ignore }, async () => {
  const d = await startDaemon();
  try {
    let r = await d.docker(DOCKER28, ["run", "-d", "--name", "hh", "busybox", "sleep", "300"]);
    assertEquals(r.code, 0, r.err);
    const outside = `${d.dir}/outside-${crypto.randomUUID().slice(0, 8)}`;
    const depth = "../".repeat(12);
    for (
      const entries of [
        [["ok.txt", "ok\n"], [`${depth}${outside.slice(1)}`, "evil\n"]],
        [["ok.txt", "ok\n"], [outside, "evil\n"]],
      ] as [string, string][][]
    ) {
      const tar = `${d.dir}/evil.tar`;
      await Deno.writeFile(tar, await tarBytes(entries));
      const res = await d.curl([
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/x-tar",
        "--data-binary",
        `@${tar}`,
        "http://x/v1.47/containers/hh/archive?path=/tmp",
      ]);
      assertEquals(res.status, 400, res.body);
      assert(/refused/.test(JSON.parse(res.body).message), res.body);
      assert(!exists(outside));
      r = await d.docker(DOCKER28, ["exec", "hh", "ls", "-A", "/tmp"]);
      assertEquals(r.out, "", "nothing is written when an entry is refused");
    }
    // A destination that is not a directory, a missing path, HEAD's stat header.
    let res = await d.curl([
      "-X",
      "PUT",
      "--data-binary",
      "x",
      "http://x/v1.47/containers/hh/archive?path=/bin/busybox",
    ]);
    assertEquals(res.status, 400, res.body);
    res = await d.curl(["-I", "http://x/v1.47/containers/hh/archive?path=/nope"]);
    assertEquals(res.status, 404);
    res = await d.curl(["-I", "http://x/v1.47/containers/hh/archive?path=/etc/passwd"]);
    assertEquals(res.status, 200);
    const header = /X-Docker-Container-Path-Stat: (\S+)/i.exec(res.body)?.[1];
    const stat = JSON.parse(atob(header!));
    assertEquals([stat.name, stat.mode, stat.linkTarget], ["passwd", 0o644, ""]);
    await d.docker(DOCKER28, ["rm", "-f", "hh"]);
  } finally {
    await d.close();
  }
});

Deno.test({ name: "daemon files: top, stats, diff, export", ignore }, async () => {
  const d = await startDaemon();
  try {
    const r0 = await d.docker(DOCKER28, [
      "run",
      "-d",
      "--name",
      "tt",
      "-m",
      "64m",
      "busybox",
      "sleep",
      "300",
    ]);
    assertEquals(r0.code, 0, r0.err);
    const r1 = await d.docker(DOCKER28, [
      "run",
      "--name",
      "chg",
      "busybox",
      "sh",
      "-c",
      "touch /tmp/new; rm /bin/ls; mkdir /etc/x",
    ]);
    assertEquals(r1.code, 0, r1.err);
    const want = ["A /etc/x", "A /tmp/new", "C /bin", "C /etc", "C /tmp", "D /bin/ls"];
    for (const bin of [DOCKER28, DOCKER20, ENGINE]) {
      if (!exists(bin)) continue;
      let r = await d.docker(bin, ["top", "tt"]);
      assertEquals(r.code, 0, r.err);
      assert(/^UID\s+PID\s+PPID/.test(r.out) && /sleep 300/.test(r.out), r.out);

      r = await d.docker(bin, ["stats", "--no-stream", "tt"]);
      assertEquals(r.code, 0, r.err);
      const row = r.out.split("\n")[1] ?? "";
      const m = /\s(\d+(?:\.\d+)?)(B|KiB|MiB)\s+\/\s+64MiB\s/.exec(row);
      assert(m && Number(m[1]) > 0, r.out);

      // Docker's order is a map walk (naive diff): compare as sets.
      r = await d.docker(bin, ["diff", "chg"]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out.trim().split("\n").sort(), want);

      const tar = `${d.dir}/export.tar`;
      r = await d.docker(bin, ["export", "-o", tar, "tt"]);
      assertEquals(r.code, 0, r.err);
      const list = await new Deno.Command("tar", { args: ["-tf", tar], stdout: "piped" }).output();
      assert(new TextDecoder().decode(list.stdout).split("\n").includes("bin/busybox"));
      await Deno.remove(tar);
    }
    // stats streamed: two frames a second apart, precpu of the second is the first.
    const res = await d.curl(["-m", "2.5", "http://x/v1.47/containers/tt/stats"]);
    const frames = res.body.trim().split("\n").map((l) => JSON.parse(l));
    assert(frames.length >= 2, res.body);
    assertEquals(frames[1].precpu_stats, frames[0].cpu_stats);
    assertEquals(frames[1].memory_stats.limit, 64 * 2 ** 20);
    assert(frames[1].pids_stats.current >= 1);
    await d.docker(DOCKER28, ["rm", "-f", "tt", "chg"]);
  } finally {
    await d.close();
  }
});
