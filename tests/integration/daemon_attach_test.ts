// attach with our CLI and the docker CLIs: to a running container's output (stdout and
// stderr apart, the container's exit code), with stdin (-i containers), with a tty under a
// pseudo-terminal (`script`: the terminal in raw mode, output unprocessed) and ctrl-p
// ctrl-q detaching, and start -a -i.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const ignore = missing(root(), command("/usr/bin/script"));
const CLIS = [ENGINE, "/usr/bin/docker", "/usr/local/bin/docker"].filter((b) => command(b).ok);
const dec = new TextDecoder();
const enc = new TextEncoder();

async function ok(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.docker(ENGINE, args);
  if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.code} ${r.err}`);
  return r.out.trim();
}

/** Polls `check` (bounded, so a broken daemon fails instead of hanging). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many attach events the container has had: an attach is in place once it grew. */
async function attaches(d: TestDaemon, name: string): Promise<number> {
  const out = await ok(d, [
    "events",
    "--since",
    "0",
    "--until",
    String(Date.now() / 1000),
    "--filter",
    `container=${name}`,
    "--filter",
    "event=attach",
    "--format",
    "{{.Action}}",
  ]);
  return out === "" ? 0 : out.split("\n").length;
}

function spawn(d: TestDaemon, bin: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(bin, {
    args,
    env: { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/dockercfg` },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
}

/** Reads `stream` until `text` was seen; returns everything read. */
async function readUntil(stream: ReadableStream<Uint8Array>, text: string): Promise<string> {
  const reader = stream.getReader();
  let all = "";
  try {
    while (!all.includes(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${JSON.stringify(text)}: ${all}`);
      all += dec.decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return all;
}

Deno.test({ name: "attach: output, stdin, start -a -i", ignore }, async () => {
  const d = await startDaemon();
  try {
    for (const [i, bin] of CLIS.entries()) {
      // Output: stdout and stderr apart, then the container's exit code.
      const out = `out${i}`;
      await ok(d, [
        "run",
        "-d",
        "--name",
        out,
        "busybox",
        "sh",
        "-c",
        "while [ ! -e /go ]; do sleep 0.1; done; echo to-out; echo to-err >&2; exit 3",
      ]);
      const before = await attaches(d, out);
      let p = spawn(d, bin, ["attach", out]);
      await p.stdin.close();
      await until("the attach", async () => (await attaches(d, out)) > before);
      await ok(d, ["exec", out, "touch", "/go"]);
      let r = await p.output();
      assertEquals([r.code, dec.decode(r.stdout), dec.decode(r.stderr)], [
        3,
        "to-out\n",
        "to-err\n",
      ], bin);

      // Stdin: a -i container reads what the attached client types.
      const cat = `cat${i}`;
      await ok(d, ["run", "-d", "-i", "--name", cat, "busybox", "cat"]);
      p = spawn(d, bin, ["attach", cat]);
      const w = p.stdin.getWriter();
      await w.write(enc.encode("typed-in\n"));
      const seen = await readUntil(p.stdout, "typed-in\n");
      assertEquals(seen, "typed-in\n", bin);
      await ok(d, ["kill", cat]);
      await w.close().catch(() => {});
      r = await p.output();
      assertEquals(r.code, 137, `${bin}: ${dec.decode(r.stderr)}`);

      // start -a -i: attached before the start, stdin through, the exit code back.
      const si = `si${i}`;
      await ok(d, [
        "create",
        "-i",
        "--name",
        si,
        "busybox",
        "sh",
        "-c",
        "read x; echo got-$x; exit 4",
      ]);
      const s = await d.docker(bin, ["start", "-a", "-i", si], "abc\n");
      assertEquals([s.code, s.out], [4, "got-abc\n"], `${bin}: ${s.err}`);
      await ok(d, ["rm", out, cat, si]);
    }
  } finally {
    await d.close();
  }
});

Deno.test({ name: "attach: tty under a pty, ctrl-p ctrl-q detaches", ignore }, async () => {
  const d = await startDaemon();
  try {
    for (const [i, bin] of CLIS.entries()) {
      const name = `tty${i}`;
      await ok(d, ["run", "-d", "-i", "-t", "--name", name, "busybox", "sh"]);
      const before = await attaches(d, name);
      // script gives the CLI a terminal: its stdin is typed into it, the screen comes out.
      const p = spawn(d, "script", ["-qfec", `${bin} attach ${name}`, "/dev/null"]);
      await until("the attach", async () => (await attaches(d, name)) > before);
      // The screen is read all along (the pty must never block on it).
      let screen = "";
      const reading = (async () => {
        for await (const c of p.stdout) screen += dec.decode(c);
      })();
      const w = p.stdin.getWriter();
      await w.write(enc.encode("echo sum-$((20+22))\r"));
      await until("the command's output", () => Promise.resolve(screen.includes("sum-42")));
      await w.write(new Uint8Array([0x10, 0x11])); // ctrl-p ctrl-q
      const r = await p.status;
      await w.close().catch(() => {});
      await reading;
      await p.stderr.cancel();
      // docker attach reports the detach as an error (exit 1) on the terminal, the
      // container keeps running.
      assertEquals(r.code, 1, `${bin}: ${screen}`);
      assert(screen.endsWith("read escape sequence\r\n"), `${bin}: ${JSON.stringify(screen)}`);
      assert(!screen.includes("\r\r\n"), `${bin}: output processing left on`);
      assertEquals(await ok(d, ["inspect", "--format", "{{.State.Status}}", name]), "running");
      await ok(d, ["rm", "-f", name]);
    }
  } finally {
    await d.close();
  }
});
