// `engine completion bash|zsh|fish`: the scripts parse, and completing through them gives
// the command table's verbs and flags and the daemon's container and image names. Bash is
// driven as readline drives it (COMP_LINE/COMP_POINT/COMP_WORDS split at = and :).
import assert from "node:assert/strict";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import { command, missing, root } from "../helpers/require.ts";

const dec = new TextDecoder();

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function script(shell: string): Promise<string> {
  const r = await run(ENGINE, ["completion", shell]);
  assert.equal(r.code, 0, r.stderr);
  const path = await Deno.makeTempFile({ suffix: `.${shell}` });
  await Deno.writeTextFile(path, r.stdout);
  return path;
}

const DRIVE = `
source "$1"
COMP_LINE=$2
COMP_POINT=\${#COMP_LINE}
IFS=$' \\t\\n' read -ra COMP_WORDS <<<"$(sed 's/\\([=:]\\)/ \\1 /g' <<<"$COMP_LINE")"
[[ $COMP_LINE == *[[:space:]] || $COMP_LINE == *[=:] ]] && COMP_WORDS+=("")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_engine
printf '%s\\n' "\${COMPREPLY[@]}"
`;

/** What bash puts in COMPREPLY for the line typed so far. */
async function bashComplete(file: string, line: string, env: Record<string, string> = {}) {
  const r = await run("bash", ["-c", DRIVE, "drive", file, line], env);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

Deno.test("completion scripts parse (bash -n, zsh -n, fish -n)", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const file = await script(shell);
    try {
      if (shell !== "bash" && missing(command(`/usr/bin/${shell}`))) continue;
      const r = await run(`/usr/bin/${shell}`, ["-n", file]);
      assert.equal(r.code, 0, `${shell}: ${r.stderr}`);
    } finally {
      await Deno.remove(file);
    }
  }
  const bad = await run(ENGINE, ["completion", "tcsh"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unsupported shell "tcsh"/);
});

Deno.test("bash completion: verbs, groups, flags and flag values from the command table", async () => {
  const file = await script("bash");
  try {
    assert.deepEqual(await bashComplete(file, `${ENGINE} ru`), ["run", "runc"]);
    const flags = await bashComplete(file, `${ENGINE} run --rm -`);
    for (const f of ["--rm", "--name", "-e", "--env", "-d", "--detach", "--network", "-v"]) {
      assert.ok(flags.includes(f), `${f} in ${flags.join(" ")}`);
    }
    assert.deepEqual(await bashComplete(file, `${ENGINE} run --rm --netw`), [
      "--network",
      "--network-alias",
    ]);
    assert.ok((await bashComplete(file, `${ENGINE} container `)).includes("ls"));
    assert.deepEqual(await bashComplete(file, `${ENGINE} run --restart=on`), ["on-failure"]);
    assert.deepEqual(await bashComplete(file, `${ENGINE} run --restart un`), ["unless-stopped"]);
    assert.deepEqual(await bashComplete(file, `${ENGINE} completion `), ["bash", "zsh", "fish"]);
    assert.deepEqual(await bashComplete(file, `${ENGINE} --log-l`), ["--log-level"]);
    assert.deepEqual(await bashComplete(file, `${ENGINE} daemon --live-`), ["--live-restore"]);
  } finally {
    await Deno.remove(file);
  }
});

// zsh through a pseudo-terminal (zsh/zpty): TAB twice lists the candidates with their help.
const ZSH_DRIVE = `
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; PATH=$1:\\$PATH; autoload -U compinit; compinit -u; source $2"
zpty -w -n z $'engine run --rm --netw\\t\\t'
local all= chunk
integer i
for (( i = 0; i < 200; i++ )); do
  zpty -r -t z chunk && all+=$chunk
  [[ $all == *network-alias*Add* ]] && break
  sleep 0.1
done
zpty -d z
print -r -- "$all"
`;

Deno.test({
  name: "zsh completion: flags with their help, through a pseudo-terminal",
  ignore: missing(command("/usr/bin/zsh")),
  async fn() {
    const file = await script("zsh");
    const bin = await Deno.makeTempDir({ prefix: "ecompl" });
    try {
      await Deno.symlink(ENGINE, `${bin}/engine`);
      const r = await run("/usr/bin/zsh", ["-f", "-c", ZSH_DRIVE, "drive", bin, file]);
      // The terminal's escape sequences out.
      // deno-lint-ignore no-control-regex
      const text = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
      assert.match(text, /engine run --rm --network/, text);
      assert.match(text, /--network-alias\s+-- Add network-scoped alias for the container/, text);
    } finally {
      await Deno.remove(bin, { recursive: true });
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "completion: container and image names from the daemon (bash, fish)",
  ignore: missing(root()),
  async fn() {
    const d = await startDaemon();
    const file = await script("bash");
    try {
      const created = await d.curl([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        JSON.stringify({ Image: "busybox", Cmd: ["true"] }),
        "http://127.0.0.1/v1.47/containers/create?name=compl-one",
      ]);
      assert.equal(created.status, 201, created.body);
      assert.deepEqual(await bashComplete(file, `${ENGINE} -H ${d.host} stop compl`), [
        "compl-one",
      ]);
      // DOCKER_HOST as well as -H; a management command's positional.
      assert.deepEqual(
        await bashComplete(file, `${ENGINE} container rm co`, { DOCKER_HOST: d.host }),
        ["compl-one"],
      );
      // An image reference: readline replaces only what follows the ':'.
      assert.deepEqual(await bashComplete(file, `${ENGINE} -H ${d.host} run --rm busy`), [
        "busybox:latest",
      ]);
      assert.deepEqual(await bashComplete(file, `${ENGINE} -H ${d.host} run busybox:`), [
        "latest",
      ]);
      if (!missing(command("/usr/bin/fish"))) {
        const fish = await script("fish");
        const bin = await Deno.makeTempDir({ prefix: "ecompl" });
        try {
          await Deno.symlink(ENGINE, `${bin}/engine`);
          const r = await run("/usr/bin/fish", [
            "-c",
            `source ${fish}; complete -C "engine stop compl"; complete -C "engine ru"`,
          ], { PATH: `${bin}:${Deno.env.get("PATH")}`, DOCKER_HOST: d.host });
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split("\t")[0]), [
            "compl-one",
            "run",
            "runc",
          ]);
        } finally {
          await Deno.remove(bin, { recursive: true });
          await Deno.remove(fish);
        }
      }
    } finally {
      await Deno.remove(file);
      await d.close();
    }
  },
});
