// The host and none networks hold an endpoint for each running container on them, as
// dockerd's: network inspect lists the container (no address), NetworkSettings carries an
// EndpointID while it runs, and connect/disconnect events come at start and stop.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { dockerOk, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/bin/docker";

const docker = (d: TestDaemon, args: string[]) => dockerOk(d, DOCKER, args);

Deno.test({
  name: "host and none networks: endpoints, inspect, connect/disconnect events",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    const since = Math.floor(Date.now() / 1000) - 1;
    const ids: Record<string, string> = {};
    for (const mode of ["none", "host"]) {
      ids[mode] = (await docker(d, [
        "run",
        "-d",
        "--name",
        `on-${mode}`,
        "--network",
        mode,
        "busybox",
        "sleep",
        "60",
      ])).trim();
      const listed = JSON.parse(
        await docker(d, ["network", "inspect", "-f", "{{json .Containers}}", mode]),
      );
      assertEquals(Object.keys(listed), [ids[mode]]);
      assertEquals(listed[ids[mode]].Name, `on-${mode}`);
      assertEquals(listed[ids[mode]].IPv4Address, "");
      const es = JSON.parse(
        await docker(d, ["inspect", "-f", `{{json .NetworkSettings.Networks}}`, `on-${mode}`]),
      )[mode];
      assertEquals(es.EndpointID, listed[ids[mode]].EndpointID);
      assert(/^[0-9a-f]{64}$/.test(es.EndpointID), es.EndpointID);
    }
    await docker(d, ["stop", "-t", "0", "on-none"]);
    assertEquals(
      await docker(d, [
        "inspect",
        "-f",
        "{{.NetworkSettings.Networks.none.EndpointID}}",
        "on-none",
      ]),
      "\n",
    );
    assertEquals(
      await docker(d, ["network", "inspect", "-f", "{{json .Containers}}", "none"]),
      "{}\n",
    );
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = await docker(d, [
      "events",
      "--since",
      String(since),
      "--until",
      String(until),
      "--filter",
      "type=network",
      "--format",
      "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}",
    ]);
    assertEquals(events.trim().split("\n"), [
      `connect none null ${ids.none}`,
      `connect host host ${ids.host}`,
      `disconnect none null ${ids.none}`,
    ]);
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "on-none", "on-host"]).catch(() => {});
    await d.close();
  }
});
