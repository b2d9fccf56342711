// What this engine cannot give a container is refused in dockerd 20.10's words, never
// accepted and ignored: --gpus (no device driver), --storage-opt (no project quotas), an
// image of another platform than --platform asks (404, on which the docker CLI would pull),
// and blkio settings the host's controller lacks (discarded with dockerd's warning); the
// blkio throttles it has reach the container's cgroup.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { postJson, startDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/bin/docker";

Deno.test({
  name: "run refusals: --gpus, --storage-opt, another platform",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    const gpus = await d.docker(DOCKER, [
      "create",
      "--name",
      "g1",
      "--gpus",
      "all",
      "busybox",
      "true",
    ]);
    assertEquals(gpus.code, 0, gpus.err); // as dockerd: created, refused at start
    const start = await d.docker(DOCKER, ["start", "g1"]);
    assert(
      start.err.includes('could not select device driver "" with capabilities: [[gpu]]'),
      start.err,
    );
    const quota = await d.docker(DOCKER, ["create", "--storage-opt", "size=1G", "busybox", "true"]);
    assert(
      quota.err.includes(
        "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
      ),
      quota.err,
    );
    const driver = await d.docker(DOCKER, [
      "create",
      "--volume-driver",
      "foo",
      "-v",
      "vv:/x",
      "busybox",
      "true",
    ]);
    assert(
      driver.err.includes('error looking up volume plugin foo: plugin "foo" not found'),
      driver.err,
    );
    const isolation = await d.docker(DOCKER, [
      "create",
      "--isolation",
      "hyperv",
      "busybox",
      "true",
    ]);
    assert(
      isolation.err.includes(`Invalid isolation: "hyperv" - linux only supports 'default'`),
      isolation.err,
    );
    // Through the API: the CLI would go and pull the other platform.
    const create = (platform: string) =>
      postJson(d, `/v1.41/containers/create?platform=${encodeURIComponent(platform)}`, {
        Image: "busybox",
        Cmd: ["true"],
      });
    const host = Deno.build.arch === "aarch64" ? "arm64" : "amd64";
    const elsewhere = host === "amd64" ? "arm64" : "amd64";
    const other = await create(`linux/${elsewhere}`);
    assertEquals(other.status, 404, other.body);
    assert(
      other.body.includes(
        "image with reference busybox was found but does not match the specified platform: " +
          `wanted linux/${elsewhere}, actual: linux/${host}`,
      ),
      other.body,
    );
    assertEquals((await create(`linux/${host}`)).status, 201);
    assertEquals((await create("linux")).status, 201);
    // Nothing was left by the refusals: g1 and the two accepted creates only.
    assertEquals((await d.docker(DOCKER, ["ps", "-aq"])).out.trim().split("\n").length, 3);
  } finally {
    const ids = (await d.docker(DOCKER, ["ps", "-aq"])).out.trim().split("\n").filter((x) => x);
    if (ids.length) await d.docker(DOCKER, ["rm", "-f", ...ids]);
    await d.close();
  }
});

/** A block device of this host (/proc/partitions' first), or undefined. */
function someBlockDevice(): string | undefined {
  const line = Deno.readTextFileSync("/proc/partitions").split("\n").slice(2).find((l) => l.trim());
  const name = line?.trim().split(/\s+/)[3];
  return name ? `/dev/${name}` : undefined;
}

