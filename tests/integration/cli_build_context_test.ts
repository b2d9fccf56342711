// engine build's request compared with the docker CLI 28's (legacy builder) for the same
// contexts: both talk to a recording server in this process, which answers like a daemon
// and keeps each POST /build's query, headers and tar entries (names, types, modes, owners,
// sizes, user names, bodies of the Dockerfile and .dockerignore).

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decompress } from "../../src/lib/tar/compression.ts";
import { readTar } from "../../src/lib/tar/tar_reader.ts";
import { command, missing } from "../helpers/require.ts";
import { ENGINE } from "../helpers/engine.ts";

const DOCKER28 = "/usr/local/bin/docker";
const ignore = missing(command(DOCKER28));

interface Recorded {
  query: string;
  headers: Record<string, string>;
  entries: string[];
}

const RANDOM = /\.dockerfile\.[0-9a-f]{20}/g;

async function record(req: Request): Promise<Recorded> {
  const entries: string[] = [];
  const dec = new TextDecoder();
  // docker 28 ends the tar right after the last file's data when the Dockerfile comes from
  // outside the context (no padding, no end blocks); dockerd and ours accept that
  const raw = new Uint8Array(
    await new Response(ReadableStream.from(decompress(req.body!))).arrayBuffer(),
  );
  const padded = new Uint8Array(Math.ceil(raw.length / 512) * 512);
  padded.set(raw);
  for await (const e of readTar(ReadableStream.from([padded]))) {
    const h = e.header;
    let text = "";
    for await (const c of e.body()) text += dec.decode(c, { stream: true });
    const shown = /(^|\/)(Dockerfile|\.dockerignore)$|^\.dockerfile\./.test(h.name) ? text : "";
    const line = `${h.name} ${h.type} ${h.mode.toString(8)} ${h.uid}:${h.gid} ${h.size} ` +
      `${h.uname}/${h.gname} ${JSON.stringify(shown)}`;
    entries.push(line.replace(RANDOM, ".dockerfile.R"));
  }
  const url = new URL(req.url);
  return {
    query: url.search.replace(RANDOM, ".dockerfile.R"),
    headers: {
      "content-type": req.headers.get("content-type") ?? "",
      "x-registry-config": req.headers.get("x-registry-config") ?? "",
    },
    entries,
  };
}

Deno.test({ name: "engine build sends what docker 28 sends", ignore }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-cli-ctx-" });
  const sock = `${dir}/fake.sock`;
  let last: Recorded | undefined;
  const server = Deno.serve({ path: sock, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/_ping") {
      return new Response("OK", { headers: { "Api-Version": "1.41", "Ostype": "linux" } });
    }
    if (!url.pathname.endsWith("/build")) return new Response("{}", { status: 404 });
    last = await record(req);
    const lines = ['{"stream":"Step 1/1 : FROM x"}', '{"stream":"\\n"}', '{"stream":"done\\n"}'];
    return new Response(lines.map((l) => l + "\r\n").join(""), {
      headers: { "Content-Type": "application/json" },
    });
  });
  const ctx = `${dir}/ctx`;
  const run = async (bin: string, args: string[], stdin?: Uint8Array) => {
    last = undefined;
    const p = new Deno.Command(bin, {
      args: ["build", ...args],
      cwd: ctx,
      env: {
        DOCKER_HOST: `unix://${sock}`,
        DOCKER_BUILDKIT: "0",
        DOCKER_CONFIG: `${dir}/config`,
      },
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin) {
      const w = p.stdin.getWriter();
      await w.write(stdin);
      await w.close();
    }
    const out = await p.output();
    const stdout = new TextDecoder().decode(out.stdout);
    return { code: out.code, stdout, recorded: last };
  };
  try {
    const files: Record<string, string> = {
      "Dockerfile": "FROM x\n",
      "a/1.go": "1",
      "a/b/2.go": "2",
      "a/b/keep.txt": "k",
      "c/keep.md": "k",
      "c/drop.md": "d",
      ".git/HEAD": "h",
      "node_modules/m/i.js": "i",
      "docs/README.md": "r",
      "sp ace": "s",
      "sub/Dockerfile.dev": "FROM y\n",
    };
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(`${ctx}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeTextFile(`${ctx}/${name}`, text);
    }
    await Deno.link(`${ctx}/a/1.go`, `${ctx}/hard.go`);
    await Deno.symlink("a/1.go", `${ctx}/link`);
    await Deno.writeTextFile(`${dir}/outside.Dockerfile`, "FROM z\n");
    const tar = new Deno.Command("tar", {
      args: ["-C", ctx, "-czf", "-", "Dockerfile", "a"],
      stdout: "piped",
    });
    const tgz = (await tar.output()).stdout;

    const cases: { ignore: string; args: string[]; stdin?: Uint8Array }[] = [
      { ignore: "", args: ["."] },
      {
        ignore: "**/*.go\n!a/b/2.go\nc\n!c/keep.md\n/Dockerfile\n.dockerignore\n ./sp*\n",
        args: ["."],
      },
      { ignore: "*\n!docs\n", args: ["-t", "x:1", "--build-arg", "A=1", "--label", "l=v", "."] },
      {
        ignore: "a/**\n!a/b\n.git\nnode_modules/\n",
        args: ["--no-cache", "--pull", "--force-rm", "."],
      },
      { ignore: "sub\n", args: ["-f", "sub/Dockerfile.dev", "--target", "t", "-q", "."] },
      { ignore: "*\n", args: ["-f", `${dir}/outside.Dockerfile`, "--rm=false", "."] },
      { ignore: "", args: ["-f", "-", "."], stdin: new TextEncoder().encode("FROM s\n") },
      { ignore: "", args: ["-"], stdin: new TextEncoder().encode("FROM t\n") },
      { ignore: "", args: ["-"], stdin: tgz },
    ];
    for (const c of cases) {
      await Deno.writeTextFile(`${ctx}/.dockerignore`, c.ignore);
      const theirs = await run(DOCKER28, c.args, c.stdin);
      const mine = await run(ENGINE, c.args, c.stdin);
      const label = `${JSON.stringify(c.ignore)} ${c.args.join(" ")}`;
      assertEquals([label, mine.code], [label, theirs.code]);
      // the "-" Dockerfile's mtime is "now" on both sides; everything else must match
      assertEquals([label, mine.recorded], [label, theirs.recorded]);
      // (docker's cut tar with a stdin or outside Dockerfile is smaller than our complete one)
      const size = (out: string) =>
        c.args[0] === "-f" && !c.args[1].startsWith("sub/")
          ? out.replace(/ +[\d.]+kB\r/, " N\r")
          : out;
      assertEquals([label, size(mine.stdout)], [label, size(theirs.stdout)]);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
