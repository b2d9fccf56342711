// start, stop, kill, restart, pause/unpause, rename and remove, each serialized per
// container; exits are handled in monitor.ts.
import {
  conflict,
  EngineError,
  errorKind,
  errorMessage,
  invalidArgument,
} from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { NotModified } from "../http/errors.ts";
import { eventAttrs } from "./create.ts";
import { startHealthcheck } from "./health.ts";
import { joinNamespaces } from "./join_ns.ts";
import { releaseShm, setupShm } from "./shm.ts";
import { waitAnswersSent } from "./wait.ts";
import { applyLinks } from "./links.ts";
import { resolveUserAtStart } from "./user_at_start.ts";
import { checkDeviceRequests } from "./verify.ts";
import { resetRestartManager, watchExit } from "./monitor.ts";
import { parseSignal } from "./signals.ts";
import { type Container, NAME_RE } from "./store.ts";
import { parseSize } from "./units.ts";
import { anonymousVolumes } from "../volumes/mounts.ts";
import { removeAnonymousVolumes } from "../volumes/service.ts";
import { networking } from "../network/manager.ts";

const DEFAULT_LOG_MAX_SIZE = 20 * 1024 * 1024;
const DEFAULT_LOG_MAX_FILE = 5;

export async function save(d: Daemon, c: Container) {
  await d.store.save(c);
}

function logConfig(c: Container) {
  if (!c.rec.LogPath) return {};
  const opts = c.host.LogConfig.Config ?? {};
  const maxSize = opts["max-size"] ? parseSize(opts["max-size"]) : DEFAULT_LOG_MAX_SIZE;
  const maxFile = opts["max-file"] ? Number(opts["max-file"]) : DEFAULT_LOG_MAX_FILE;
  if (!Number.isInteger(maxFile) || maxFile < 1) throw invalidArgument("invalid max-file");
  return { path: c.rec.LogPath, maxSize, maxFile };
}

/** Maps the runtime's failure to Docker's message shape (the CLI derives 126/127 from it). */
function startError(e: unknown): EngineError {
  const msg = errorMessage(e);
  const kind = /not found|no such file|permission denied|not executable/i.test(msg)
    ? "invalid_argument"
    : errorKind(e);
  // dockerd 20.10's words (later versions put "failed to create task for container: " first).
  return new EngineError(
    kind,
    `failed to create shim task: OCI runtime create failed: ${msg}: unknown`,
  );
}

/** Starts the container's task (the lock must be held). */
export async function startLocked(d: Daemon, c: Container): Promise<void> {
  const s = c.rec.State;
  if (s.Paused) throw conflict("cannot start a paused container, try unpause instead");
  if (s.Running) throw new NotModified();
  checkDeviceRequests(c.host);
  const id = c.rec.ID;
  // A task left from an earlier run (daemon restart) goes first.
  await d.containerd.tasks.delete(id).catch(() => {});
  try {
    await setupShm(d, c);
    await joinNamespaces(d, c);
    await applyLinks(d, c);
    await resolveUserAtStart(d, c);
    // The network namespace and endpoints exist before the task: the runtime joins them.
    await networking(d).setupContainer(c);
  } catch (e) {
    releaseShm(d, c);
    // dockerd records a failure before the task as well (its exit code 128 when none).
    s.Error = errorMessage(e);
    if (!s.ExitCode) s.ExitCode = 128;
    await save(d, c).catch(() => {});
    throw e;
  }
  try {
    const { pid } = await d.containerd.tasks.create(id, {
      terminal: c.rec.Config.Tty,
      stdin: c.rec.Config.OpenStdin,
      log: logConfig(c),
    });
    await d.runTaskHooks(id);
    await d.containerd.tasks.start(id);
    s.Pid = pid;
  } catch (e) {
    await d.containerd.tasks.delete(id).catch(() => {});
    await networking(d).teardownContainer(c).catch(() => {});
    releaseShm(d, c);
    const err = startError(e);
    s.Error = err.message;
    s.ExitCode = /not found|no such file/i.test(err.message)
      ? 127
      : /permission denied|not executable/i.test(err.message)
      ? 126
      : 128;
    s.Status = c.rec.HasBeenStartedBefore ? "exited" : "created";
    await save(d, c).catch(() => {});
    throw err;
  }
  Object.assign(s, {
    Status: "running",
    Running: true,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    ExitCode: 0,
    Error: "",
    StartedAt: new Date().toISOString(),
  });
  c.rec.HasBeenStartedBefore = true;
  c.rec.HasBeenManuallyStopped = false;
  await save(d, c);
  d.events.publish("container", "start", id, eventAttrs(c));
  d.signal(id, "start");
  watchExit(d, c);
  startHealthcheck(d, c);
}

