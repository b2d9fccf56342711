// daemon.json against a running `engine daemon`: --validate, dockerd's start-up errors
// (conflicts with flags, unknown keys), the daemon's log driver defaults reaching containers,
// and SIGHUP reloading what dockerd reloads (an invalid file changes nothing).
import assert from "node:assert/strict";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { missing, root } from "../helpers/require.ts";

async function engineDaemon(args: string[]) {
  const out = await new Deno.Command(ENGINE, {
    args: ["daemon", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withConfig(json: unknown, fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "econf" });
  try {
    await Deno.writeTextFile(`${dir}/daemon.json`, JSON.stringify(json));
    await fn(`${dir}/daemon.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("engine daemon --validate: configuration OK, or dockerd's error", async () => {
  await withConfig({ labels: ["a=1"], "log-opts": { "max-size": "10m" } }, async (f) => {
    const ok = await engineDaemon(["--validate", "--config-file", f, "--debug"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "configuration OK\n");
  });
  await withConfig({ debug: false }, async (f) => {
    const r = await engineDaemon(["--validate", "--config-file", f, "--debug"]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `unable to configure the daemon with file ${f}: the following directives are specified ` +
          `both as a flag and in the configuration file: debug: \\(from flag: true, from file: false\\)`,
      ),
    );
    assert.equal(r.stdout, "");
  });
  await withConfig({ foo: 1 }, async (f) => {
    const r = await engineDaemon(["--validate", "--config-file", f]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the following directives don't match any configuration option: foo/);
  });
  await withConfig({ "log-level": "loud" }, async (f) => {
    const r = await engineDaemon(["--validate", "--config-file", f]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid logging level: loud/);
  });
});

// deno-lint-ignore no-explicit-any
async function info(d: TestDaemon): Promise<any> {
  const r = await d.curl(["http://127.0.0.1/v1.47/info"]);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
}

/** Waits for `text` to appear in the daemon's log after `from` characters. */
async function logged(d: TestDaemon, from: number, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!d.log().slice(from).includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log:\n${d.log().slice(from)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name: "daemon.json: log-opts reach containers; SIGHUP reloads, an invalid file keeps the old",
  ignore: missing(root()),
  async fn() {
    const d = await startDaemon([], {
      labels: ["zone=a"],
      "log-opts": { "max-size": "1m", "max-file": "2" },
    });
    try {
      // The daemon's log driver and options for a container that names none.
      const created = await d.curl([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        JSON.stringify({ Image: "busybox", Cmd: ["true"] }),
        "http://127.0.0.1/v1.47/containers/create",
      ]);
      assert.equal(created.status, 201, created.body);
      const id = JSON.parse(created.body).Id;
      const inspect = JSON.parse(
        (await d.curl([`http://127.0.0.1/v1.47/containers/${id}/json`])).body,
      );
      assert.deepEqual(inspect.HostConfig.LogConfig, {
        Type: "json-file",
        Config: { "max-size": "1m", "max-file": "2" },
      });
      // A container's own option wins over the daemon's.
      const own = await d.curl([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        JSON.stringify({
          Image: "busybox",
          Cmd: ["true"],
          HostConfig: { LogConfig: { Type: "", Config: { "max-size": "3m" } } },
        }),
        "http://127.0.0.1/v1.47/containers/create",
      ]);
      const ownId = JSON.parse(own.body).Id;
      const ownInspect = JSON.parse(
        (await d.curl([`http://127.0.0.1/v1.47/containers/${ownId}/json`])).body,
      );
      assert.deepEqual(ownInspect.HostConfig.LogConfig.Config, {
        "max-size": "3m",
        "max-file": "2",
      });
      const badOpt = await d.curl([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        JSON.stringify({
          Image: "busybox",
          Cmd: ["true"],
          HostConfig: { LogConfig: { Type: "json-file", Config: { "max-sise": "3m" } } },
        }),
        "http://127.0.0.1/v1.47/containers/create",
      ]);
      assert.equal(badOpt.status, 400);
      assert.match(badOpt.body, /unknown log opt 'max-sise' for json-file log driver/);
      for (const c of [id, ownId]) {
        await d.curl(["-X", "DELETE", `http://127.0.0.1/v1.47/containers/${c}`]);
      }

      let i = await info(d);
      assert.deepEqual(i.Labels, ["zone=a"]);
      assert.equal(i.LiveRestoreEnabled, false);
      assert.equal(i.Debug, false);
      assert.equal(i.RegistryConfig.Mirrors, null);

      // A valid file: the reloadable options change in place.
      await Deno.writeTextFile(
        d.configFile,
        JSON.stringify({
          labels: ["zone=b", "tier=c"],
          "live-restore": true,
          debug: true,
          "registry-mirrors": ["https://mirror.example"],
          "insecure-registries": ["reg.local:5000", "10.9.0.0/16"],
          "log-opts": { "max-size": "1m", "max-file": "2" },
        }),
      );
      let from = d.log().length;
      d.child.kill("SIGHUP");
      await logged(d, from, "Reloaded configuration: ");
      i = await info(d);
      assert.deepEqual(i.Labels, ["zone=b", "tier=c"]);
      assert.equal(i.LiveRestoreEnabled, true);
      assert.equal(i.Debug, true);
      assert.deepEqual(i.RegistryConfig.Mirrors, ["https://mirror.example/"]);
      assert.deepEqual(i.RegistryConfig.IndexConfigs["docker.io"].Mirrors, [
        "https://mirror.example/",
      ]);
      assert.deepEqual(i.RegistryConfig.InsecureRegistryCIDRs, ["127.0.0.0/8", "10.9.0.0/16"]);
      assert.equal(i.RegistryConfig.IndexConfigs["reg.local:5000"].Secure, false);
      const events = await d.curl([
        "-m",
        "30",
        `http://127.0.0.1/v1.47/events?since=0&until=${Math.ceil(Date.now() / 1000) + 1}`,
      ]);
      const reload = events.body.trim().split("\n").map((l) => JSON.parse(l))
        .find((e) => e.Type === "daemon" && e.Action === "reload");
      assert.ok(reload, events.body);
      assert.equal(reload.Actor.Attributes["live-restore"], "true");

      // Invalid files (unknown key, wrong type, bad value): logged, nothing changes.
      for (const bad of [{ foo: 1 }, { labels: "zone=x" }, { "registry-mirrors": ["ftp://m"] }]) {
        await Deno.writeTextFile(d.configFile, JSON.stringify(bad));
        from = d.log().length;
        d.child.kill("SIGHUP");
        await logged(d, from, "Error reconfiguring the daemon");
        i = await info(d);
        assert.deepEqual(i.Labels, ["zone=b", "tier=c"], JSON.stringify(bad));
        assert.equal(i.LiveRestoreEnabled, true);
        assert.deepEqual(i.RegistryConfig.Mirrors, ["https://mirror.example/"]);
      }
    } finally {
      await d.close();
    }
  },
});

