// Daemon start: networks restored, then reconnect to the containers that were running
// (--live-restore), or stop what is left of them, then start those whose restart policy asks
// for it.
import type { Daemon } from "./daemon.ts";
import { handleExit, watchExit } from "./containers/monitor.ts";
import { startHealthcheck } from "./containers/health.ts";
import { save, start } from "./containers/lifecycle.ts";
import { log } from "./log.ts";
import type { Container } from "./containers/store.ts";
import { initNetworking, networking } from "./network/manager.ts";

async function taskRunning(d: Daemon, c: Container): Promise<{ running: boolean; code: number }> {
  try {
    const st = await d.containerd.tasks.state(c.rec.ID);
    return {
      running: st.status === "running" || st.status === "paused",
      code: st.exitStatus ?? 255,
    };
  } catch {
    return { running: false, code: 255 };
  }
}

/**
 * dockerd's ShouldRestart with a fresh restart manager: always even after a user's stop
 * (its documented difference from unless-stopped), on-failure after a failure (the stop at
 * shutdown is one) unless the user stopped it or the retries are spent.
 */
function restartAtStart(c: Container): boolean {
  if (!c.rec.HasBeenStartedBefore) return false;
  const p = c.host.RestartPolicy;
  const manual = c.rec.HasBeenManuallyStopped;
  switch (p.Name) {
    case "always":
      return true;
    case "unless-stopped":
      return !manual;
    case "on-failure":
      return !manual && c.rec.State.ExitCode !== 0 &&
        (p.MaximumRetryCount === 0 || c.rec.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

export async function restoreContainers(d: Daemon): Promise<void> {
  await initNetworking(d);
  for (const c of d.store.all()) {
    const s = c.rec.State;
    if (s.Restarting) {
      s.Restarting = false;
      s.Running = true; // handled below as an exited one
    }
    if (!s.Running) continue;
    const t = await taskRunning(d, c);
    if (t.running && d.opts.liveRestore) {
      log("info", `live-restored container ${c.rec.ID}`);
      watchExit(d, c);
      startHealthcheck(d, c);
      continue;
    }
    if (t.running) {
      await d.containerd.tasks.kill(c.rec.ID, 9, { all: true }).catch(() => {});
      await d.containerd.tasks.wait(c.rec.ID).catch(() => {});
    }
    d.shuttingDown = true; // no restarts from these exits: the policy pass below decides
    await handleExit(d, c, t.code, new Date().toISOString()).catch(() => {});
    d.shuttingDown = false;
  }
  // Endpoints of containers that did not survive are released before any restarts.
  await networking(d).sweep();
  for (const c of d.store.all()) {
    if (c.rec.State.Running) continue;
    if (restartAtStart(c)) {
      await start(d, c).catch((e) => log("warn", `restart ${c.rec.ID}: ${(e as Error).message}`));
    } else if (c.host.AutoRemove && !c.rec.State.Running) {
      await save(d, c).catch(() => {});
    }
  }
}

/** Shutdown without --live-restore: stop every running container (policies stay armed). */
export async function stopAll(d: Daemon): Promise<void> {
  const { stopForShutdown } = await import("./containers/lifecycle.ts");
  await Promise.all(
    d.store.all().filter((c) => c.rec.State.Running).map((c) =>
      stopForShutdown(d, c).catch((e) => log("warn", `stop ${c.rec.ID}: ${(e as Error).message}`))
    ),
  );
}