Deno.test({
  name: "run: blkio throttles reach the cgroup; what the kernel lacks is discarded with a warning",
  ignore: missing(root(), command(DOCKER)) || !someBlockDevice(),
}, async () => {
  const d = await startDaemon();
  const dev = someBlockDevice()!;
  const st = Deno.statSync(dev);
  const rdev = BigInt(st.rdev ?? 0);
  const numbers = `${(rdev >> 8n) & 0xfffn}:${rdev & 0xffn}`;
  try {
    const r = await d.docker(DOCKER, [
      "run",
      "--rm",
      "--device-read-bps",
      `${dev}:1mb`,
      "--device-write-iops",
      `${dev}:100`,
      "busybox",
      "cat",
      "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device",
      "/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device",
    ]);
    assertEquals(r.out, `${numbers} 1048576\n${numbers} 100\n`, r.err);
    const missingDev = await d.docker(DOCKER, [
      "create",
      "--device-read-bps",
      "/dev/nosuch:1mb",
      "busybox",
      "true",
    ]);
    assert(missingDev.err.includes("blkio device /dev/nosuch"), missingDev.err);
    // blkio.weight exists only with the CFQ/BFQ schedulers.
    let weight = true;
    try {
      Deno.statSync("/sys/fs/cgroup/blkio/blkio.weight");
    } catch {
      weight = false;
    }
    const w = await d.docker(DOCKER, [
      "create",
      "--name",
      "bw",
      "--blkio-weight",
      "300",
      "busybox",
      "true",
    ]);
    assertEquals(w.code, 0, w.err);
    const kept =
      (await d.docker(DOCKER, ["inspect", "-f", "{{.HostConfig.BlkioWeight}}", "bw"])).out;
    if (weight) assertEquals(kept, "300\n");
    else {
      assert(
        w.err.includes(
          "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
        ),
        w.err,
      );
      assertEquals(kept, "0\n");
    }
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "bw"]);
    await d.close();
  }
});

Deno.test({
  name: "run: --oom-kill-disable reaches the memory cgroup; without a limit dockerd's warning",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    const r = await d.docker(DOCKER, [
      "run",
      "--rm",
      "--oom-kill-disable",
      "-m",
      "16m",
      "busybox",
      "cat",
      "/sys/fs/cgroup/memory/memory.oom_control",
    ]);
    assert(r.out.startsWith("oom_kill_disable 1\n"), r.out + r.err);
    const bare = await d.docker(DOCKER, ["create", "--oom-kill-disable", "busybox", "true"]);
    assert(bare.err.includes("OOM killer is disabled for the container, but no memory limit"));
    await d.docker(DOCKER, ["rm", bare.out.trim()]);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "run: --annotation reaches the runtime's config.json; an empty key is dockerd's error",
  ignore: missing(root(), command("/usr/local/bin/docker")),
}, async () => {
  const NEW_DOCKER = "/usr/local/bin/docker"; // --annotation is API 1.43's
  const d = await startDaemon();
  try {
    const r = await d.docker(NEW_DOCKER, [
      "run",
      "-d",
      "--annotation",
      "org.example.team=infra",
      "busybox",
      "sleep",
      "30",
    ]);
    assertEquals(r.code, 0, r.err);
    const id = r.out.trim();
    const spec = JSON.parse(
      await Deno.readTextFile(`${d.dir}/r/containerd/bundles/${id}/config.json`),
    );
    assertEquals(spec.annotations?.["org.example.team"], "infra");
    await d.docker(NEW_DOCKER, ["rm", "-f", id]);
    const empty = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { Annotations: { "": "x" } } }),
      "http://127.0.0.1/v1.43/containers/create",
    ]);
    assertEquals(empty.status, 400, empty.body);
    assert(empty.body.includes("the empty string is not permitted as an annotation key"));
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "run: --user is looked up at start, as dockerd's: create, cp the passwd in, start",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  const dir = await Deno.makeTempDir({ prefix: "user-at-start-" });
  try {
    const made = await d.docker(DOCKER, [
      "create",
      "--name",
      "u1",
      "-u",
      "appuser",
      "busybox",
      "id",
    ]);
    assertEquals(made.code, 0, made.err);
    const early = await d.docker(DOCKER, ["start", "u1"]);
    assert(
      early.err.includes("unable to find user appuser: no matching entries in passwd file"),
      early.err,
    );
    assertEquals(
      (await d.docker(DOCKER, ["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "u1"]))
        .out,
      "created 128\n",
    );
    await Deno.writeTextFile(
      `${dir}/passwd`,
      "root:x:0:0:root:/root:/bin/sh\nappuser:x:1234:1234::/home/app:/bin/sh\n",
    );
    const cp = await d.docker(DOCKER, ["cp", `${dir}/passwd`, "u1:/etc/passwd"]);
    assertEquals(cp.code, 0, cp.err);
    const run = await d.docker(DOCKER, ["start", "-a", "u1"]);
    assert(run.out.startsWith("uid=1234(appuser) gid=1234"), run.out + run.err);
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "u1"]);
    await d.close();
    await Deno.remove(dir, { recursive: true });
  }
});
