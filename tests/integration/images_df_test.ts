// GET /system/df (reference §8.2): images with their container counts, sizes and shared
// sizes (LayersSize counts a layer once), volumes with their usage; `engine system df [-v]`
// prints what the docker CLI prints from the same answer.

import assert from "node:assert/strict";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import { command, missing, root } from "../helpers/require.ts";

const DOCKER20 = "/usr/bin/docker";
const DOCKER = "/usr/local/bin/docker";
const ignore = missing(root());

interface DfImage {
  Id: string;
  RepoTags: string[];
  Containers: number;
  Size: number;
  SharedSize: number;
}

Deno.test({ name: "system df: images, shared sizes, volumes; CLI output", ignore }, async () => {
  const d = await startDaemon();
  try {
    const engine = async (args: string[]) => {
      const r = await d.docker(ENGINE, ["-H", d.host, ...args]);
      assert.equal(r.code, 0, `engine ${args.join(" ")}: ${r.err}`);
      return r.out;
    };
    // A container of busybox, and an image committed from it: they share busybox's layer.
    await engine(["run", "--name", "c1", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /f"]);
    const snap = (await engine(["commit", "c1", "snap:1"])).trim();
    await engine(["volume", "create", "v1"]);
    const mountpoint = (await engine(["volume", "inspect", "-f", "{{.Mountpoint}}", "v1"])).trim();
    await Deno.writeFile(`${mountpoint}/data`, new Uint8Array(5000));

    const r = await d.curl(["http://127.0.0.1/v1.41/system/df"]);
    assert.equal(r.status, 200, r.body);
    const df = JSON.parse(r.body);
    const images: DfImage[] = df.Images;
    const bb = images.find((i) => i.RepoTags.includes("busybox:latest"))!;
    const sn = images.find((i) => i.Id === snap)!;
    assert.ok(bb && sn, r.body);
    assert.equal(bb.Containers, 1);
    assert.equal(sn.Containers, 0);
    assert.ok(bb.Size > 0 && sn.Size > bb.Size, r.body);
    assert.equal(bb.SharedSize, bb.Size, "busybox's only layer is shared with snap");
    assert.equal(sn.SharedSize, bb.Size);
    assert.equal(df.LayersSize, sn.Size, "each layer once");
    assert.deepEqual(df.Volumes.map((v: { Name: string }) => v.Name), ["v1"]);
    assert.deepEqual(df.Volumes[0].UsageData, { Size: 5000, RefCount: 0 });
    assert.equal(df.Containers.length, 1);
    assert.equal(df.Containers[0].SizeRw, 100000, "the file the container wrote");
    assert.equal(df.Containers[0].SizeRootFs, 100000 + bb.Size);

    // The docker CLI and ours print the same from it (times normalized).
    const norm = (s: string) =>
      s.replace(/(Less than a second|About a minute|\d+ (seconds?|minutes?)) ago/g, "<t> ago")
        .replace(/ {2,}/g, "  ");
    const summary = await engine(["system", "df"]);
    assert.match(summary, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +2 +1 /);
    assert.match(summary, /\nContainers +1 +0 +100kB +100kB \(100%\)\n/);
    assert.match(summary, /\nLocal Volumes +1 +0 +5kB +5kB \(100%\)\n/);
    const verbose = await engine(["system", "df", "-v"]);
    assert.match(verbose, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE/);
    assert.match(verbose, /\nbusybox +latest +[0-9a-f]{12} .* 1\n/);
    assert.match(verbose, /\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\nv1 +0 +5kB\n/);
    // docker 20.10 shows the images' VirtualSize (4 digits) with -v; docker 28 and ours, Size.
    for (const cli of [DOCKER20, DOCKER]) {
      if (!command(cli).ok) continue;
      const verbose = cli === DOCKER ? [["system", "df", "-v"]] : [];
      for (const args of [["system", "df"], ...verbose]) {
        const theirs = await d.docker(cli, args);
        assert.equal(theirs.code, 0, theirs.err);
        const ours = await engine(args);
        assert.equal(norm(ours), norm(theirs.out), `${cli} ${args.join(" ")}`);
      }
    }
  } finally {
    await d.close();
  }
});