/** A start asked for by a user (start, restart) or the daemon's start: the count resets. */
export function start(d: Daemon, c: Container): Promise<void> {
  return d.lock.run(c.rec.ID, async () => {
    if (!c.rec.State.Running) resetRestartManager(c);
    try {
      await startLocked(d, c);
    } catch (e) {
      // An auto-remove container that failed to start is removed before the answer, as
      // dockerd's (the CLI's `run --rm` waits for that removal).
      if (c.host.AutoRemove && !c.rec.State.Running) {
        await removeLocked(d, c, true).catch(() => {});
        await waitAnswersSent(c.rec.ID);
      }
      throw e;
    }
  });
}

/** Waits for the container's next exit (or `ms`); true when it exited. */
export function waitExit(d: Daemon, c: Container, ms: number): Promise<boolean> {
  if (!c.rec.State.Running) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = ms >= 0 ? setTimeout(() => done(false), ms) : undefined;
    const off = d.onSignal(c.rec.ID, (s) => {
      if (s === "exit" || s === "removed") done(true);
    });
    function done(v: boolean) {
      clearTimeout(timer);
      off();
      resolve(v);
    }
  });
}

/** Docker's stop: StopSignal, then SIGKILL after the timeout; 304 when not running. */
export async function stop(d: Daemon, c: Container, timeout?: number): Promise<void> {
  const t = timeout ?? c.rec.Config.StopTimeout ?? 10;
  const id = c.rec.ID;
  // Under the lock: an exit being handled or a restart under way settles first, so the stop
  // either cancels the pending restart or stops the started task (never neither).
  const state = await d.lock.run(id, async () => {
    if (cancelRestart(d, c)) {
      c.rec.HasBeenManuallyStopped = true;
      await save(d, c).catch(() => {});
      return "cancelled";
    }
    if (!c.rec.State.Running) return "stopped";
    c.rec.HasBeenManuallyStopped = true;
    return "running";
  });
  if (state === "cancelled") return;
  if (state === "stopped") throw new NotModified();
  const sig = parseSignal(c.rec.Config.StopSignal || "SIGTERM");
  await signalContainer(d, c, sig).catch(() => {});
  if (!(await waitExit(d, c, t < 0 ? -1 : t * 1000))) {
    await signalContainer(d, c, 9, true).catch(() => {});
    await waitExit(d, c, -1);
  }
  d.events.publish("container", "stop", id, eventAttrs(c));
}

async function signalContainer(d: Daemon, c: Container, sig: number, all = false) {
  d.events.publish("container", "kill", c.rec.ID, eventAttrs(c, { signal: String(sig) }));
  await d.containerd.tasks.kill(c.rec.ID, sig, { all });
  if (c.rec.State.Paused && (sig === 9 || sig === 15)) {
    await d.containerd.tasks.resume(c.rec.ID).catch(() => {});
  }
}

/** dockerd's kill: its errors name the container as asked for ("Cannot kill container: …"). */
export async function kill(d: Daemon, ref: string, signal?: string) {
  const cannot = (e: unknown) =>
    new EngineError(errorKind(e), `Cannot kill container: ${ref}: ${errorMessage(e)}`);
  // A number parses as any signal (0 excepted); the platform check refuses those Linux lacks.
  const raw = signal?.trim() ?? "KILL";
  const sig = /^-?\d+$/.test(raw) && Number(raw) !== 0 ? Number(raw) : parseSignal(raw);
  let c: Container;
  try {
    c = d.store.get(ref);
  } catch (e) {
    throw cannot(e);
  }
  if (sig > 64 || sig < 1) {
    throw cannot(new Error(`The linux daemon does not support signal ${sig}`));
  }
  if (!c.rec.State.Running) {
    throw conflict(`Cannot kill container: ${ref}: Container ${c.rec.ID} is not running`);
  }
  const stopSig = parseSignal(c.rec.Config.StopSignal || "SIGTERM");
  if (sig === 9 || sig === stopSig) c.rec.HasBeenManuallyStopped = true;
  await signalContainer(d, c, sig, sig === 9);
}

/**
 * `ref`: the container as asked for, which dockerd's failures name ("Cannot restart container
 * <ref>: …", a plain error: status 500).
 */
export async function restart(d: Daemon, c: Container, timeout?: number, ref = c.rec.ID) {
  const cannot = (e: unknown) => {
    if (e instanceof NotModified) return;
    throw new EngineError("internal", `Cannot restart container ${ref}: ${errorMessage(e)}`);
  };
  await stop(d, c, timeout).catch(cannot);
  await start(d, c).catch(cannot);
  d.events.publish("container", "restart", c.rec.ID, eventAttrs(c));
}

