// Images with children and image sizes, as Debian's dockerd (20.10, overlay2, legacy
// builder) answers them: one scenario driven through the docker CLI and the API, its
// transcript (IDs replaced by names) checked against what dockerd answered, and where
// dockerd is installed, run on a private dockerd too and compared line by line.
// Untagging a parent keeps it (<none>:<none>, shown with -a); deleting it by ID is a 409
// even forced; the child takes it along, each image followed by its released layers
// (chain ids); a running container keeps its image untagged; prune takes heads and then
// their parents; prune -a untags until a container's conflict. Sizes are dockerd's diff sizes: the bytes of a layer's files.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD, startDockerd } from "../../scripts/lib/dockerd.ts";
import { chainIDs } from "../../src/containerd/snapshots/chain.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { command, missing, root } from "../helpers/require.ts";

interface Side {
  /** The docker CLI (legacy builder) on this daemon: stdout, failing on a non-zero exit. */
  docker(args: string[]): Promise<string>;
  /** An API call: "<status> <body>". */
  api(method: string, path: string): Promise<string>;
}

const dec = new TextDecoder();

function side(host: string, socket: string, config: string): Side {
  return {
    async docker(args) {
      const out = await new Deno.Command(DOCKER, {
        args,
        env: { DOCKER_BUILDKIT: "0", DOCKER_HOST: host, DOCKER_CONFIG: config },
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(`docker ${args.join(" ")}: ${dec.decode(out.stderr)}`);
      return dec.decode(out.stdout);
    },
    async api(method, path) {
      const out = await new Deno.Command("curl", {
        args: ["-s", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}"].concat(
          `http://127.0.0.1/v1.41${path}`,
        ),
        stdout: "piped",
      }).output();
      const text = dec.decode(out.stdout);
      const i = text.lastIndexOf("\n");
      return `${text.slice(i + 1)} ${text.slice(0, i).trim()}`;
    },
  };
}

const SIZES_DOCKERFILE = [
  "FROM busybox",
  "RUN echo hello > /hello && mkdir -p /d/e && ln -s /hello /d/link && " +
  "head -c 10000 /bin/busybox > /big",
  "COPY a.txt /a.txt",
  "COPY dir /dir",
  "ENV X=1",
  "RUN rm /hello && chmod 600 /big",
  "RUN rm -rf /d && echo x >> /a.txt",
].join("\n") + "\n";

async function writeContexts(dir: string) {
  const files: Record<string, string> = {
    "base/Dockerfile": "FROM busybox\nRUN echo base > /base\n",
    "child/Dockerfile": "FROM base\nRUN echo child > /child\n",
    "c2/Dockerfile": "FROM loaded\nRUN echo c2 > /c2\n",
    "sz/Dockerfile": SIZES_DOCKERFILE,
    "sz/a.txt": "a".repeat(5000),
    "sz/dir/sub/b.txt": "bb\n",
  };
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

/** The scenario on one daemon: its transcript, IDs (full or short) replaced by names. */
async function scenario(s: Side, ctx: string): Promise<string[]> {
  const names = new Map<string, string>();
  const log: string[] = [];
  const named = (line: string) => {
    for (const [id, name] of names) {
      line = line.replaceAll(id, name).replaceAll(id.slice(7, 19), name);
    }
    return line;
  };
  const say = (line: string) => log.push(named(line));
  const inspect = async (ref: string) => JSON.parse(await s.docker(["inspect", ref]))[0];
  /** Names an image and its layers' chain ids: NAME, NAME/L0, NAME/L1, … */
  const learn = async (ref: string, name: string) => {
    const img = await inspect(ref);
    names.set(img.Id, name);
    chainIDs(img.RootFS.Layers).forEach((c, i) => {
      if (!names.has(c)) names.set(c, `${name}/L${i}`);
    });
  };
  const images = async (...args: string[]) =>
    (await s.docker(["images", ...args, "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]))
      .split("\n").filter((l) => l).map(named).sort().join(", ");
  const step = async (what: string, p: Promise<string>) => say(`${what}: ${await p}`);

  await learn("busybox", "BB");
  for (const name of ["base", "child"]) {
    await s.docker(["build", "-q", "-t", name, `${ctx}/${name}`]);
    await learn(name, name.toUpperCase());
  }
  const base = (await inspect("base")).Id.slice(7, 19);
  await step("rmi base-id", s.api("DELETE", `/images/${base}`));
  await step("rmi -f base-id", s.api("DELETE", `/images/${base}?force=1`));
  await step("rmi base", s.api("DELETE", "/images/base"));
  await step("images", images());
  await step("images -a", images("-a"));
  await step("images dangling", images("-f", "dangling=true"));
  await step("images -a dangling", images("-a", "-f", "dangling=true"));
  await step("prune", s.api("POST", "/images/prune"));
  const kept = await inspect(base);
  say(`kept: ${JSON.stringify([kept.RepoTags, kept.RepoDigests, kept.Parent, kept.Size])}`);
  await step("rmi base-id again", s.api("DELETE", `/images/${base}?force=1`));
  const history = JSON.parse((await s.api("GET", "/images/child/history")).slice(4));
  say(
    `history child: ${
      JSON.stringify(history.map((h: { Id: string; Size: number }) => [h.Id, h.Size]))
    }`,
  );
  say(`size child: ${(await inspect("child")).Size}`);
  await step("rmi child", s.api("DELETE", "/images/child"));
  await step("images -a", images("-a"));

  // Sizes: every layer's diff size (its files' bytes), the image's their sum.
  await s.docker(["build", "-q", "-t", "sz", `${ctx}/sz`]);
  const sz = JSON.parse((await s.api("GET", "/images/sz/history")).slice(4));
  say(`history sz: ${JSON.stringify(sz.map((h: { Size: number }) => h.Size))}`);
  const img = await inspect("sz");
  say(`size sz: ${img.Size} ${img.VirtualSize}`);
  const listed = JSON.parse((await s.api("GET", "/images/json")).slice(4));
  say(`listed sizes: ${JSON.stringify(listed.map((i: { Size: number }) => i.Size).sort())}`);
  await s.docker(["rmi", "sz"]);

  // prune -a deletes by each name, in order, up to the conflict with a stopped container.
  for (const t of ["t1", "t2:x", "other"]) await s.docker(["tag", "busybox", t]);
  const stopped = (await s.docker(["create", "--network", "none", "t1", "true"])).trim();
  await step(
    "prune -a",
    s.api("POST", `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`),
  );
  await step("images -a", images("-a"));
  await s.docker(["rm", stopped]);
  await s.docker(["tag", "t2:x", "busybox"]);
  await s.docker(["rmi", "t2:x"]);

  // A parent without a build record of its own (loaded) loses its last tag; a running
  // container keeps its image untagged; prune takes the head, then the parent.
  await s.docker(["tag", "busybox", "loaded"]);
  await s.docker(["build", "-q", "-t", "c2", `${ctx}/c2`]);
  await learn("c2", "C2");
  await step("rmi busybox", s.api("DELETE", "/images/busybox"));
  await step("rmi loaded", s.api("DELETE", "/images/loaded"));
  await step("images -a", images("-a"));
  await step("run c2", s.docker(["run", "--rm", "--network", "none", "c2", "cat", "/c2"]));
  const ctr = (await s.docker(["run", "-d", "--network", "none", "c2", "sleep", "1000"])).trim();
  names.set(`sha256:${ctr}`, "CTR");
  try {
    await step("rmi c2", s.api("DELETE", "/images/c2"));
    await step("rmi -f c2", s.api("DELETE", "/images/c2?force=1"));
    await step("images -a", images("-a"));
    await step("rmi -f c2-id", s.api("DELETE", `/images/${(await inspect(ctr)).Image}?force=1`));
  } finally {
    await s.docker(["rm", "-f", ctr]);
  }
  await step("prune", s.api("POST", "/images/prune"));
  await step("images -a", images("-a"));
  return log;
}

const CHILDREN = "(cannot be forced) - image has dependent child images";

/** dockerd 20.10's answers (see the side-by-side test). */
const EXPECTED = [
  `rmi base-id: 409 {"message":"conflict: unable to delete BASE ${CHILDREN}"}`,
  `rmi -f base-id: 409 {"message":"conflict: unable to delete BASE ${CHILDREN}"}`,
  'rmi base: 200 [{"Untagged":"base:latest"}]',
  "images: busybox:latest BB, child:latest CHILD",
  "images -a: <none>:<none> BASE, busybox:latest BB, child:latest CHILD",
  "images dangling: ",
  "images -a dangling: ",
  'prune: 200 {"ImagesDeleted":null,"SpaceReclaimed":0}',
  'kept: [[],[],"BB",1984246]',
  `rmi base-id again: 409 {"message":"conflict: unable to delete BASE ${CHILDREN}"}`,
  'history child: [["CHILD",6],["BASE",5],["BB",1984241]]',
  "size child: 1984252",
  'rmi child: 200 [{"Untagged":"child:latest"},{"Deleted":"CHILD"},{"Deleted":"CHILD/L2"},' +
  '{"Deleted":"BASE"},{"Deleted":"BASE/L1"}]',
  "images -a: busybox:latest BB",
  "history sz: [5002,10000,0,3,5000,10012,1984241]",
  "size sz: 2014258 2014258",
  "listed sizes: [1984241,2014258]",
  'prune -a: 200 {"ImagesDeleted":[{"Untagged":"busybox:latest"},{"Untagged":"other:latest"},' +
  '{"Untagged":"t1:latest"}],"SpaceReclaimed":0}',
  "images -a: t2:x BB",
  'rmi busybox: 200 [{"Untagged":"busybox:latest"}]',
  'rmi loaded: 200 [{"Untagged":"loaded:latest"}]',
  "images -a: <none>:<none> BB, c2:latest C2",
  "run c2: c2\n",
  'rmi c2: 409 {"message":"conflict: unable to remove repository reference \\"c2\\" ' +
  '(must force) - container CTR is using its referenced image C2"}',
  'rmi -f c2: 200 [{"Untagged":"c2:latest"}]',
  "images -a: <none>:<none> BB, <none>:<none> C2",
  'rmi -f c2-id: 409 {"message":"conflict: unable to delete C2 (cannot be forced) - ' +
  'image is being used by running container CTR"}',
  'prune: 200 {"ImagesDeleted":[{"Deleted":"C2"},{"Deleted":"C2/L1"},{"Deleted":"BB"},' +
  '{"Deleted":"BB/L0"}],"SpaceReclaimed":1984244}',
  "images -a: ",
];

Deno.test({
  name: "image parents and sizes: untag keeps a parent, rmi by ID refused, sizes as dockerd's",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    await writeContexts(`${d.dir}/ctx`);
    const ours = await scenario(
      side(d.host, d.socket, `${d.dir}/dockercfg`),
      `${d.dir}/ctx`,
    );
    assertEquals(ours, EXPECTED);
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "image parents and sizes: the same transcript from Debian's dockerd",
  ignore: missing(root(), command(DOCKER), command(DOCKERD)),
}, async () => {
  const d = await startDaemon();
  const refDir = await Deno.makeTempDir({ prefix: "img-parent-dockerd-" });
  try {
    const ref = await startDockerd(refDir);
    try {
      await writeContexts(`${refDir}/ctx`);
      await d.docker(DOCKER, ["save", "-o", `${refDir}/bb.tar`, "busybox:latest"]);
      await ref.docker(["load", "-i", `${refDir}/bb.tar`]);
      const theirs = await scenario(
        side(ref.env.DOCKER_HOST, `${refDir}/docker.sock`, `${refDir}/client`),
        `${refDir}/ctx`,
      );
      assertEquals(theirs, EXPECTED);
    } finally {
      await ref.close();
    }
  } finally {
    await Deno.remove(refDir, { recursive: true }).catch(() => {});
    await d.close();
  }
});
