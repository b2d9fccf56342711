// The single binary (`deno task compile` → dist/engine): every layer from one file. It is
// tested when it exists (ENGINE_BIN, dist/engine) or can be built (DENORT_BIN names Deno's
// runtime); `deno compile` otherwise downloads denort, which no test does: then it skips
// with that reason. `ENGINE_BIN=dist/engine deno task test` runs the whole suite against it.
import assert from "node:assert/strict";
import type { Requirement } from "../helpers/require.ts";
import { missing } from "../helpers/require.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const DIST = `${REPO}/dist/engine`;

const isFile = (p: string | undefined) => {
  try {
    return !!p && Deno.statSync(p).isFile;
  } catch {
    return false;
  }
};

/** The binary to test: ENGINE_BIN, dist/engine, or one scripts/compile can build here. */
function binary(): Requirement & { path: string; build: boolean } {
  const given = Deno.env.get("ENGINE_BIN");
  if (given) {
    const path = given.startsWith("/") ? given : `${Deno.cwd()}/${given}`;
    return { ok: isFile(path), reason: `ENGINE_BIN=${given}: no such file`, path, build: false };
  }
  if (isFile(DIST)) return { ok: true, reason: "", path: DIST, build: false };
  if (isFile(Deno.env.get("DENORT_BIN"))) return { ok: true, reason: "", path: DIST, build: true };
  return {
    ok: false,
    // Deno's runtime comes from its download server, which this machine does not reach.
    never: true,
    reason: "no compiled binary: dist/engine is absent and `deno compile` needs Deno's " +
      "runtime (denort), not downloadable here; build it with `deno task compile` where it " +
      "is reachable or with DENORT_BIN=/path/to/denort, then ENGINE_BIN=dist/engine deno task test",
    path: DIST,
    build: false,
  };
}

const bin = binary();

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(bin.path, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "the compiled binary runs every layer (CLI, daemon, runc, check, completion)",
  ignore: missing(bin),
  async fn() {
    if (bin.build) {
      const out = await new Deno.Command("bash", {
        args: [`${REPO}/scripts/compile`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    }
    const version = await run(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^engine version /);
    const runc = await run(["runc", "--version"]);
    assert.equal(runc.code, 0, runc.stderr);
    assert.match(runc.stdout, /runc version/);
    const help = await run(["--help"]);
    assert.match(help.stdout, /Usage:\s+engine \[OPTIONS\] COMMAND/);
    const dir = await Deno.makeTempDir({ prefix: "ecompile" });
    try {
      await Deno.writeTextFile(`${dir}/daemon.json`, '{"labels": ["a=1"]}');
      const validate = await run(["daemon", "--validate", "--config-file", `${dir}/daemon.json`]);
      assert.equal(validate.stdout, "configuration OK\n", validate.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const completion = await run(["__complete", "--", "ru"]);
    assert.match(completion.stdout, /^run\t/m);
    const check = await run(["check"]);
    assert.match(check.stdout + check.stderr, /kernel/i);
  },
});
