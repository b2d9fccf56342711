// Our own CLI against the daemon: run (with its create → start → wait flow), ps, exec,
// logs, rm — the same flows the docker CLI tests cover.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";

Deno.test({ name: "engine CLI: run, ps, exec, logs, rm", ignore: missing(root()) }, async () => {
  const d = await startDaemon();
  try {
    let r = await d.docker(ENGINE, [
      "run",
      "--rm",
      "busybox",
      "sh",
      "-c",
      "echo out; echo err >&2; exit 3",
    ]);
    assertEquals([r.code, r.out, r.err], [3, "out\n", "err\n"]);
    r = await d.docker(ENGINE, [
      "run",
      "--rm",
      "--network",
      "none",
      "-e",
      "A=1",
      "busybox",
      "sh",
      "-c",
      "echo $A",
    ]);
    assertEquals([r.code, r.out], [0, "1\n"], r.err);
    r = await d.docker(ENGINE, [
      "run",
      "-d",
      "--name",
      "web",
      "busybox",
      "sh",
      "-c",
      "echo started; sleep 60",
    ]);
    assertEquals(r.code, 0, r.err);
    const id = r.out.trim();
    assert(/^[0-9a-f]{64}$/.test(id), r.out);
    r = await d.docker(ENGINE, ["ps", "--format", "{{.Names}} {{.Image}} {{.Command}}"]);
    assertEquals(r.out, 'web busybox "sh -c \'echo started…"\n');
    r = await d.docker(ENGINE, ["exec", "web", "sh", "-c", "exit 4"]);
    assertEquals(r.code, 4);
    r = await d.docker(ENGINE, ["exec", "web", "nope"]);
    assertEquals(r.code, 127);
    r = await d.docker(ENGINE, ["logs", "web"]);
    assertEquals(r.out, "started\n");
    r = await d.docker(ENGINE, ["rm", "-f", "web"]);
    assertEquals([r.code, r.out], [0, "web\n"], r.err);
    r = await d.docker(ENGINE, ["ps", "-aq"]);
    assertEquals(r.out, "");
  } finally {
    await d.close();
  }
});
