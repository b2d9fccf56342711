// engine build (our CLI) against our daemon: the output as docker's legacy builder prints
// it, .dockerignore honoured (and the Dockerfile/.dockerignore not copied by `COPY . `),
// the cache on a rebuild, -q and --iidfile, a Dockerfile on stdin, a failing RUN's exit
// code, a syntax error's line.

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";

const ignore = missing(root());

async function engine(host: string, cwd: string, args: string[], stdin?: string) {
  const p = new Deno.Command(ENGINE, {
    args,
    cwd,
    env: { DOCKER_HOST: host, DOCKER_CONFIG: `${cwd}/.cfg` },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const r = await p.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

const ids = (s: string) => s.replace(/[0-9a-f]{12}/g, "<id>");

Deno.test(
  { name: "engine build: output, .dockerignore, cache, -q, stdin, errors", ignore },
  async () => {
    const d = await startDaemon();
    const ctx = await Deno.makeTempDir({ prefix: "engine-cli-build-" });
    try {
      const files: Record<string, string> = {
        "Dockerfile": "FROM busybox:latest\nCOPY . /ctx/\nRUN ls -A /ctx | sort > /list\n" +
          'CMD ["cat","/list"]\n',
        ".dockerignore": "secret*\nlogs\n!logs/keep.log\nDockerfile\n.dockerignore\n",
        "app.txt": "app\n",
        "secret.key": "no\n",
        "logs/a.log": "no\n",
        "logs/keep.log": "yes\n",
      };
      for (const [name, text] of Object.entries(files)) {
        await Deno.mkdir(`${ctx}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
        await Deno.writeTextFile(`${ctx}/${name}`, text);
      }
      const first = await engine(d.host, ctx, ["build", "-t", "cb:1", "."]);
      assertEquals(first.code, 0, first.err + first.out);
      const lines = ids(first.out).split("\n");
      assert(/^Sending build context to Docker daemon +[\d.]+kB\r\r$/.test(lines[0]), lines[0]);
      assertEquals(lines.slice(1, 4), [
        "Step 1/4 : FROM busybox:latest",
        " ---> <id>",
        "Step 2/4 : COPY . /ctx/",
      ]);
      assert(lines.includes("Successfully built <id>"));
      assertEquals(lines.at(-2), "Successfully tagged cb:1");
      const run = await engine(d.host, ctx, ["run", "--rm", "cb:1"]);
      // secret.key and logs/a.log were not sent; the daemon drops the Dockerfile and
      // .dockerignore that .dockerignore names (as dockerd)
      assertEquals(run.out, "app.txt\nlogs\n");
      const kept = await engine(d.host, ctx, ["run", "--rm", "cb:1", "ls", "/ctx/logs"]);
      assertEquals(kept.out, "keep.log\n");

      // nothing changed: every step from the cache; -q prints only the id; --iidfile
      const again = await engine(d.host, ctx, ["build", "-t", "cb:1", "."]);
      assertEquals(again.out.split("Using cache").length - 1, 3, again.out);
      const quiet = await engine(d.host, ctx, ["build", "-q", "--iidfile", `${ctx}/iid`, "."]);
      assertEquals(quiet.code, 0, quiet.err);
      assert(/^sha256:[0-9a-f]{64}\n$/.test(quiet.out), quiet.out);
      assertEquals(await Deno.readTextFile(`${ctx}/iid`), quiet.out); // with -q, as printed
      const iid = await engine(d.host, ctx, ["build", "--iidfile", `${ctx}/iid`, "."]);
      assertEquals(iid.code, 0, iid.err);
      assertEquals(await Deno.readTextFile(`${ctx}/iid`), quiet.out.trim()); // the aux ID

      // a Dockerfile on stdin with the directory as context; a Dockerfile alone as context
      const stdinDf = await engine(
        d.host,
        ctx,
        ["build", "-f", "-", "."],
        "FROM busybox\nCOPY app.txt /\n",
      );
      assertEquals(stdinDf.code, 0, stdinDf.err + stdinDf.out);
      const alone = await engine(d.host, ctx, ["build", "-q", "-"], "FROM busybox\nLABEL a=b\n");
      assertEquals(alone.code, 0, alone.err + alone.out);

      // errors: a RUN's exit code, a syntax error's line, a missing source
      const failing = await engine(d.host, ctx, ["build", "-"], "FROM busybox\nRUN exit 3\n");
      assertEquals(failing.code, 3, failing.out + failing.err);
      assert(failing.err.includes("returned a non-zero code: 3"), failing.err);
      const syntax = await engine(d.host, ctx, ["build", "-"], "FROM busybox\nBOGUS x\n");
      assertEquals(syntax.code, 1);
      // dockerd 20.10 refuses it before streaming ("Error response from daemon: …")
      assert(
        syntax.err.endsWith("dockerfile parse error line 2: unknown instruction: BOGUS\n"),
        syntax.err,
      );
      const quietFail = await engine(d.host, ctx, ["build", "-q", "-"], "FROM busybox\nCOPY x /\n");
      assertEquals(quietFail.code, 1);
      assert(
        quietFail.err.endsWith(
          "COPY failed: file not found in build context or excluded by .dockerignore: " +
            "stat x: file does not exist\n",
        ),
        quietFail.err,
      );
      const noDir = await engine(d.host, ctx, ["build", "nope"]);
      assertEquals(noDir.code, 1);
      assertEquals(noDir.err, 'unable to prepare context: path "nope" not found\n');
    } finally {
      await Deno.remove(ctx, { recursive: true });
      await d.close();
    }
  },
);
