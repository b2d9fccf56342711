// Adversarial review of the classic builder (SECURITY.md classes a, e): a build context or a
// stage that points COPY/ADD sources and destinations out of its root through symlinks, ADD
// of a local tar with "../", absolute and link-then-file entries, a Dockerfile named outside
// the context, a .dockerignore that is a FIFO. Each fails with a clear error or stays inside;
// the host's sentinel directory stays untouched.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { TypeFlag } from "../../src/lib/tar/tar_header.ts";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { dir, type Entry, file, hardlink, symlink, tarBytes } from "../helpers/layers.ts";

const DOCKER = "/usr/local/bin/docker";
const ignore = missing(root(), command(DOCKER));

function hostState(host: string): string[] {
  const out: string[] = [];
  for (const e of [...Deno.readDirSync(host)].sort((a, b) => a.name.localeCompare(b.name))) {
    const st = Deno.lstatSync(`${host}/${e.name}`);
    out.push(`${e.name} ${st.mode?.toString(8)}`);
    if (st.isFile) out.push(Deno.readTextFileSync(`${host}/${e.name}`));
  }
  return out;
}

/** POST /build with `entries` as the context; the build's output and its error, if any. */
async function build(d: TestDaemon, entries: Entry[], query = "t=br:1") {
  const tar = `${d.dir}/ctx.tar`;
  await Deno.writeFile(tar, await tarBytes(entries));
  const r = await d.curl([
    "-m",
    "60",
    "-X",
    "POST",
    "-H",
    "Content-Type: application/x-tar",
    "--data-binary",
    `@${tar}`,
    `http://127.0.0.1/v1.47/build?${query}`,
  ]);
  const lines = r.body.trim().split("\n").filter(Boolean).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return { error: l };
    }
  });
  const error = lines.find((l) => l.error || l.message)?.error ??
    lines.find((l) => l.message)?.message;
  const out = lines.map((l) => l.stream ?? "").join("");
  return { status: r.status, error: error as string | undefined, out };
}

Deno.test(
  { name: "breakout review: COPY, ADD and the Dockerfile through links out", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const host = `${d.dir}/host`;
      await Deno.mkdir(host);
      await Deno.writeTextFile(`${host}/sentinel`, "host secret\n");
      const before = hostState(host);
      const up = "../".repeat(12) + host.slice(1);
      const df = (text: string) => file("Dockerfile", text);

      // Context links out: the source resolves inside the context, where nothing is.
      for (const src of ["abs/sentinel", "rel/sentinel", "fileabs", "filerel"]) {
        const r = await build(d, [
          df(`FROM busybox\nCOPY ${src} /x\n`),
          symlink("abs", host),
          symlink("rel", up),
          symlink("fileabs", `${host}/sentinel`),
          symlink("filerel", `${up}/sentinel`),
        ]);
        assert(/file does not exist|not found/.test(r.error ?? ""), `${src}: ${r.error} ${r.out}`);
      }
      // The Dockerfile named outside the context, or a link out.
      for (const name of ["../../../../etc/passwd", `${host}/sentinel`, "dfl"]) {
        const r = await build(
          d,
          [df("FROM busybox\n"), symlink("dfl", `${host}/sentinel`)],
          `dockerfile=${encodeURIComponent(name)}`,
        );
        assert(
          r.status >= 400 &&
            /Cannot locate specified Dockerfile|outside|forbidden/.test(r.error ?? ""),
          `${name}: ${r.status} ${r.error}`,
        );
      }

      // COPY --from a stage whose paths are links out: resolved inside the stage's root (a
      // link whose target is missing there is copied as the link), never the host's file.
      let r: Awaited<ReturnType<typeof build>>;
      for (const src of ["/s1", `/s2${host}/sentinel`, "/s3/sentinel", "/s4/"]) {
        r = await build(d, [
          df(
            "FROM busybox AS s\n" +
              `RUN ln -s ${host}/sentinel /s1; ln -s / /s2; ln -s ${up} /s3; ln -s ${host} /s4\n` +
              `FROM busybox\nCOPY --from=s ${src} /x/\nRUN cat /x/* || true\n`,
          ),
        ]);
        assert(!r.out.includes("host secret"), `${src}: ${r.out}`);
        assert(r.error === undefined || /file does not exist|not found/.test(r.error), r.error);
      }
      // Destinations that are links out in the image: written inside its root.
      r = await build(d, [
        df(
          "FROM busybox\n" +
            `RUN mkdir -p ${host}; ln -s ${host} /d1; ln -s ${up} /d2; ln -s ${host}/sentinel /d3\n` +
            "COPY f /d1/\nCOPY f /d2/g\nCOPY f /d3\nADD t.tar /d1/\n" +
            // A dangling /d3 is replaced by the file (Docker writes where it leads, inside).
            `RUN cat ${host}/f ${host}/g /d3 ${host}/in-tar\n`,
        ),
        file("f", "from context\n"),
        file("t.tar", await tarBytes([file("in-tar", "from tar\n")])),
      ]);
      assertEquals(r.error, undefined, r.out);
      assert(r.out.includes("from context\nfrom context\nfrom context\nfrom tar\n"), r.out);
      assertEquals(hostState(host), before);
      // A dangling link as the destination's parent: refused (Docker makes it inside).
      r = await build(d, [
        df(`FROM busybox\nRUN ln -s ${host}/nope /d4\nCOPY f /d4/\nRUN cat ${host}/nope/f\n`),
        file("f", "from context\n"),
      ]);
      assert(r.error === undefined || /EEXIST/.test(r.error), r.error);
      assertEquals(hostState(host), before);

      // ADD of a local tar with hostile entries: refused, nothing written.
      for (
        const entries of [
          [file(`${"../".repeat(12)}${host.slice(1)}/evil`, "evil\n")],
          [file(`${host}/evil2`, "evil\n")],
          [symlink("l", host), file("l/evil3", "evil\n")],
          [dir("dd"), symlink("dd/l", "/"), file(`dd/l${host}/evil4`, "evil\n")],
          [hardlink("h", `${"../".repeat(12)}${host.slice(1)}/sentinel`)],
        ] as Entry[][]
      ) {
        r = await build(d, [
          df("FROM busybox\nADD t.tar /x/\n"),
          file("t.tar", await tarBytes(entries)),
        ]);
        assert(r.error, `${JSON.stringify(entries.map((e) => e[0].name))}: ${r.out}`);
      }
      assertEquals(hostState(host), before);
    } finally {
      await d.close();
    }
  },
);

Deno.test({ name: "breakout review: FIFOs in the build context", ignore }, async () => {
  const d = await startDaemon();
  try {
    const fifo = (name: string): Entry => [{ name, type: TypeFlag.fifo, mode: 0o644 }];
    // .dockerignore, the Dockerfile and a COPY source as FIFOs nobody writes.
    let r = await build(d, [file("Dockerfile", "FROM busybox\n"), fifo(".dockerignore")]);
    assert(r.status === 200 || r.status >= 400, `${r.status}`);
    r = await build(d, [fifo("Dockerfile")]);
    assert(/not a regular file/.test(r.error ?? ""), `${r.error}`);
    r = await build(d, [
      file("Dockerfile", "FROM busybox\nCOPY p /p\nRUN test -p /p\n"),
      fifo("p"),
    ]);
    assertEquals(r.error, undefined, r.out);
    const ping = await d.curl(["-m", "5", "http://127.0.0.1/_ping"]);
    assertEquals(ping.body, "OK");
  } finally {
    await d.close();
  }
});
