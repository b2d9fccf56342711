// scripts/demo --private: the README's walk-through on a private daemon (busybox image from
// busybox-static, run, run -d, exec, logs, stop, rm), leaving no directory or process.
import assert from "node:assert/strict";
import { ENGINE } from "../helpers/engine.ts";
import { command, missing, root } from "../helpers/require.ts";

const DEMO = new URL("../../scripts/demo", import.meta.url).pathname;

Deno.test({
  name: "scripts/demo --private runs end to end and cleans up",
  ignore: missing(root(), command("/bin/busybox")),
  async fn() {
    const out = await new Deno.Command("bash", {
      args: [DEMO, "--private"],
      env: { CI: "true", ENGINE_BIN: ENGINE },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(180_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `${text}\n${err}`);
    assert.match(text, /^hello from engine$/m);
    assert.match(text, /^Linux [0-9a-f]{12} /m, "exec uname -a in the container");
    assert.match(text, /^tick \d+$/m, "logs");
    assert.match(text, /demo: done/);
    const work = /private daemon \(pid (\d+)\) on (\/tmp\/edemo\.\w+)/.exec(text);
    assert.ok(work, text);
    await assert.rejects(Deno.stat(work[2]), Deno.errors.NotFound, "the private paths are gone");
    await assert.rejects(Deno.stat(`/proc/${work[1]}`), Deno.errors.NotFound, "the daemon is gone");
    const nat = await new Deno.Command("iptables-save", { stdout: "piped" }).output();
    assert.ok(!new TextDecoder().decode(nat.stdout).includes("edemo"), "no netfilter rule left");
    const links = await new Deno.Command("ip", { args: ["-br", "link"], stdout: "piped" }).output();
    assert.ok(!new TextDecoder().decode(links.stdout).includes("edemo"), "no bridge left");
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
      assert.ok(!cmdline.includes(`${work[2]}/`), `process ${e.name} left: ${cmdline}`);
    }
  },
});