/** Cancels a pending restart (its timer, or its start still waiting for the lock). */
export function cancelRestart(d: Daemon, c: Container): boolean {
  const t = d.restartTimers.get(c.rec.ID);
  if (t !== undefined) clearTimeout(t);
  d.restartTimers.delete(c.rec.ID);
  if (!c.rec.State.Restarting) return false;
  c.rec.State.Restarting = false;
  c.rec.State.Status = "exited";
  return true;
}

export function pause(d: Daemon, c: Container) {
  return d.lock.run(c.rec.ID, async () => {
    const s = c.rec.State;
    if (!s.Running) throw conflict(`Container ${c.rec.ID} is not running`);
    if (s.Paused) throw conflict(`Container ${c.rec.ID} is already paused`);
    await d.containerd.tasks.pause(c.rec.ID);
    s.Paused = true;
    s.Status = "paused";
    await save(d, c);
    d.events.publish("container", "pause", c.rec.ID, eventAttrs(c));
  });
}

export function unpause(d: Daemon, c: Container) {
  return d.lock.run(c.rec.ID, async () => {
    const s = c.rec.State;
    if (!s.Paused) throw conflict(`Container ${c.rec.ID} is not paused`);
    await d.containerd.tasks.resume(c.rec.ID);
    s.Paused = false;
    s.Status = "running";
    await save(d, c);
    d.events.publish("container", "unpause", c.rec.ID, eventAttrs(c));
  });
}

export async function rename(d: Daemon, c: Container, newName: string) {
  if (!newName) throw invalidArgument("Neither old nor new names may be empty");
  const name = "/" + newName.replace(/^\//, "");
  const old = c.rec.Name;
  if (name === old) {
    throw invalidArgument(`Renaming a container with the same name as its current name`);
  }
  // dockerd checks the name with its slash here, and says so ("(/bad name)").
  if (!NAME_RE.test(name)) {
    throw invalidArgument(
      `Error when allocating new name: Invalid container name (${name}), only ` +
        `[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  try {
    d.store.reserveName(name, c.rec.ID);
  } catch (e) {
    throw new EngineError(errorKind(e), `Error when allocating new name: ${errorMessage(e)}`);
  }
  c.rec.Name = name;
  d.store.releaseName(old);
  await save(d, c);
  d.events.publish("container", "rename", c.rec.ID, eventAttrs(c, { oldName: old }));
}

/** DELETE /containers/{id}: 409 while running unless forced. */
export async function remove(d: Daemon, c: Container, force: boolean, volumes = false) {
  const id = c.rec.ID;
  if (c.rec.State.Status === "removing") {
    throw conflict(`removal of container ${id} is already in progress`);
  }
  if (c.rec.State.Running || c.rec.State.Restarting) {
    if (!force) {
      throw conflict(
        `You cannot remove a running container ${id}. Stop the container before attempting ` +
          `removal or force remove`,
      );
    }
    cancelRestart(d, c);
    if (c.rec.State.Running) {
      c.rec.HasBeenManuallyStopped = true;
      await signalContainer(d, c, 9, true).catch(() => {});
      await waitExit(d, c, 10_000);
    }
  }
  await d.lock.run(id, () => removeLocked(d, c, volumes));
}

/** `volumes` (rm -v; auto-remove as dockerd): its anonymous volumes go too. */
export async function removeLocked(d: Daemon, c: Container, volumes = c.host.AutoRemove) {
  const id = c.rec.ID;
  if (!d.store.find(id)) return;
  c.rec.State.Status = "removing";
  d.healthStops.get(id)?.();
  await d.containerd.tasks.delete(id).catch(() => {});
  releaseShm(d, c);
  await d.containerd.containers.delete(id).catch((e) => {
    if (errorKind(e) === "not_found") return;
    // dockerd's SetRemovalError: Dead, no longer "removing", so another rm can try again.
    Object.assign(c.rec.State, { Status: "dead", Dead: true });
    throw e;
  });
  for (const e of c.execs) d.execs.delete(e);
  await networking(d).forgetContainer(c).catch(() => {});
  await d.store.remove(id);
  resetRestartManager(c);
  if (volumes) await removeAnonymousVolumes(d, anonymousVolumes(c)).catch(() => {});
  d.events.publish("container", "destroy", id, eventAttrs(c));
  d.signal(id, "removed");
}

/** Daemon shutdown: like stop, but not a manual stop (the restart policy applies at start). */
export async function stopForShutdown(d: Daemon, c: Container): Promise<void> {
  const t = c.rec.Config.StopTimeout ?? 10;
  const sig = parseSignal(c.rec.Config.StopSignal || "SIGTERM");
  await signalContainer(d, c, sig).catch(() => {});
  if (!(await waitExit(d, c, t * 1000))) {
    await signalContainer(d, c, 9, true).catch(() => {});
    await waitExit(d, c, 5000);
  }
}
