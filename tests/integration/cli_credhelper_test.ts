// Credential helpers in the CLI: config.json's credsStore and credHelpers run
// docker-credential-<name> (a small shell helper on PATH here, keeping its secrets in a temp
// dir). login stores through it, push and pull read through it, logout erases; the file
// keeps only an empty entry. The docker CLI shares the same config and helper.

import assert from "node:assert/strict";
import { CredentialHelper } from "../../src/cli/verbs/cred_helper.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import { HTPASSWD_BIN, REGISTRY_BIN, startRegistry } from "../helpers/registry.ts";
import { command, missing, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const DOCKER20 = "/usr/bin/docker";
const ignore = missing(root(), command(REGISTRY_BIN), command(HTPASSWD_BIN));

/** A docker-credential-<name> keeping one JSON file per server under $dir/store. */
const HELPER = `#!/bin/sh
store="$(dirname "$0")/../store"
mkdir -p "$store"
echo "$1" >> "$store/calls"
key() { printf %s "$1" | md5sum | cut -c1-32; }
case "$1" in
store)
  json=$(cat)
  url=$(printf %s "$json" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/')
  printf %s "$json" > "$store/$(key "$url").json" ;;
get)
  url=$(cat)
  f="$store/$(key "$url").json"
  if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase)
  url=$(cat)
  rm -f "$store/$(key "$url").json" ;;
list)
  printf '{'; sep=''
  for f in "$store"/*.json; do
    [ -f "$f" ] || continue
    u=$(sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/' "$f"); n=$(sed 's/.*"Username":"\\([^"]*\\)".*/\\1/' "$f")
    printf '%s"%s":"%s"' "$sep" "$u" "$n"; sep=','
  done
  printf '}\\n' ;;
*) echo "unknown action $1" >&2; exit 1 ;;
esac
`;

async function installHelper(dir: string, name: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(`${bin}/docker-credential-${name}`, HELPER, { mode: 0o755 });
  return bin;
}

Deno.test({ name: "cli credential helpers: the protocol", ignore }, async () => {
  await using dir = await tempDir();
  const bin = await installHelper(dir.path, "enginetest");
  const oldPath = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${bin}:${oldPath}`);
  try {
    const h = new CredentialHelper("enginetest");
    assert.equal(await h.get("reg.example:5000"), undefined);
    await h.store({ ServerURL: "reg.example:5000", Username: "alice", Secret: "s3cret" });
    assert.deepEqual(await h.get("reg.example:5000"), {
      ServerURL: "reg.example:5000",
      Username: "alice",
      Secret: "s3cret",
    });
    assert.deepEqual(await h.list(), { "reg.example:5000": "alice" });
    await h.erase("reg.example:5000");
    assert.equal(await h.get("reg.example:5000"), undefined);
    await assert.rejects(new CredentialHelper("absent").get("x"), /executable file not found/);
    assert.throws(() => new CredentialHelper("../x"), /invalid credential helper name/);
  } finally {
    Deno.env.set("PATH", oldPath);
  }
});

Deno.test({ name: "cli credential helpers: login, push, pull, logout", ignore }, async () => {
  await using dir = await tempDir();
  const bin = await installHelper(dir.path, "enginetest");
  await using reg = await startRegistry({ htpasswd: { alice: "s3cret" } });
  const R = reg.host;
  const d = await startDaemon();
  try {
    const home = `${dir.path}/home`;
    const cfgDir = `${home}/.docker`;
    await Deno.mkdir(cfgDir, { recursive: true });
    const cfgPath = `${cfgDir}/config.json`;
    const env = { HOME: home, PATH: `${bin}:${Deno.env.get("PATH")}`, DOCKER_HOST: d.host };
    const run = async (cmd: string, args: string[], stdin?: string) => {
      const p = new Deno.Command(cmd, {
        args,
        env,
        clearEnv: true,
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin !== undefined) {
        const w = p.stdin.getWriter();
        await w.write(new TextEncoder().encode(stdin));
        await w.close();
      }
      const out = await p.output();
      const dec = new TextDecoder();
      return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
    };
    const engine = (args: string[], stdin?: string) => run(ENGINE, args, stdin);
    const ok = async (args: string[], stdin?: string) => {
      const r = await engine(args, stdin);
      assert.equal(r.code, 0, `engine ${args.join(" ")}: ${r.err}`);
      return r.out;
    };
    const storeFiles = async () => {
      const out: string[] = [];
      for await (const e of Deno.readDir(`${dir.path}/store`)) {
        if (e.name.endsWith(".json")) out.push(e.name);
      }
      return out;
    };

    // credsStore: login stores through the helper; the file keeps an empty entry.
    await Deno.writeTextFile(cfgPath, JSON.stringify({ credsStore: "enginetest" }));
    assert.match(
      await ok(["login", "-u", "alice", "--password-stdin", R], "s3cret\n"),
      /Login Succeeded/,
    );
    const cfg = JSON.parse(await Deno.readTextFile(cfgPath));
    assert.deepEqual(cfg.auths, { [R]: {} });
    assert.equal(cfg.credsStore, "enginetest");
    assert.equal((await storeFiles()).length, 1);

    // push and pull read the credentials through the helper.
    await ok(["tag", "busybox", `${R}/cred/bb:1`]);
    assert.match(await ok(["push", `${R}/cred/bb:1`]), /digest: sha256:/);
    await ok(["rmi", `${R}/cred/bb:1`]);
    assert.match(await ok(["pull", `${R}/cred/bb:1`]), /Downloaded newer image/);
    assert.match(await Deno.readTextFile(`${dir.path}/store/calls`), /^store\nget\nget\n/);

    // The docker CLI reads the same helper.
    if (command(DOCKER20).ok) {
      await ok(["rmi", `${R}/cred/bb:1`]);
      const r = await run(DOCKER20, ["pull", `${R}/cred/bb:1`]);
      assert.equal(r.code, 0, r.err);
    }

    // logout erases in the helper and the file; then the registry refuses us.
    assert.match(await ok(["logout", R]), new RegExp(`Removing login credentials for ${R}`));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(cfgPath)).auths, {});
    assert.deepEqual(await storeFiles(), []);
    assert.match(await ok(["logout", R]), /Not logged in/);
    const denied = await engine(["push", `${R}/cred/bb:1`]);
    assert.notEqual(denied.code, 0);

    // credHelpers names the helper per registry, over credsStore.
    await Deno.writeTextFile(
      cfgPath,
      JSON.stringify({ credsStore: "absent", credHelpers: { [R]: "enginetest" } }),
    );
    await ok(["login", "-u", "alice", "--password-stdin", R], "s3cret\n");
    assert.match(await ok(["push", `${R}/cred/bb:1`]), /digest: sha256:/);
    assert.equal((await storeFiles()).length, 1);
    // run's implicit pull reads the credentials too.
    await ok(["rmi", `${R}/cred/bb:1`]);
    const ran = await engine(["run", "--rm", `${R}/cred/bb:1`, "echo", "pulled"]);
    assert.equal(ran.code, 0, ran.err);
    assert.equal(ran.out, "pulled\n");
    // An image of another registry goes to credsStore: a helper that is not installed.
    const other = await engine(["push", "127.0.0.1:1/x/y:1"]);
    assert.notEqual(other.code, 0);
    assert.match(other.err, /docker-credential-absent/);
  } finally {
    await d.close();
  }
});
