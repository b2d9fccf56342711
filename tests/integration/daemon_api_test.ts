// engine daemon through curl on its unix socket: ping/version headers, version errors,
// bad input (malformed JSON, unknown container, huge body), wait/attach framing, and a
// client that disconnects mid-stream.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon } from "../helpers/daemon.ts";

const ignore = missing(root(), command("/usr/bin/curl"));

Deno.test({ name: "daemon API: ping, version, errors, bad input", ignore }, async () => {
  const d = await startDaemon();
  try {
    const ping = await d.curl(["-I", "http://x/_ping"]);
    assertEquals(ping.status, 200);
    assert(/Api-Version: 1\.47/i.test(ping.body), ping.body);
    assert(/Ostype: linux/i.test(ping.body));
    const v = await d.curl(["http://x/v1.47/version"]);
    const ver = JSON.parse(v.body);
    assertEquals(ver.Components[0].Details.ApiVersion, "1.47");
    assert(v.body.endsWith("\n"));
    const tooNew = await d.curl(["http://x/v1.99/version"]);
    assertEquals(tooNew.status, 400);
    assertEquals(
      JSON.parse(tooNew.body).message,
      "client version 1.99 is too new. Maximum supported API version is 1.47",
    );
    const bad = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      "{bad",
      "http://x/v1.47/containers/create",
    ]);
    assertEquals(bad.status, 400);
    const nf = await d.curl(["http://x/v1.47/containers/nosuch/json"]);
    assertEquals(nf.status, 404);
    assertEquals(JSON.parse(nf.body), { message: "No such container: nosuch" });
    const img = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"Image":"nope:1"}',
      "http://x/v1.47/containers/create",
    ]);
    assertEquals(img.status, 404);
    assertEquals(JSON.parse(img.body).message, "No such image: nope:1");
    const name = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"Image":"busybox"}',
      "http://x/v1.47/containers/create?name=x",
    ]);
    assertEquals(name.status, 400);
    // A body over the cap is refused and the daemon keeps serving.
    const big = `${d.dir}/big.json`;
    await Deno.writeFile(big, new Uint8Array(9 << 20).fill(32));
    const huge = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "--data-binary",
      `@${big}`,
      "http://x/v1.47/containers/create",
    ]);
    assert(huge.status === 400 || huge.status === 0, `huge body: ${huge.status}`);
    assertEquals((await d.curl(["http://x/_ping"])).status, 200);
  } finally {
    await d.close();
  }
});

Deno.test({ name: "daemon API: logs stream, disconnect mid-stream, wait", ignore }, async () => {
  const d = await startDaemon();
  try {
    const c = await d.curl([
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "-d",
      '{"Image":"busybox","Cmd":["sh","-c","while true; do echo tick; sleep 0.1; done"]}',
      "http://x/v1.47/containers/create?name=ticker",
    ]);
    assertEquals(c.status, 201, c.body);
    const id = JSON.parse(c.body).Id;
    assert(/^[0-9a-f]{64}$/.test(id));
    assertEquals(
      (await d.curl(["-X", "POST", `http://x/v1.47/containers/${id}/start`])).status,
      204,
    );
    assertEquals(
      (await d.curl(["-X", "POST", `http://x/v1.47/containers/${id}/start`])).status,
      304,
    );
    // Follow the logs and hang up after a second: the daemon carries on.
    const cut = await d.curl(["-m", "1", `http://x/v1.47/containers/${id}/logs?follow=1&stdout=1`]);
    assert(cut.body.includes("tick"));
    assertEquals((await d.curl(["http://x/_ping"])).status, 200);
    const kill = await d.curl(["-X", "POST", `http://x/v1.47/containers/ticker/kill`]);
    assertEquals(kill.status, 204);
    const w = await d.curl(["-X", "POST", `http://x/v1.47/containers/${id}/wait`]);
    assertEquals(JSON.parse(w.body), { Error: null, StatusCode: 137 });
    const again = await d.curl(["-X", "POST", `http://x/v1.47/containers/ticker/kill`]);
    assertEquals(again.status, 409);
    assertEquals(
      JSON.parse(again.body).message,
      `Cannot kill container: ticker: Container ${id} is not running`,
    );
    const ps = JSON.parse((await d.curl(["http://x/v1.47/containers/json?all=1"])).body);
    assertEquals(ps[0].Names, ["/ticker"]);
    assertEquals(ps[0].State, "exited");
    assertEquals((await d.curl(["-X", "DELETE", `http://x/v1.47/containers/ticker`])).status, 204);
  } finally {
    await d.close();
  }
});
