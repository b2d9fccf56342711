// Restart policies (always, on-failure:N, no, unless-stopped) and daemon restarts: without
// --live-restore containers are stopped at shutdown and those with a policy started again;
// with it they keep running (same pid), logs -f and wait work again, and an exit while the
// daemon was down is noticed.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const ignore = missing(root());

async function engine(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.docker(ENGINE, args);
  if (r.code !== 0) throw new Error(`engine ${args.join(" ")}: ${r.code} ${r.err}`);
  return r.out.trim();
}

const inspect = (d: TestDaemon, name: string, format: string) =>
  engine(d, ["inspect", "--format", format, name]);

/** Polls `check` until it holds (a bound so a broken daemon fails instead of hanging). */
async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test({ name: "restart policies: always, on-failure:N, no", ignore }, async () => {
  const d = await startDaemon();
  try {
    const run = (name: string, policy: string, script: string) =>
      engine(d, ["run", "-d", "--name", name, "--restart", policy, "busybox", "sh", "-c", script]);
    await run("always", "always", "exit 1");
    await run("fail2", "on-failure:2", "exit 3");
    await run("ok", "on-failure", "exit 0");
    await run("never", "no", "exit 1");

    // always: restarted again and again (100 ms doubling back-off) until stopped.
    await until(
      "three restarts",
      async () => Number(await inspect(d, "always", "{{.RestartCount}}")) >= 3,
    );
    await engine(d, ["stop", "always"]);
    const stopped = await inspect(d, "always", "{{.State.Status}} {{.RestartCount}}");
    assert(/^exited \d+$/.test(stopped), stopped);
    await new Promise((r) => setTimeout(r, 1500));
    assertEquals(await inspect(d, "always", "{{.State.Status}} {{.RestartCount}}"), stopped);

    // on-failure:2: two restarts, then it stays exited with its code.
    await until(
      "on-failure:2 to give up",
      async () => (await inspect(d, "fail2", "{{.State.Status}} {{.RestartCount}}")) === "exited 2",
    );
    await new Promise((r) => setTimeout(r, 1500));
    assertEquals(
      await inspect(d, "fail2", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"),
      "exited 2 3",
    );
    // on-failure after success, and no: never restarted.
    assertEquals(await inspect(d, "ok", "{{.State.Status}} {{.RestartCount}}"), "exited 0");
    assertEquals(
      await inspect(d, "never", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"),
      "exited 0 1",
    );
    // A user's start resets the count (dockerd's fresh restart manager).
    await engine(d, ["update", "--restart", "no", "always"]);
    await engine(d, ["start", "always"]);
    await until(
      "the restarted container to exit",
      async () => (await inspect(d, "always", "{{.State.Status}}")) === "exited",
    );
    assertEquals(await inspect(d, "always", "{{.RestartCount}}"), "0");
    const events = await engine(d, [
      "events",
      "--since",
      "0",
      "--until",
      String(Math.ceil(Date.now() / 1000)),
      "--filter",
      "container=fail2",
      "--filter",
      "event=start",
      "--format",
      "{{.Action}}",
    ]);
    assertEquals(events.split("\n"), ["start", "start", "start"]);
    // docker's template fields of an event (Go's events.Message: .Status, .ID, …).
    const untilNow = String(Math.ceil(Date.now() / 1000));
    const id = await inspect(d, "fail2", "{{.Id}}");
    const legacy = await engine(d, [
      "events",
      "--since",
      "0",
      "--until",
      untilNow,
      "--filter",
      "container=fail2",
      "--filter",
      "event=die",
      "--format",
      "{{.Status}} {{.ID}} {{.From}} {{.Scope}}",
    ]);
    assertEquals(legacy.split("\n"), Array(3).fill(`die ${id} busybox local`));
  } finally {
    await d.close();
  }
});

Deno.test(
  { name: "daemon restart without --live-restore: stop, then policies", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const run = (name: string, policy: string) =>
        engine(d, [
          "run",
          "-d",
          "--name",
          name,
          "--restart",
          policy,
          "--stop-timeout",
          "1",
          "busybox",
          "sleep",
          "1000",
        ]);
      for (const [name, policy] of [["ra", "always"], ["ru", "unless-stopped"], ["rn", "no"]]) {
        await run(name, policy);
      }
      await run("sa", "always");
      await run("su", "unless-stopped");
      await engine(d, ["stop", "sa", "su"]);
      const pids = new Map<string, number>();
      for (const name of ["ra", "ru", "rn"]) {
        pids.set(name, Number(await inspect(d, name, "{{.State.Pid}}")));
      }
      await d.stop();
      // Stopped at shutdown: no container process outlives the daemon.
      for (const [name, pid] of pids) assert(!alive(pid), `${name} (${pid}) still runs`);
      await d.restart();
      const state = async (name: string) => await inspect(d, name, "{{.State.Status}}");
      await until(
        "ra and ru to run again",
        async () => (await state("ra")) === "running" && (await state("ru")) === "running",
      );
      for (const name of ["ra", "ru"]) {
        const pid = Number(await inspect(d, name, "{{.State.Pid}}"));
        assert(pid !== pids.get(name) && alive(pid), `${name}: ${pid}`);
      }
      // no stays exited; always restarts even after a user's stop; unless-stopped does not.
      assertEquals(await state("rn"), "exited");
      assertEquals(await state("sa"), "running");
      assertEquals(await state("su"), "exited");
      await engine(d, ["rm", "-f", "ra", "ru", "rn", "sa", "su"]);
    } finally {
      await d.close();
    }
  },
);

Deno.test(
  { name: "daemon restart with --live-restore: containers keep running", ignore },
  async () => {
    const d = await startDaemon(["--live-restore"]);
    try {
      await engine(d, [
        "run",
        "-d",
        "--name",
        "lx",
        "busybox",
        "sh",
        "-c",
        "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done",
      ]);
      await engine(d, ["run", "-d", "--name", "ly", "busybox", "sh", "-c", "sleep 8; exit 7"]);
      // On a user network: its 127.0.0.11 resolver is opened again by the new daemon.
      await engine(d, ["network", "create", "lrnet"]);
      await engine(d, [
        "run",
        "-d",
        "--name",
        "lz",
        "--network",
        "lrnet",
        "busybox",
        "sleep",
        "60",
      ]);
      const xPid = Number(await inspect(d, "lx", "{{.State.Pid}}"));
      const yPid = Number(await inspect(d, "ly", "{{.State.Pid}}"));
      const logPath = await inspect(d, "lx", "{{.LogPath}}");
      await d.stop();
      assert(alive(xPid), "lx did not survive the daemon's shutdown");
      assert(alive(yPid), "ly ended before the daemon was down: the test proves nothing");
      const before = await Deno.readTextFile(logPath);
      await until("ly to exit while the daemon is down", () => Promise.resolve(!alive(yPid)));
      await d.restart();

      assertEquals(await inspect(d, "lx", "{{.State.Status}} {{.State.Pid}}"), `running ${xPid}`);
      assertEquals(await inspect(d, "ly", "{{.State.Status}} {{.State.ExitCode}}"), "exited 7");
      assert(
        (await engine(d, ["exec", "lz", "nslookup", "lz"])).includes("Address: "),
        "the name did not resolve after the restart",
      );
      // Output written while the daemon was down is in the log; logs -f follows new lines.
      const logs = await engine(d, ["logs", "lx"]);
      assert(logs.split("\n").length > before.split("\n").length, logs);
      const follow = new Deno.Command(ENGINE, {
        args: ["logs", "-f", "--tail", "0", "lx"],
        env: { DOCKER_HOST: d.host },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      try {
        const reader = follow.stdout.getReader();
        const { value } = await reader.read();
        assert(/^line\d+\n/.test(new TextDecoder().decode(value)));
        reader.releaseLock();
      } finally {
        follow.kill("SIGKILL");
        await follow.status;
        await follow.stdout.cancel().catch(() => {});
      }
      // wait answers when the restored container exits.
      const wait = new Deno.Command(ENGINE, {
        args: ["wait", "lx"],
        env: { DOCKER_HOST: d.host },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 300));
      await engine(d, ["kill", "lx"]);
      const w = await wait.output();
      assertEquals(new TextDecoder().decode(w.stdout), "137\n");
      assert(!alive(xPid));
      await engine(d, ["rm", "-f", "lx", "ly", "lz"]);
      await engine(d, ["network", "rm", "lrnet"]);
    } finally {
      await d.close();
    }
  },
);
