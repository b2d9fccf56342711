// /system/df's volume sizes and containers' SizeRw as dockerd 20.10 (overlay2) measures them
// with pkg/directory.Size: the bytes of every entry but directories (a symlink counts its
// target's length, an empty file nothing), each inode once (hardlinks).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const SCRIPT = "head -c 1000 /bin/busybox > /v/f && ln /v/f /v/g && ln -s abcdef /v/s && " +
  "mkdir /v/e && head -c 700 /bin/busybox > /w && ln /w /w2 && ln -s abcde /s2 && " +
  "mkdir /e && : > /e/empty";

async function scenario(s: Side): Promise<string[]> {
  const name = "df-sizes";
  await s.docker(["volume", "create", "dfv"]);
  try {
    await s.docker(
      ["run", "--name", name, "--network", "none", "-v", "dfv:/v", "busybox", "sh", "-c", SCRIPT],
    );
    const df = JSON.parse((await s.api("GET", "/system/df")).slice(4));
    const c = df.Containers.find((c: { Names: string[] }) => c.Names[0] === `/${name}`);
    const v = df.Volumes.find((v: { Name: string }) => v.Name === "dfv");
    return [`SizeRw ${c.SizeRw}`, `volume ${JSON.stringify(v.UsageData)}`];
  } finally {
    await s.docker(["rm", "-f", name]).catch(() => "");
    await s.docker(["volume", "rm", "dfv"]);
  }
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED = ["SizeRw 705", 'volume {"RefCount":1,"Size":1006}'];

Deno.test({
  name: "df sizes: volumes and writable layers count file bytes, each inode once",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await scenario(await ourSide(d)), EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "df sizes: the same from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