Deno.test({
  name: "daemon.json: a key also given as a flag stops the daemon from starting",
  ignore: missing(root()),
  async fn() {
    await withConfig({ "log-level": "debug", mtu: "9000" }, async (f) => {
      // Private paths: should the check ever let it start, it touches nothing of the host's.
      const dir = f.replace(/\/daemon.json$/, "");
      const r = await engineDaemon([
        "--config-file",
        f,
        "--log-level",
        "info",
        "--data-root",
        `${dir}/data`,
        "--exec-root",
        `${dir}/r`,
        "-H",
        `unix://${dir}/e.sock`,
      ]);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /specified both as a flag and in the configuration file: log-level: \(from flag: info, from file: debug\)/,
      );
    });
  },
});

Deno.test({
  name: "daemon.json log-format json: the daemon's and containerd's lines are JSON objects",
  ignore: missing(root()),
  async fn() {
    const d = await startDaemon([], { "log-format": "json" });
    try {
      const lines = d.log().split("\n").filter((l) => l.trim() !== "");
      const entries = lines.map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          throw new Error(`not a JSON line: ${l}`);
        }
      });
      const serving = (msg: string) => entries.find((e) => e.msg === msg);
      assert.equal(serving("engine containerd serving")?.level, "info", d.log());
      assert.equal(serving("engine daemon serving")?.level, "info", d.log());
      assert.ok(entries.every((e) => typeof e.time === "string"));
    } finally {
      await d.close();
    }
  },
});
