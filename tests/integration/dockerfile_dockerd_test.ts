// The Dockerfile parser and substitution compared live with Debian's dockerd (20.10, legacy
// builder): for each Dockerfile, dockerd's "Step N/M : …" lines or its error against ours;
// for each word, the image's User after `USER <word>` (or dockerd's error) against
// expandWord. Only FROM scratch and metadata steps: no image, no network needed.

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DOCKER, DOCKERD, startDockerd } from "../../scripts/lib/dockerd.ts";
import { expandWord, parseDockerfile } from "../../src/api/build/dockerfile/mod.ts";
import { command, missing, root } from "../helpers/require.ts";

const ignore = missing(root(), command(DOCKERD), command(DOCKER));

const DOCKERFILES = [
  "FROM scratch\n\nFORM x\n",
  "FROM scratch\n  run \\\n  echo   a\\\n\n  # x\n  b\n",
  "FROM scratch\nENV A\n",
  'FROM scratch\nLABEL a="b c" d\n',
  'FROM scratch\nCMD ["a", 1]\n',
  "FROM scratch\nCMD [ ] x\n",
  "FROM scratch\nONBUILD ONBUILD RUN x\n",
  "FROM scratch\nHEALTHCHECK --interval=1 CMD x\n",
  "FROM scratch\nHEALTHCHECK --retries=0 CMD x\n",
  "FROM scratch\nSTOPSIGNAL --x=y 9\n",
  "FROM scratch\nCOPY --from a /\n",
  "FROM scratch\nCOPY --link a b\n",
  "FROM scratch AS 1x\n",
  "ARG a\nENV x=y\nFROM scratch\n",
  "ARG V=1\nFROM scratch AS Base\nARG V\nLABEL v=$V\n",
  'FROM scratch\nVOLUME [" "]\n',
  "FROM scratch\nSHELL sh -c\n",
  "# escape=`\nFROM scratch\nRUN a \\\nRUN b `\n c\n",
  "# syntax=a\n# escape=`\nFROM scratch\nLABEL a=b`\n c=d\n",
  "# escape=x\nFROM scratch\n",
  "\\\nFROM scratch\n",
  "FROM scratch\nRUN echo \\\\\nRUN x\n",
  "FROM scratch\r\nRUN a \\\r\n b\r\n",
  "\uFEFFFROM scratch\n",
  "\n",
  "FROM scratch\nRUN --foo=bar true\n",
];

const WORDS = [
  "$A",
  "${A:-d}",
  "${N:-d}",
  "${E:+alt}",
  "${N?m}",
  "${E:?}",
  "${A-x}",
  "${A:x}",
  "${}",
  "'$A'",
  '"$A"',
  "\\$A",
  '"a\\"b"',
  "a\\\\b",
  "$12x",
  "${N:-${A:+z}}",
  '"unterminated',
];
const ENV = { A: "a", B: "x y", E: "" };

/** What the classic builder prints for a Dockerfile: its steps, or the error. */
function ours(text: string): string[] {
  try {
    const df = parseDockerfile(text);
    const all = [
      ...df.metaArgs.map((a) => a.original),
      ...df.stages.flatMap((s) => [s.original, ...s.instructions.map((i) => i.original)]),
    ];
    return all.map((o, i) => `Step ${i + 1}/${all.length} : ${o}`);
  } catch (e) {
    return [`ERR ${(e as Error).message}`];
  }
}

Deno.test({ name: "Dockerfile parsing and substitution as dockerd 20.10's", ignore }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-dfref-" });
  try {
    const ref = await startDockerd(dir);
    try {
      const ctx = `${dir}/ctx`;
      await Deno.mkdir(ctx);
      const build = async (text: string, args: string[] = []) => {
        await Deno.writeTextFile(`${ctx}/Dockerfile`, text);
        const out = await new Deno.Command(DOCKER, {
          args: ["build", ...args, ctx],
          env: { ...ref.env, DOCKER_BUILDKIT: "0" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dec = new TextDecoder();
        return { ok: out.success, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
      };
      for (const text of DOCKERFILES) {
        const r = await build(text);
        const theirs = r.err.startsWith("Error response from daemon: ")
          ? [`ERR ${r.err.slice("Error response from daemon: ".length).trim()}`]
          : [...r.out.matchAll(/Step \d+\/\d+ : [^\n]*/g)].map((m) => m[0]);
        let mine = ours(text);
        // a step that fails at dispatch (RUN on scratch) stops dockerd's output there
        if (!mine[0].startsWith("ERR")) mine = mine.slice(0, theirs.length);
        assertEquals([text, mine], [text, theirs]);
      }
      for (const word of WORDS) {
        const r = await build(`FROM scratch\nENV A=a B="x y" E=\nUSER ${word}\n`, ["-q"]);
        let theirs: string;
        if (r.ok) {
          const id = r.out.trim();
          theirs = JSON.parse(await ref.docker(["inspect", "-f", "{{json .Config.User}}", id]));
        } else theirs = `ERR ${r.err.trim().split("\n").at(-1)}`;
        let mine: string;
        try {
          mine = expandWord(word, ENV, "\\");
        } catch (e) {
          mine = `ERR ${(e as Error).message}`;
        }
        assertEquals([word, mine], [word, theirs]);
      }
    } finally {
      await ref.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
