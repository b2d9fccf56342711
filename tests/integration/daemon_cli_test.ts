// The real docker CLIs (20.10 and 28) against engine daemon: run --rm with output and exit
// code, run -d then logs -f, exec, stop, rm, inspect --format, ps --format, cp, run -it
// under a pty.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon } from "../helpers/daemon.ts";

const CLIS = ["/usr/bin/docker", "/usr/local/bin/docker"];
const ignore = missing(root(), command(CLIS[0]), command("/usr/bin/script"));

Deno.test(
  { name: "daemon with the docker CLIs: run, logs, exec, stop, rm, ps, inspect", ignore },
  async () => {
    const d = await startDaemon();
    try {
      for (const bin of CLIS) {
        try {
          Deno.statSync(bin);
        } catch {
          continue;
        }
        let r = await d.docker(bin, [
          "run",
          "--rm",
          "busybox",
          "sh",
          "-c",
          "echo out; echo err >&2; exit 3",
        ]);
        assertEquals(r.code, 3, r.err);
        assertEquals(r.out, "out\n");
        assertEquals(r.err, "err\n");
        r = await d.docker(bin, ["run", "-i", "--rm", "busybox", "cat"], "piped-in\n");
        assertEquals(r.out, "piped-in\n");
        r = await d.docker(bin, [
          "run",
          "-d",
          "--name",
          "bg",
          "busybox",
          "sh",
          "-c",
          "echo started; sleep 30",
        ]);
        assertEquals(r.code, 0, r.err);
        const id = r.out.trim();
        r = await d.docker(bin, ["exec", "bg", "sh", "-c", "echo in-exec; exit 4"]);
        assertEquals([r.code, r.out], [4, "in-exec\n"]);
        r = await d.docker(bin, ["exec", "bg", "nosuch"]);
        assertEquals(r.code, 127);
        r = await d.docker(bin, ["logs", "bg"]);
        assertEquals(r.out, "started\n");
        r = await d.docker(bin, [
          "inspect",
          "--format",
          "{{.State.Status}} {{.Config.Hostname}} {{.Name}}",
          "bg",
        ]);
        assertEquals(r.out.trim(), `running ${id.slice(0, 12)} /bg`);
        r = await d.docker(bin, ["ps", "--format", "{{.Names}} {{.Image}} {{.Status}}"]);
        assert(/^bg busybox Up /.test(r.out.trim()), r.out);
        r = await d.docker(bin, ["stop", "-t", "1", "bg"]);
        assertEquals(r.code, 0, r.err);
        r = await d.docker(bin, ["inspect", "--format", "{{.State.ExitCode}}", "bg"]);
        assertEquals(r.out.trim(), "137");
        r = await d.docker(bin, ["rm", "bg"]);
        assertEquals(r.code, 0, r.err);
        r = await d.docker(bin, ["rm", "bg"]);
        assertEquals(r.code, 1);
        assert(r.err.includes("No such container: bg"), r.err);
      }
    } finally {
      await d.close();
    }
  },
);

Deno.test(
  { name: "daemon with the docker CLI: logs -f follows until exit; run -it", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const bin = CLIS[0];
      let r = await d.docker(bin, [
        "run",
        "-d",
        "--name",
        "ff",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo l$i; sleep 0.3; done",
      ]);
      assertEquals(r.code, 0, r.err);
      r = await d.docker(bin, ["logs", "-f", "ff"]);
      assertEquals(r.out, "l1\nl2\nl3\n");
      // run -it under a pseudo-terminal (script gives the CLI one).
      const p = await new Deno.Command("script", {
        args: ["-qec", `${bin} run -it --rm busybox sh -c 'tty; exit 7'`, "/dev/null"],
        env: { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/dockercfg` },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(p.stdout);
      assert(out.includes("/dev/pts/0"), out);
      assertEquals(p.code, 7);
    } finally {
      await d.close();
    }
  },
);
