// The Image of GET /containers/json (docker ps, system df) as dockerd 20.10's refreshImage
// gives it: the string the container was created with while that string still names the
// container's image, else the image's full ID (the name untagged while a running container
// keeps the image, or moved to another image); docker ps then prints 12 hex digits. Inspect
// keeps the string in Config.Image and the ID in Image.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD } from "../../scripts/lib/dockerd.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { onDockerd, ourSide, type Side } from "../helpers/docker_side.ts";
import { command, missing, root } from "../helpers/require.ts";

const CONTAINERS = ["c3", "c4", "c5", "r1", "i1", "i2"];

async function scenario(s: Side): Promise<string[]> {
  const names = new Map<string, string>();
  const named = (line: string) => {
    for (const [id, name] of names) {
      line = line.replaceAll(id, name).replaceAll(id.slice(7, 19), `${name}-short`);
    }
    return line;
  };
  const log: string[] = [];
  const say = (line: string) => log.push(named(line));
  const id = async (ref: string) => (await s.docker(["inspect", "-f", "{{.Id}}", ref])).trim();
  const create = (name: string, image: string) =>
    s.docker(["create", "--name", name, "--network", "none", image, "true"]);

  const busybox = await id("busybox");
  names.set(busybox, "BB");
  await create("c4", "busybox");
  // Created by ID: a short one and the full one.
  await create("i1", busybox.slice(7, 19));
  await create("i2", busybox);
  await s.docker(["commit", "c4", "mine:tag"]);
  names.set(await id("mine:tag"), "M");
  try {
    await create("c3", "mine:tag");
    // A running container keeps its image when its last name goes (rmi -f only untags).
    await s.docker(["run", "-d", "--name", "r1", "--network", "none", "mine:tag", "sleep", "1000"]);
    await s.docker(["tag", "mine:tag", "mine:t2"]);
    await create("c5", "mine:t2");
    await s.docker(["tag", "busybox", "mine:t2"]);
    say(`rmi -f mine:tag: ${await s.docker(["rmi", "-f", "mine:tag"])}`);
    const listed = JSON.parse((await s.api("GET", "/containers/json?all=1")).slice(4));
    for (
      const c of listed.sort((a: { Names: string[] }, b: { Names: string[] }) =>
        a.Names[0].localeCompare(b.Names[0])
      )
    ) {
      say(`list ${c.Names[0]}: ${c.Image} ${c.ImageID}`);
    }
    say(`ps: ${(await s.docker(["ps", "-a", "--format", "{{.Names}} {{.Image}}"])).trim()}`);
    const df = JSON.parse((await s.api("GET", "/system/df")).slice(4));
    say(`df: ${df.Containers.map((c: { Image: string }) => named(c.Image)).sort().join(" ")}`);
    const format = "{{.Name}} {{.Image}} {{.Config.Image}}";
    say(`inspect: ${(await s.docker(["inspect", "-f", format, ...CONTAINERS])).trim()}`);
  } finally {
    await s.docker(["rm", "-f", ...CONTAINERS]).catch(() => "");
    await s.docker(["rmi", "mine:t2"]);
    await s.api("POST", "/images/prune");
  }
  return log;
}

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED = [
  "rmi -f mine:tag: Untagged: mine:tag\n",
  "list /c3: M M",
  "list /c4: busybox BB",
  "list /c5: M M",
  "list /i1: BB-short BB",
  "list /i2: BB BB",
  "list /r1: M M",
  "ps: c5 M-short\nr1 M-short\nc3 M-short\ni2 BB-short\ni1 BB-short\nc4 busybox",
  "df: BB BB-short M M M busybox",
  "inspect: /c3 M mine:tag\n/c4 BB busybox\n/c5 M mine:t2\n/r1 M mine:tag\n/i1 BB BB-short\n/i2 BB BB",
];

Deno.test({
  name: "ps image: a container's image name that no longer names its image lists as the ID",
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
  name: "ps image: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  try {
    assertEquals(await onDockerd(d, scenario), EXPECTED);
  } finally {
    await d.close();
  }
});
