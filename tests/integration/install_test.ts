// scripts/install into a scratch root (DESTDIR): what it installs, that the launcher runs,
// that the systemd units pass `systemd-analyze verify`, and that --uninstall leaves the
// root exactly as it was.
import assert from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const INSTALL = `${REPO}/scripts/install`;
const UNITS = ["engine-containerd.service", "engine.service"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function install(destdir: string, ...args: string[]): Promise<Run> {
  return run("bash", [INSTALL, ...args], { DESTDIR: destdir });
}

async function expectOk(r: Promise<Run>): Promise<Run> {
  const res = await r;
  assert.equal(res.code, 0, `exit ${res.code}\n${res.stdout}\n${res.stderr}`);
  return res;
}

/** Every path under `dir` (relative), with its type, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string) {
    for await (const e of Deno.readDir(`${dir}${rel}`)) {
      const p = `${rel}/${e.name}`;
      out.push(`${e.isDirectory ? "d" : e.isSymlink ? "l" : "f"} ${p}`);
      if (e.isDirectory) await walk(p);
    }
  }
  await walk("");
  return out.sort();
}

async function withRoot(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "einst" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/**
 * Each installed layer bundle is one main.ts will load: every source it records has that size
 * and mtime in the installed tree (main.ts's currentBundle rule).
 */
async function assertBundlesCurrent(lib: string) {
  for (const layer of ["runc", "shim", "cli", "containerd", "daemon"]) {
    const manifest = `${lib}/libnsenter/build/${layer}.bundle.json`;
    assert.ok(await exists(`${lib}/libnsenter/build/${layer}.bundle.js`), `${layer} bundle`);
    const { sources } = JSON.parse(await Deno.readTextFile(manifest));
    assert.ok(sources.length > 0, manifest);
    for (const [path, size, mtime] of sources as [string, number, number][]) {
      const st = await Deno.stat(`${lib}/${path}`);
      assert.deepEqual([st.size, st.mtime?.getTime()], [size, mtime], `${layer}: ${path}`);
    }
  }
}

const launcherReqs = () => [
  command("/usr/local/bin/deno"),
  command(`${REPO}/libnsenter/build/embedded.ts`),
];

Deno.test({
  name: "install (launcher, units, daemon.json, docker socket) then uninstall leaves nothing",
  ignore: missing(...launcherReqs()),
  async fn() {
    await withRoot(async (dest) => {
      await Deno.mkdir(`${dest}/home/user`, { recursive: true });
      const before = await tree(dest);
      await expectOk(install(dest, "--docker-socket"));

      const bin = `${dest}/usr/local/bin/engine`;
      assert.match(await Deno.readTextFile(bin), /--cached-only --no-check/);
      assert.match(
        await Deno.readTextFile(`${dest}/usr/share/bash-completion/completions/engine`),
        /complete -F _engine engine/,
      );
      assert.ok(await exists(`${dest}/usr/share/zsh/vendor-completions/_engine`));
      assert.ok(await exists(`${dest}/usr/share/fish/vendor_completions.d/engine.fish`));
      assert.ok((await Deno.stat(bin)).mode! & 0o100, "launcher is executable");
      for (
        const f of ["deno", "main.ts", "deno.json", "deno.lock", "libnsenter/build/embedded.ts"]
      ) {
        assert.ok(await exists(`${dest}/usr/local/lib/engine/${f}`), f);
      }
      assert.ok(await exists(`${dest}/usr/local/lib/engine/src/check/main.ts`));
      await assertBundlesCurrent(`${dest}/usr/local/lib/engine`);
      for (const u of UNITS) assert.ok(await exists(`${dest}/etc/systemd/system/${u}`), u);
      const conf = JSON.parse(await Deno.readTextFile(`${dest}/etc/engine/daemon.json`));
      assert.deepEqual(conf, {
        "data-root": "/var/lib/engine",
        "log-driver": "json-file",
        "log-opts": { "max-size": "10m", "max-file": "3" },
      });
      assert.equal(await Deno.readLink(`${dest}/var/run/docker.sock`), "/run/engine/engine.sock");
      // The unit's flags and the default daemon.json go together (no directive in both).
      const unit = await Deno.readTextFile(`${dest}/etc/systemd/system/engine.service`);
      const flags = /^ExecStart=\S+ daemon(.*)$/m.exec(unit)![1].trim().split(/\s+/);
      const validate = await run(bin, [
        "daemon",
        ...flags,
        "--validate",
        "--config-file",
        `${dest}/etc/engine/daemon.json`,
      ]);
      assert.equal(validate.stdout, "configuration OK\n", validate.stderr);

      // The launcher runs the installed source with the installed Deno and npm packages
      // (containerd imports zod and hono), from its own Deno cache.
      const help = await run(bin, ["containerd", "--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /engine containerd/);

      await expectOk(install(dest, "--uninstall"));
      assert.deepEqual(await tree(dest), before);
    });
  },
});

Deno.test({
  name: "install --binary, reinstall over it, uninstall leaves nothing; refuses foreign files",
  async fn() {
    await withRoot(async (dest) => {
      const bin = `${dest}/engine-binary`;
      await Deno.writeTextFile(bin, "#!/bin/sh\necho compiled engine\n");
      const before = await tree(dest);
      await expectOk(install(dest, "--binary", bin, "--unit-dir", "/lib/systemd/system"));
      assert.equal(
        await Deno.readTextFile(`${dest}/usr/local/bin/engine`),
        await Deno.readTextFile(bin),
      );
      assert.ok(!(await exists(`${dest}/usr/local/lib/engine/deno`)), "no launcher files");
      for (const u of UNITS) assert.ok(await exists(`${dest}/lib/systemd/system/${u}`), u);
      // A second install replaces the first (its manifest says what to remove).
      await expectOk(install(dest, "--binary", bin, "--unit-dir", "/lib/systemd/system"));
      await expectOk(install(dest, "--uninstall"));
      assert.deepEqual(await tree(dest), before);

      // A file this script did not install is never overwritten (nor removed later).
      await Deno.mkdir(`${dest}/usr/local/bin`, { recursive: true });
      await Deno.writeTextFile(`${dest}/usr/local/bin/engine`, "someone else's\n");
      const refused = await install(dest, "--binary", bin);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /exists and was not installed by this script/);
      assert.equal(await Deno.readTextFile(`${dest}/usr/local/bin/engine`), "someone else's\n");
      assert.ok(!(await exists(`${dest}/usr/local/lib/engine`)), "the failed run rolled back");
    });
  },
});

Deno.test({
  name: "install: an existing daemon.json is kept; an edited one survives uninstall; --purge",
  async fn() {
    await withRoot(async (dest) => {
      const bin = `${dest}/engine-binary`;
      await Deno.writeTextFile(bin, "#!/bin/sh\n");
      // Existing configuration: neither replaced nor removed.
      await Deno.mkdir(`${dest}/etc/engine`, { recursive: true });
      await Deno.writeTextFile(`${dest}/etc/engine/daemon.json`, '{"debug": true}\n');
      await expectOk(install(dest, "--binary", bin));
      await expectOk(install(dest, "--uninstall"));
      assert.equal(await Deno.readTextFile(`${dest}/etc/engine/daemon.json`), '{"debug": true}\n');
      await Deno.remove(`${dest}/etc`, { recursive: true });

      // Ours, edited after install: kept by --uninstall, removed by --uninstall --purge,
      // which also removes the data root.
      const before = await tree(dest);
      await expectOk(install(dest, "--binary", bin));
      await Deno.writeTextFile(`${dest}/etc/engine/daemon.json`, '{"debug": false}\n');
      await Deno.mkdir(`${dest}/var/lib/engine/containers`, { recursive: true });
      const kept = await expectOk(install(dest, "--uninstall"));
      assert.match(kept.stdout, /keeping .*daemon.json: edited since install/);
      assert.ok(await exists(`${dest}/etc/engine/daemon.json`));
      assert.ok(await exists(`${dest}/var/lib/engine/containers`), "data is left alone");
      await expectOk(install(dest, "--binary", bin));
      await expectOk(install(dest, "--uninstall", "--purge"));
      assert.ok(!(await exists(`${dest}/var/lib/engine`)));
      assert.ok(!(await exists(`${dest}/etc/engine`)));
      await Deno.remove(`${dest}/var`, { recursive: true }); // made by the test, not the script
      assert.deepEqual(await tree(dest), before);
    });
  },
});

Deno.test({
  name: "install --with-docker-group into a root with /etc/group; uninstall removes the group",
  ignore: missing(root(), command("/usr/sbin/groupadd")),
  async fn() {
    await withRoot(async (dest) => {
      const bin = `${dest}/engine-binary`;
      await Deno.writeTextFile(bin, "#!/bin/sh\n");
      await Deno.mkdir(`${dest}/etc`);
      await Deno.writeTextFile(`${dest}/etc/group`, "root:x:0:\n");
      await expectOk(install(dest, "--binary", bin, "--with-docker-group"));
      assert.match(await Deno.readTextFile(`${dest}/etc/group`), /^docker:x:\d+:$/m);
      await expectOk(install(dest, "--uninstall"));
      assert.equal(await Deno.readTextFile(`${dest}/etc/group`), "root:x:0:\n");
    });
  },
});

/**
 * `systemd-analyze verify --root=` checks units against the root: the commands they run
 * (/usr/local/bin/engine: the launcher as installed, /bin/sh, /bin/rm, /bin/kill copied from the host)
 * and the units they name (the host's unit directory, copied).
 */
async function verifyRoot(dest: string, unitDir: string): Promise<Run> {
  await expectOk(install(dest, "--unit-dir", unitDir));
  for (const d of ["usr/bin", "usr/lib/systemd"]) {
    await Deno.mkdir(`${dest}/${d}`, { recursive: true });
  }
  await Deno.symlink("usr/bin", `${dest}/bin`);
  for (const b of ["sh", "rm", "kill"]) {
    await Deno.copyFile(await Deno.realPath(`/bin/${b}`), `${dest}/usr/bin/${b}`);
    await Deno.chmod(`${dest}/usr/bin/${b}`, 0o755);
  }
  const units = await run("cp", ["-r", "/lib/systemd/system", `${dest}/usr/lib/systemd/`]);
  assert.equal(units.code, 0, units.stderr);
  if (!(await exists(`${dest}/lib`))) await Deno.symlink("usr/lib", `${dest}/lib`);
  return await run("systemd-analyze", ["verify", `--root=${dest}`, ...UNITS]);
}

Deno.test({
  name: "the systemd units pass systemd-analyze verify (in /etc/systemd/system and /lib/...)",
  ignore: missing(
    command("/usr/bin/systemd-analyze"),
    command("/lib/systemd/system"),
    ...launcherReqs(),
  ),
  async fn() {
    for (const unitDir of ["/etc/systemd/system", "/usr/lib/systemd/system"]) {
      await withRoot(async (dest) => {
        const r = await verifyRoot(dest, unitDir);
        assert.equal(r.code, 0, r.stderr);
        // verify exits 0 on warnings (unknown keys, bad values): there must be none.
        const ours = r.stderr.split("\n").filter((l) => /engine/.test(l));
        assert.deepEqual(ours, [], r.stderr);
      });
    }
  },
});

Deno.test({
  name: "systemd-analyze verify catches a broken unit (the check above can fail)",
  ignore: missing(command("/usr/bin/systemd-analyze"), command("/lib/systemd/system")),
  async fn() {
    await withRoot(async (dest) => {
      await expectOk(install(dest, "--binary", "/bin/true"));
      const unit = `${dest}/etc/systemd/system/engine.service`;
      const text = await Deno.readTextFile(unit);
      await Deno.writeTextFile(unit, text.replace("KillMode=process", "KillMode=bogus"));
      const r = await run("systemd-analyze", ["verify", `--root=${dest}`, "engine.service"]);
      assert.match(r.stderr, /engine\.service:\d+: Failed to parse kill mode.*bogus/);
    });
  },
});
