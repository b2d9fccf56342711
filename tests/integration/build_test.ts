// POST /build (Docker's classic builder) on our daemon: the JSON stream as dockerd writes it
// (§8.3 of the reference), the cache on a rebuild, the resulting config and history, a
// multi-stage Dockerfile through the docker CLI 20.10 (legacy builder), ADD of a local
// tarball, --target/--label/--build-arg/-q, and bad input: a syntax error names its line,
// a missing COPY source its path, a failing RUN its command and code; nothing is left
// tagged, and no intermediate container outlives a failed build with --force-rm.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { REGISTRY_BIN, startRegistry } from "../helpers/registry.ts";
import { MULTI_STAGE } from "../helpers/build_fixture.ts";

const DOCKER20 = "/usr/bin/docker";
const ignore = missing(root(), command(DOCKER20));

async function writeTree(dir: string, files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

async function tarOf(dir: string): Promise<string> {
  const file = `${dir}.tar`;
  const r = await new Deno.Command("tar", { args: ["-C", dir, "-cf", file, "."] }).output();
  assert(r.success, "tar the context");
  return file;
}

/** POST /build with a tar context through curl; the stream's messages. */
async function postBuild(d: TestDaemon, tar: string, query: string) {
  const r = await d.curl([
    "-X",
    "POST",
    "-H",
    "Content-Type: application/x-tar",
    "--data-binary",
    `@${tar}`,
    `http://127.0.0.1/v1.41/build?${query}`,
  ]);
  assertEquals(r.status, 200, r.body);
  assert(r.body.endsWith("\r\n"), "each message ends with CRLF");
  return r.body.split("\r\n").filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const ids = (s: string) =>
  s.replace(/[0-9a-f]{12}/g, "<id>").replace(/sha256:<id>[0-9a-f]*/g, "sha256:<d>");

async function ok(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.docker(DOCKER20, args);
  assertEquals(r.code, 0, `docker ${args.join(" ")}: ${r.err}${r.out}`);
  return r.out;
}

async function containerCount(d: TestDaemon): Promise<number> {
  return (await ok(d, ["ps", "-aq"])).split("\n").filter((l) => l).length;
}

Deno.test({ name: "build: the classic builder's stream, cache and image", ignore }, async () => {
  const d = await startDaemon();
  try {
    const ctx = `${d.dir}/ctx1`;
    await writeTree(ctx, {
      Dockerfile: 'FROM busybox:latest\nRUN echo hi > /f\nCMD ["cat","/f"]\n',
      "other.txt": "other\n",
    });
    const tar = await tarOf(ctx);
    const first = await postBuild(d, tar, "dockerfile=Dockerfile&t=bt%3A1&version=1");
    const text = first.map((m) => m.stream !== undefined ? ids(String(m.stream)) : m);
    assertEquals(text, [
      "Step 1/3 : FROM busybox:latest",
      "\n",
      " ---> <id>\n",
      "Step 2/3 : RUN echo hi > /f",
      "\n",
      " ---> Running in <id>\n",
      "Removing intermediate container <id>\n",
      " ---> <id>\n",
      'Step 3/3 : CMD ["cat","/f"]',
      "\n",
      " ---> Running in <id>\n",
      "Removing intermediate container <id>\n",
      " ---> <id>\n",
      first[13],
      "Successfully built <id>\n",
      "Successfully tagged bt:1\n",
    ]);
    const aux = first[13].aux as { ID: string };
    assert(/^sha256:[0-9a-f]{64}$/.test(aux.ID), JSON.stringify(first[13]));
    assertEquals(String(first[14].stream), `Successfully built ${aux.ID.slice(7, 19)}\n`);

    // The image: config.Image is the parent, history as Docker's, one new layer.
    const img = JSON.parse(await ok(d, ["image", "inspect", "bt:1"]))[0];
    assertEquals(img.Id, aux.ID);
    assertEquals(img.Config.Cmd, ["cat", "/f"]);
    assert(
      img.Config.Env.includes("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    );
    const history = JSON.parse(
      await ok(d, ["history", "--no-trunc", "--format", "{{json .}}", "bt:1"]).then((s) =>
        `[${s.trim().split("\n").join(",")}]`
      ),
    );
    assertEquals(history[0].CreatedBy, '/bin/sh -c #(nop)  CMD ["cat" "/f"]');
    assertEquals(history[0].Size, "0B");
    assertEquals(history[1].CreatedBy, "/bin/sh -c echo hi > /f");
    assertEquals(await ok(d, ["run", "--rm", "bt:1"]), "hi\n");

    // The intermediate image is bt:1's parent: hidden from `images`, listed with -a.
    const parent = JSON.parse(await ok(d, ["image", "inspect", "bt:1"]))[0].Parent;
    assert(/^sha256:[0-9a-f]{64}$/.test(parent), parent);
    const listed = await ok(d, ["images", "-q", "--no-trunc"]);
    assert(!listed.includes(parent), listed);
    assert((await ok(d, ["images", "-a", "-q", "--no-trunc"])).includes(parent));

    // Rebuild: every step from the cache, the same image.
    const again = await postBuild(d, tar, "dockerfile=Dockerfile&t=bt%3A1&version=1");
    const text2 = again.map((m) => m.stream !== undefined ? ids(String(m.stream)) : m);
    assertEquals(text2.filter((t) => t === " ---> Using cache\n").length, 2);
    assert(!text2.some((t) => typeof t === "string" && t.includes("Running in")), text2.join(""));
    assertEquals((again.find((m) => m.aux)!.aux as { ID: string }).ID, aux.ID);
    assertEquals(await containerCount(d), 0);

    // image prune leaves the cache (intermediate images are no heads), and builder prune
    // (BuildKit's cache, none here) too: still all cached.
    await ok(d, ["image", "prune", "-f"]);
    assert((await ok(d, ["builder", "prune", "-f"])).includes("Total reclaimed space: 0B"));
    const pruned = await postBuild(d, tar, "t=bt%3A1");
    assertEquals(pruned.filter((m) => m.stream === " ---> Using cache\n").length, 2);

    // nocache: new containers, a new image.
    const fresh = await postBuild(d, tar, "t=bt%3A2&nocache=1");
    assert(!fresh.some((m) => m.stream === " ---> Using cache\n"));

    const quiet = await postBuild(d, tar, "t=bt%3A3&q=1");
    // q=1: only the id (the cache's newest match: the nocache build's image).
    const freshId = (fresh.find((m) => m.aux)!.aux as { ID: string }).ID;
    assertEquals(quiet, [{ stream: `${freshId}\n` }]);
  } finally {
    await d.close();
  }
});

Deno.test(
  { name: "build: multi-stage through the docker CLI (legacy builder)", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const ctx = `${d.dir}/ctx2`;
      await writeTree(ctx, {
        Dockerfile: MULTI_STAGE,
        "data/a.txt": "a\n",
        "data/sub/b.txt": "b\n",
        "one.txt": "1\n",
        "two.txt": "2\n",
      });
      await Deno.writeTextFile(`${d.dir}/ctx2/.dockerignore`, "two.txt.bak\n");
      const r = await d.docker(DOCKER20, [
        "build",
        "-t",
        "ms:1",
        "--build-arg",
        "GREETING=hey",
        ctx,
      ]);
      assertEquals(r.code, 0, r.err + r.out);
      assert(r.out.includes("Successfully tagged ms:1"), r.out);
      assertEquals(await ok(d, ["run", "--rm", "ms:1"]), "hey\n");
      const listing = await ok(d, [
        "run",
        "--rm",
        "--user",
        "0",
        "ms:1",
        "sh",
        "-c",
        "cd /app && find . | sort | while read f; do stat -c '%n %u:%g %a %F' \"$f\"; done",
      ]);
      assertEquals(listing.split("\n").filter((l) => l), [
        ". 1500:1500 755 directory",
        "./out 1500:1500 755 directory",
        "./src 1500:1500 755 directory",
        "./src/data 1500:1500 755 directory",
        "./src/data/a.txt 1500:1500 644 regular file",
        "./src/data/sub 1500:1500 755 directory",
        "./src/data/sub/b.txt 1500:1500 644 regular file",
        "./src/greeting 1500:1500 640 regular file",
        "./src/one.txt 1500:1500 644 regular file",
        "./src/two.txt 1500:1500 644 regular file",
      ]);
      assertEquals(
        await ok(d, [
          "run",
          "--rm",
          "ms:1",
          "sh",
          "-c",
          "stat -c '%u:%g %a' /made /tmp/made-by-user; ls /bin/vi || echo gone",
        ]),
        "1500:1500 2750\n1500:1500 644\ngone\n",
      );
      const cfg = JSON.parse(await ok(d, ["image", "inspect", "ms:1"]))[0].Config;
      assertEquals(cfg.User, "appuser");
      assertEquals(cfg.WorkingDir, "/app/src");

      // Rebuild: every step from the cache.
      const again = await d.docker(DOCKER20, [
        "build",
        "-t",
        "ms:1",
        "--build-arg",
        "GREETING=hey",
        ctx,
      ]);
      assertEquals(again.code, 0, again.err);
      const steps = again.out.split("\n").filter((l) => l.startsWith("Step ")).length;
      const meta = 1; // the meta ARG prints a step without a result
      const froms = 2;
      assertEquals(
        again.out.split("\n").filter((l) => l === " ---> Using cache").length,
        steps - meta - froms,
        again.out,
      );
      assertEquals(await containerCount(d), 0);

      // --target stops at that stage; --label marks the result.
      const t = await d.docker(DOCKER20, [
        "build",
        "-q",
        "--target",
        "build",
        "--label",
        "x=y",
        "-t",
        "ms:build",
        ctx,
      ]);
      assertEquals(t.code, 0, t.err);
      const built = JSON.parse(await ok(d, ["image", "inspect", "ms:build"]))[0];
      assertEquals(t.out.trim(), built.Id);
      assertEquals(built.Config.Labels, { x: "y" });
      assertEquals(built.Config.WorkingDir, "/app/src");
    } finally {
      await d.close();
    }
  },
);

Deno.test({ name: "build: FROM scratch", ignore }, async () => {
  const d = await startDaemon();
  try {
    const ctx = `${d.dir}/ctx5`;
    await writeTree(ctx, {
      Dockerfile: 'FROM scratch\nCOPY hello.txt /\nENV A=1\nCMD ["/hello.txt"]\n',
      "hello.txt": "hello\n",
    });
    const r = await d.docker(DOCKER20, ["build", "-t", "scr:1", ctx]);
    assertEquals(r.code, 0, r.err + r.out);
    assert(r.out.includes("Step 1/4 : FROM scratch\n ---> \n"), r.out);
    const img = JSON.parse(await ok(d, ["image", "inspect", "scr:1"]))[0];
    // Its chain: CMD ← ENV ← COPY, and the COPY step's image has no parent.
    const parentOf = async (id: string) =>
      JSON.parse(await ok(d, ["image", "inspect", id]))[0].Parent as string;
    assertEquals(await parentOf(await parentOf(img.Parent)), "");
    assertEquals(img.RootFS.Layers.length, 1);
    assertEquals(img.Config.Env, [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "A=1",
    ]);
    // The builder's private base image is gone; only busybox and the result are left.
    const all = await ok(d, ["images", "-a", "--format", "{{.Repository}}:{{.Tag}}"]);
    assertEquals(all.split("\n").filter((l) => l).filter((l) => l !== "<none>:<none>").sort(), [
      "busybox:latest",
      "scr:1",
    ]);
    const again = await d.docker(DOCKER20, ["build", "-t", "scr:1", ctx]);
    assertEquals(again.out.split("\n").filter((l) => l === " ---> Using cache").length, 3);
    // The intermediate images go with the image they lead to (and only then).
    const copyStep = await parentOf(img.Parent);
    const refused = await d.docker(DOCKER20, ["rmi", copyStep]);
    assert(refused.err.includes("image has dependent child images"), refused.err);
    const removed = (await ok(d, ["rmi", "scr:1"])).split("\n").filter((l) => l);
    assertEquals(removed[0], "Untagged: scr:1");
    // Each image, then (as dockerd) the layer released with the last one: its chain id.
    assertEquals(
      removed.slice(1),
      [img.Id, img.Parent, copyStep, img.RootFS.Layers[0]].map(
        (id) => `Deleted: ${id}`,
      ),
    );
    assertEquals(
      (await ok(d, ["images", "-a", "--format", "{{.Repository}}"])).trim(),
      "busybox",
    );
    // What was deleted is no cache any more: a rebuild runs every step again.
    const rebuilt = await d.docker(DOCKER20, ["build", "-t", "scr:1", ctx]);
    assertEquals(rebuilt.code, 0, rebuilt.err);
    assert(!rebuilt.out.includes("Using cache"), rebuilt.out);
    const empty = await build(d, ctx, "FROM scratch\n");
    assert(empty.err.includes("No image was generated"), empty.err);
  } finally {
    await d.close();
  }
});

async function build(d: TestDaemon, ctx: string, dockerfile: string) {
  await Deno.writeTextFile(`${ctx}/Dockerfile`, dockerfile);
  return await d.docker(DOCKER20, ["build", ctx]);
}

Deno.test({
  name: "build: FROM an absent image pulls it (a local registry); --pull pulls again",
  ignore: ignore || missing(command(REGISTRY_BIN)),
}, async () => {
  const d = await startDaemon();
  try {
    await using reg = await startRegistry();
    const ref = `${reg.host}/bb:1`;
    await ok(d, ["tag", "busybox:latest", ref]);
    await ok(d, ["push", ref]);
    await ok(d, ["rmi", ref]);
    const ctx = `${d.dir}/ctx6`;
    await writeTree(ctx, { Dockerfile: `FROM ${ref}\nRUN true\n` });
    const tar = await tarOf(ctx);
    const msgs = await postBuild(d, tar, "t=pulled%3A1");
    assert(
      msgs.some((m) => m.status === "Pull complete" || m.status === "Already exists"),
      JSON.stringify(msgs),
    );
    assert(msgs.some((m) => m.stream === "Successfully tagged pulled:1\n"), JSON.stringify(msgs));
    const again = await postBuild(d, tar, "t=pulled%3A1&pull=1");
    assert(again.some((m) => m.stream === "Successfully tagged pulled:1\n"), JSON.stringify(again));
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "build: ADD extracts a local tarball; a URL that cannot be fetched fails clearly",
  ignore,
}, async () => {
  const d = await startDaemon();
  try {
    const ctx = `${d.dir}/ctx3`;
    await writeTree(ctx, { "payload/x/y.txt": "y\n" });
    const tgz = await new Deno.Command("tar", {
      args: ["-C", `${ctx}/payload`, "--owner=42", "--group=43", "-czf", `${ctx}/p.tgz`, "x"],
    }).output();
    assert(tgz.success);
    await Deno.remove(`${ctx}/payload`, { recursive: true });
    await writeTree(ctx, { Dockerfile: "FROM busybox\nADD p.tgz /opt/\n" });
    const r = await d.docker(DOCKER20, ["build", "-t", "add:1", ctx]);
    assertEquals(r.code, 0, r.err + r.out);
    assertEquals(
      await ok(d, ["run", "--rm", "add:1", "stat", "-c", "%u:%g %n", "/opt/x/y.txt"]),
      "42:43 /opt/x/y.txt\n",
    );

    await Deno.writeTextFile(
      `${ctx}/Dockerfile`,
      "FROM busybox\nADD http://127.0.0.1:9/f.txt /f\n",
    );
    const bad = await d.docker(DOCKER20, ["build", "-t", "add:2", ctx]);
    assert(bad.code !== 0);
    assert(/ADD failed: failed to GET http:\/\/127\.0\.0\.1:9\/f\.txt/.test(bad.err), bad.err);
  } finally {
    await d.close();
  }
});

Deno.test({ name: "build: bad input names the line, the path, the command", ignore }, async () => {
  const d = await startDaemon();
  try {
    const ctx = `${d.dir}/ctx4`;
    const build = async (dockerfile: string, extra: string[] = []) => {
      await writeTree(ctx, { Dockerfile: dockerfile, "a.txt": "a\n" });
      return await d.docker(DOCKER20, ["build", "-t", "bad:1", ...extra, ctx]);
    };
    const syntax = await build("FROM busybox\nRUN true\nBOGUS x\n");
    assertEquals(syntax.code, 1);
    assert(syntax.err.includes("line 3"), syntax.err);

    const missingSrc = await build("FROM busybox\nCOPY nothere.txt /x\n");
    assertEquals(missingSrc.code, 1);
    assert(missingSrc.err.includes("nothere.txt"), missingSrc.err);

    // A failing RUN: Docker's message and exit code; its container stays (rm does not
    // remove a failed step's container) unless --force-rm.
    const failing = await build("FROM busybox\nRUN echo out; exit 3\n");
    assertEquals(failing.code, 3, failing.err);
    assert(failing.out.includes("out"), failing.out);
    assert(
      failing.err.includes("The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3"),
      failing.err,
    );
    assertEquals(await containerCount(d), 1);
    await ok(d, ["container", "prune", "-f"]);
    const forced = await build("FROM busybox\nCOPY a.txt /a\nRUN exit 4\n", ["--force-rm"]);
    assertEquals(forced.code, 4, forced.err);
    assertEquals(await containerCount(d), 0);

    // Sources never leave the context: "..", or a symlink pointing out (resolved inside).
    const up = await build("FROM busybox\nCOPY ../etc/passwd /x\n");
    assertEquals(up.code, 1);
    assert(up.err.includes("forbidden path outside the build context"), up.err);
    await Deno.symlink("/etc/shadow", `${ctx}/shadow`);
    const link = await build("FROM busybox\nCOPY shadow /x\n");
    assertEquals(link.code, 1);
    assert(link.err.includes("shadow"), link.err);
    await Deno.remove(`${ctx}/shadow`);

    // Nothing was tagged by the failures.
    const tags = await ok(d, ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert(!tags.includes("bad:1"), tags);

    // A context whose tar names a path outside it is refused.
    const evil = `${d.dir}/evil.tar`;
    await writeTree(`${d.dir}/evil`, { Dockerfile: "FROM busybox\n" });
    const t = await new Deno.Command("tar", {
      args: ["-C", `${d.dir}/evil`, "-cf", evil, "--transform", "s,^,../,", "Dockerfile"],
    }).output();
    assert(t.success);
    const r = await d.curl([
      "-X",
      "POST",
      "--data-binary",
      `@${evil}`,
      "http://127.0.0.1/v1.41/build?t=evil:1",
    ]);
    assertEquals(r.status, 400, r.body);
    assert(r.body.includes("build context"), r.body);
    const tags2 = await ok(d, ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert(!tags2.includes("evil"), tags2);
  } finally {
    await d.close();
  }
});
