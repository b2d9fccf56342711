// docker cp through a container's volumes and bind mounts, as dockerd's: into and out of a
// named volume of a running and of a stopped container, through a symlink the container made
// to its mount point, a read-only bind refused in dockerd's words, and a volume's absolute
// symlink kept inside the volume (nothing written on the host).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { dockerOk, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/bin/docker";

const docker = (d: TestDaemon, args: string[]) => dockerOk(d, DOCKER, args);

Deno.test({
  name: "cp: into and out of volumes and binds, as dockerd",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  const dir = await Deno.makeTempDir({ prefix: "cpvol-" });
  const probe = `engine-cp-probe-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.mkdir(`${dir}/ro`);
    await Deno.writeTextFile(`${dir}/ro/kept.txt`, "kept\n");
    await Deno.writeTextFile(`${dir}/f.txt`, "hello\n");
    await docker(d, ["volume", "create", "cpv"]);
    await docker(d, [
      "run",
      "-d",
      "--name",
      "cv",
      "-v",
      "cpv:/data",
      "-v",
      `${dir}/ro:/ro:ro`,
      "busybox",
      "sleep",
      "120",
    ]);
    // Into the running container's volume: the container sees it.
    await docker(d, ["cp", `${dir}/f.txt`, "cv:/data/"]);
    assertEquals(await docker(d, ["exec", "cv", "cat", "/data/f.txt"]), "hello\n");
    // Out of it, by file and as the mount point's directory.
    await docker(d, ["cp", "cv:/data/f.txt", `${dir}/out.txt`]);
    assertEquals(await Deno.readTextFile(`${dir}/out.txt`), "hello\n");
    await docker(d, ["cp", "cv:/data", `${dir}/data-copy`]);
    assertEquals(await Deno.readTextFile(`${dir}/data-copy/f.txt`), "hello\n");
    // Out of the read-only bind; into it is refused.
    await docker(d, ["cp", "cv:/ro/kept.txt", `${dir}/kept-out.txt`]);
    assertEquals(await Deno.readTextFile(`${dir}/kept-out.txt`), "kept\n");
    const ro = await d.docker(DOCKER, ["cp", `${dir}/f.txt`, "cv:/ro/"]);
    assert(ro.code !== 0 && ro.err.includes("mounted volume is marked read-only"), ro.err);
    assertEquals([...Deno.readDirSync(`${dir}/ro`)].map((e) => e.name), ["kept.txt"]);
    // Through a symlink the container made to its mount point: where the container looks.
    await docker(d, ["exec", "cv", "ln", "-s", "/data", "/link"]);
    await docker(d, ["cp", `${dir}/f.txt`, "cv:/link/g.txt"]);
    assertEquals(await docker(d, ["exec", "cv", "cat", "/data/g.txt"]), "hello\n");
    // A volume's absolute symlink resolves inside the volume, never on the host.
    await docker(d, ["exec", "cv", "ln", "-s", "/etc", "/data/etc"]);
    await d.docker(DOCKER, ["cp", `${dir}/f.txt`, `cv:/data/etc/${probe}`]);
    assert(!existsSync(`/etc/${probe}`), "written on the host");
    // A stopped container's volume.
    await docker(d, ["stop", "-t", "0", "cv"]);
    await docker(d, ["cp", `${dir}/f.txt`, "cv:/data/h.txt"]);
    assertEquals(
      await docker(d, ["run", "--rm", "-v", "cpv:/d", "busybox", "cat", "/d/h.txt"]),
      "hello\n",
    );
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "cv"]);
    await d.docker(DOCKER, ["volume", "rm", "cpv"]);
    await d.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(`/etc/${probe}`).catch(() => {});
  }
});

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
