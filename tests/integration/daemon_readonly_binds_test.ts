// Read-only binds as dockerd 25+ makes them: recursively read-only ("rro": a submount inside
// the bind is read-only too) for API >= 1.44 clients where the runtime lists "rro" in its
// `features`; `bind-recursive=writable` keeps the submounts writable, `bind-recursive=readonly`
// refuses a runtime that cannot; API < 1.44 clients keep the old non-recursive "ro".
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { dockerOk, postJson, startDaemon } from "../helpers/daemon.ts";

/** Docker 28's CLI negotiates API 1.47 with our daemon; Debian's 20.10 speaks 1.41. */
const DOCKER = "/usr/local/bin/docker";
const DOCKER_OLD = "/usr/bin/docker";
const PROBE = "touch /x/top 2>/dev/null && echo top-rw || echo top-ro; " +
  "touch /x/inner/f 2>/dev/null && echo inner-rw || echo inner-ro";

const run = (cmd: string, args: string[]) =>
  new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();

Deno.test({
  name: "daemon read-only binds: rro by default, bind-recursive=writable|readonly, old API",
  ignore: missing(root(), command(DOCKER), command(DOCKER_OLD), command("/usr/sbin/runc")),
}, async () => {
  // A host directory with a tmpfs inside it, unmounted whatever happens.
  const src = await Deno.makeTempDir({ prefix: "engine-robind-" });
  await Deno.mkdir(`${src}/inner`);
  assertEquals((await run("mount", ["-t", "tmpfs", "tmpfs", `${src}/inner`])).code, 0);
  const d = await startDaemon();
  try {
    const probe = (args: string[]) =>
      dockerOk(d, DOCKER, ["run", "--rm", ...args, "busybox", "sh", "-c", PROBE]);
    assertEquals(await probe(["-v", `${src}:/x:ro`]), "top-ro\ninner-ro\n");
    assertEquals(await probe(["--runtime", "runc", "-v", `${src}:/x:ro`]), "top-ro\ninner-ro\n");
    const mount = `type=bind,src=${src},dst=/x,readonly`;
    assertEquals(
      await probe(["--mount", `${mount},bind-recursive=writable`]),
      "top-ro\ninner-rw\n",
    );
    assertEquals(
      await probe(["--mount", `${mount},bind-propagation=rprivate,bind-recursive=readonly`]),
      "top-ro\ninner-ro\n",
    );
    assertEquals(await probe(["-v", `${src}:/x`]), "top-rw\ninner-rw\n");

    // crun 1.8 has no `features`: plain ro, and a refusal when rro is demanded.
    const crunRo = await d.docker(DOCKER, [
      "create",
      "--runtime",
      "crun",
      "-v",
      `${src}:/x:ro`,
      "busybox",
      "true",
    ]);
    assertEquals(crunRo.code, 0, crunRo.err);
    await dockerOk(d, DOCKER, ["rm", crunRo.out.trim()]);
    const crunForce = await d.docker(DOCKER, [
      "create",
      "--runtime",
      "crun",
      "--mount",
      `${mount},bind-propagation=rprivate,bind-recursive=readonly`,
      "busybox",
      "true",
    ]);
    assert(crunForce.code !== 0, crunForce.out);
    assert(
      crunForce.err.includes("supports recursive read-only mounts") &&
        crunForce.err.includes("crun"),
      crunForce.err,
    );

    // Older clients: -v …:ro stays non-recursive; ReadOnlyForceRecursive is refused.
    assertEquals(
      await dockerOk(d, DOCKER_OLD, [
        "run",
        "--rm",
        "-v",
        `${src}:/x:ro`,
        "busybox",
        "sh",
        "-c",
        PROBE,
      ]),
      "top-ro\ninner-rw\n",
    );
    const create = (version: string, host: unknown) =>
      postJson(d, `/v${version}/containers/create`, {
        Image: "busybox",
        Cmd: ["sh", "-c", PROBE],
        HostConfig: host,
      });
    const old = await create("1.43", { Binds: [`${src}:/x:ro`] });
    assertEquals(old.status, 201, old.body);
    const id = JSON.parse(old.body).Id;
    assertEquals(await dockerOk(d, DOCKER, ["start", "-a", id]), "top-ro\ninner-rw\n");
    await dockerOk(d, DOCKER, ["rm", id]);
    const bindRO = (extra: Record<string, boolean>) => ({
      Mounts: [{
        Type: "bind",
        Source: src,
        Target: "/x",
        ReadOnly: true,
        BindOptions: extra,
      }],
    });
    const oldForce = await create("1.43", bindRO({ ReadOnlyForceRecursive: true }));
    assertEquals(oldForce.status, 400, oldForce.body);
    assert(
      oldForce.body.includes("ReadOnlyForceRecursive needs API v1.44 or newer"),
      oldForce.body,
    );
    const both = await create(
      "1.47",
      bindRO({ ReadOnlyForceRecursive: true, ReadOnlyNonRecursive: true }),
    );
    assertEquals(both.status, 400, both.body);
    assert(both.body.includes("mount options conflict"), both.body);
    // Nothing was left of the refused creates.
    assertEquals(await dockerOk(d, DOCKER, ["ps", "-aq"]), "");
    // The host's own mount stayed writable.
    await Deno.writeTextFile(`${src}/inner/host`, "rw");
  } finally {
    await d.close();
    await run("umount", [`${src}/inner`]);
    await Deno.remove(src, { recursive: true });
  }
});
