// Each running container is watched through containerd's task wait; its exit updates the
// state, publishes "die", wakes waiters, then applies the restart policy (Docker's back-off:
// 100 ms doubling, reset after 10 s of running) or auto-removal.
import { errorKind } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { log } from "../log.ts";
import { eventAttrs } from "./create.ts";
import { removeLocked, save, startLocked } from "./lifecycle.ts";
import { releaseShm } from "./shm.ts";
import type { Container } from "./store.ts";
import { networking } from "../network/manager.ts";

const watching = new Set<string>();
const backoff = new Map<string, number>();
const INITIAL_DELAY = 100;
const MAX_DELAY = 60_000;
const RESET_AFTER = 10_000;

export function watchExit(d: Daemon, c: Container): void {
  const id = c.rec.ID;
  if (watching.has(id)) return;
  watching.add(id);
  (async () => {
    let exit: { exitStatus: number; exitedAt: string; oomKilled?: boolean } | undefined;
    while (!exit) {
      try {
        exit = await d.containerd.tasks.wait(id);
      } catch (e) {
        if (errorKind(e) === "not_found" || errorKind(e) === "failed_precondition") {
          exit = { exitStatus: 255, exitedAt: new Date().toISOString() };
        } else {
          if (d.shuttingDown) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
    watching.delete(id);
    await handleExit(d, c, exit.exitStatus, exit.exitedAt, exit.oomKilled);
  })().catch((e) => log("error", `watch container ${id}: ${(e as Error).message}`)).finally(() =>
    watching.delete(id)
  );
}

/** Docker's restart delay: 100 ms doubling up to 1 min, back to 100 ms after 10 s of running. */
export function nextRestartDelay(previous: number | undefined, ranForMs: number): number {
  if (previous === undefined || ranForMs >= RESET_AFTER) return INITIAL_DELAY;
  return Math.min(previous * 2, MAX_DELAY);
}

/** A user's start (or removal): a fresh restart manager, as dockerd's — count and back-off. */
export function resetRestartManager(c: Container): void {
  backoff.delete(c.rec.ID);
  c.rec.RestartCount = 0;
}

function shouldRestart(d: Daemon, c: Container, code: number): boolean {
  if (d.shuttingDown || c.rec.HasBeenManuallyStopped) return false;
  const p = c.host.RestartPolicy;
  switch (p.Name) {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return code !== 0 && (p.MaximumRetryCount === 0 || c.rec.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** `oomKilled`: the OOM killer ended the init (State.OOMKilled, an "oom" event before "die"). */
export function handleExit(
  d: Daemon,
  c: Container,
  code: number,
  exitedAt: string,
  oomKilled = false,
) {
  const id = c.rec.ID;
  return d.lock.run(id, async () => {
    const s = c.rec.State;
    if (!s.Running) return;
    const deleted = await d.containerd.tasks.delete(id).catch(() => undefined);
    if (deleted) code = deleted.exitStatus;
    await networking(d).teardownContainer(c).catch((e) =>
      log("warn", `network teardown of ${id}: ${(e as Error).message}`)
    );
    try {
      releaseShm(d, c);
    } catch (e) {
      log("warn", `unmount /dev/shm of ${id}: ${(e as Error).message}`);
    }
    const ranFor = Date.now() - Date.parse(s.StartedAt);
    Object.assign(s, {
      Status: "exited",
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: code,
      FinishedAt: exitedAt,
      OOMKilled: oomKilled,
    });
    d.healthStops.get(id)?.();
    const restart = shouldRestart(d, c, code);
    if (restart) {
      s.Restarting = true;
      s.Status = "restarting";
    }
    await save(d, c).catch(() => {});
    if (oomKilled) d.events.publish("container", "oom", id, eventAttrs(c));
    d.events.publish("container", "die", id, eventAttrs(c, { exitCode: String(code) }));
    d.signal(id, "exit");
    if (restart) {
      const delay = nextRestartDelay(backoff.get(id), ranFor);
      backoff.set(id, delay);
      const timer = setTimeout(() => {
        d.restartTimers.delete(id);
        d.lock.run(id, async () => {
          if (!d.store.find(id) || !s.Restarting) return;
          c.rec.RestartCount++;
          await startLocked(d, c);
        }).catch((e) => {
          s.Restarting = false;
          s.Status = "exited";
          log("error", `restart container ${id}: ${(e as Error).message}`);
          save(d, c).catch(() => {});
        });
      }, delay);
      d.restartTimers.set(id, timer);
    } else if (c.host.AutoRemove) {
      await removeLocked(d, c).catch((e) =>
        log("error", `auto-remove container ${id}: ${(e as Error).message}`)
      );
    }
  });
}
