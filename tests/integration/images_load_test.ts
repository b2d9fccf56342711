// POST /images/load progress (reference §6.5): without quiet, one "Loading layer" progress
// line per layer the daemon did not have (id: the diff id's first 12 hex), then "Loaded
// image:"; quiet, or an image already present: only "Loaded image:". The CLI asks for
// progress on a terminal only, and draws bars there.

import assert from "node:assert/strict";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { command, missing, root } from "../helpers/require.ts";

const ignore = missing(root(), command("/usr/bin/script"));

interface Message {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  error?: string;
}

async function load(d: TestDaemon, tar: string, quiet: boolean): Promise<Message[]> {
  const r = await d.curl([
    "-X",
    "POST",
    "-H",
    "Content-Type: application/x-tar",
    "--data-binary",
    `@${tar}`,
    `http://127.0.0.1/v1.41/images/load?quiet=${quiet ? 1 : 0}`,
  ]);
  assert.equal(r.status, 200, r.body);
  assert.ok(r.body.endsWith("\r\n"), "progress lines end with CRLF");
  return r.body.trim().split("\r\n").map((l) => JSON.parse(l));
}

Deno.test({ name: "images load: Docker's progress stream, and the CLI's", ignore }, async () => {
  const d = await startDaemon();
  try {
    const tar = `${d.dir}/bb.tar`;
    const diffIds: string[] = JSON.parse(
      (await d.curl(["http://127.0.0.1/images/busybox/json"])).body,
    ).RootFS.Layers;
    let r = await d.curl(["-o", tar, "http://127.0.0.1/images/busybox/get"]);
    assert.equal(r.status, 200);
    r = await d.curl(["-X", "DELETE", "http://127.0.0.1/images/busybox"]);
    assert.equal(r.status, 200, r.body);

    // Not quiet, layers new: progress per layer, then the name.
    const msgs = await load(d, tar, false);
    const loading = msgs.filter((m) => m.status === "Loading layer");
    assert.ok(loading.length >= 1, JSON.stringify(msgs));
    assert.deepEqual(
      [...new Set(loading.map((m) => m.id))],
      diffIds.map((id) => id.slice(7, 19)),
    );
    const last = loading[loading.length - 1];
    assert.equal(last.progressDetail?.current, last.progressDetail?.total);
    assert.match(last.progress ?? "", /^\[=+>\]/);
    assert.deepEqual(msgs[msgs.length - 1], { stream: "Loaded image: busybox:latest\n" });

    // Already here: the name only. Quiet: the name only.
    assert.deepEqual(await load(d, tar, false), [{ stream: "Loaded image: busybox:latest\n" }]);
    await d.curl(["-X", "DELETE", "http://127.0.0.1/images/busybox"]);
    assert.deepEqual(await load(d, tar, true), [{ stream: "Loaded image: busybox:latest\n" }]);

    // A corrupt archive: the error in the stream, nothing loaded.
    await Deno.writeFile(`${d.dir}/bad.tar`, new Uint8Array(4096).fill(7));
    const bad = await load(d, `${d.dir}/bad.tar`, false);
    assert.ok(bad[bad.length - 1].error, JSON.stringify(bad));

    // The CLI: plain lines without a terminal; bars on one (script gives it a pty).
    await d.curl(["-X", "DELETE", "http://127.0.0.1/images/busybox"]);
    const plain = await d.docker(ENGINE, ["-H", d.host, "load", "-i", tar]);
    assert.equal(plain.code, 0, plain.err);
    assert.equal(plain.out, "Loaded image: busybox:latest\n");
    await d.curl(["-X", "DELETE", "http://127.0.0.1/images/busybox"]);
    const tty = await new Deno.Command("script", {
      // Docker draws the bar from 110 columns on.
      args: ["-qec", `stty cols 150; ${ENGINE} -H ${d.host} load -i ${tar}`, "/dev/null"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const screen = new TextDecoder().decode(tty.stdout);
    assert.ok(tty.success, screen + new TextDecoder().decode(tty.stderr));
    assert.match(screen, new RegExp(`${diffIds[0].slice(7, 19)}: Loading layer\\s+\\[=+>\\]`));
    assert.match(screen, /Loaded image: busybox:latest/);
  } finally {
    await d.close();
  }
});
