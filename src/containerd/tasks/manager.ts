// Tasks: a container's processes, each task run by its own `engine shim`. containerd
// writes the bundle (config.json + the snapshot mounted as rootfs), starts the shim
// detached in one step, and watches every task so exits become events — also across its
// own restarts, when it reconnects to the shims it finds recorded.
import { createHash } from "node:crypto";
import {
  conflict,
  EngineError,
  type ErrorKind,
  failedPrecondition,
  invalidArgument,
  notFound,
} from "../../lib/errors.ts";
import { selfPath } from "../../lib/self.ts";
import { pidfdOpen, waitPidfd } from "../../sys/process.ts";
import { close } from "../../sys/libc.ts";
import { ShimClient, ShimError, ShimGone } from "../../shim/client.ts";
import type { ExitInfo, LogConfig, TaskState } from "../../shim/protocol.ts";
import type { ContainerStore, TaskRecord } from "../containers/store.ts";
import type { EventLog } from "../events.ts";
import type { Runtimes } from "../runtimes.ts";
import type { OverlaySnapshotter } from "../snapshots/mod.ts";
import { mountAll, unmountAll } from "./rootfs.ts";

export interface CreateTaskOptions {
  terminal: boolean;
  stdin: boolean;
  log: LogConfig;
}

const SHIM_READY_TIMEOUT_MS = 10_000;

/** The shim's own error kinds carry over; an unreachable shim is "unavailable". */
function fromShim(e: unknown, id: string): EngineError {
  if (e instanceof ShimError) {
    return new EngineError(e.kind as ErrorKind, `task ${id}: ${e.message}`);
  }
  if (e instanceof ShimGone) return new EngineError("unavailable", `task ${id}: shim is gone`);
  return new EngineError("internal", `task ${id}: ${(e as Error).message}`);
}

/**
 * A started, unassigned shim: its socket, and the write end of its stdin pipe, which keeps it
 * alive while it waits (closed, or with us dead, an idle shim exits; see src/shim/main.ts).
 */
interface IdleShim {
  socket: string;
  lifeline: WritableStream<Uint8Array>;
}

/** Lets an idle shim go: adopted, it stays; unassigned, it exits. */
const release = (shim: IdleShim) => shim.lifeline.close().catch(() => {});

async function stopIdleShim(socket: string) {
  const shim = new ShimClient(socket);
  await shim.shutdown().catch(() => {});
  shim.close();
  await Deno.remove(socket).catch(() => {});
}

export class TaskManager {
  #shims = new Map<string, ShimClient>();
  /** Exit statuses of tasks whose shim died, until the task is deleted. */
  #dead = new Map<string, ExitInfo>();
  /** Each task's monitor: settles once its exit (or its shim's death) is handled. */
  #monitors = new Map<string, Promise<void>>();
  /** A shim started ahead of time, waiting for the next container. */
  #idle: Promise<IdleShim> | undefined;

  constructor(
    private stateDir: string,
    private containers: ContainerStore,
    private snapshots: OverlaySnapshotter,
    private runtimes: Runtimes,
    private events: EventLog,
  ) {}

  #paths(id: string) {
    const hash = createHash("sha256").update(id).digest("hex").slice(0, 16);
    const socket = `${this.stateDir}/s/${hash}.sock`;
    if (new TextEncoder().encode(socket).length > 107) {
      throw failedPrecondition(
        `state directory ${this.stateDir} is too long for a shim socket path`,
      );
    }
    return {
      socket,
      bundle: `${this.stateDir}/bundles/${id}`,
      work: `${this.stateDir}/shims/${id}`,
    };
  }

  #shim(id: string): ShimClient {
    const s = this.#shims.get(id);
    if (!s) {
      if (this.#dead.has(id)) {
        throw failedPrecondition(`task ${id}: shim is gone, the task has exited`);
      }
      throw notFound(`task ${id}: not found`);
    }
    return s;
  }

  async create(id: string, o: CreateTaskOptions): Promise<{ pid: number }> {
    const c = this.containers.get(id);
    if (this.containers.task(id)) throw conflict(`task ${id}: already exists`);
    if (!c.snapshotKey) throw failedPrecondition(`container ${id} has no rootfs snapshot`);
    const runtime = this.runtimes.resolve(c.runtime);
    const p = this.#paths(id);
    await Deno.mkdir(`${p.bundle}/rootfs`, { recursive: true, mode: 0o711 });
    await Deno.mkdir(`${this.stateDir}/s`, { recursive: true, mode: 0o700 });
    const spec = { ...c.spec, root: { ...(c.spec.root as object ?? {}), path: "rootfs" } };
    await Deno.writeTextFile(`${p.bundle}/config.json`, JSON.stringify(spec), { mode: 0o600 });
    let mounted = false;
    let shim: ShimClient | undefined;
    try {
      mountAll(this.snapshots.mounts(c.snapshotKey), `${p.bundle}/rootfs`);
      mounted = true;
      const taken = await this.#takeShim();
      const idle = new ShimClient(taken.socket);
      await idle.adopt({ id, bundle: p.bundle, work: p.work, socket: p.socket, runtime }).finally(
        () => {
          idle.close();
          release(taken);
        },
      );
      shim = new ShimClient(p.socket);
      const { pid } = await shim.create(o).catch((e) => {
        throw fromShim(e, id);
      });
      const rec: TaskRecord = {
        id,
        ...p,
        runtime: JSON.stringify(runtime),
        pid,
        created: new Date().toISOString(),
      };
      this.containers.putTask(rec);
      this.#shims.set(id, shim);
      this.events.publish("task.create", id, { pid, bundle: p.bundle });
      this.#monitor(id, rec);
      return { pid };
    } catch (e) {
      if (shim) {
        await shim.shutdown().catch(() => {});
        shim.close();
      }
      if (mounted) unmountAll(`${p.bundle}/rootfs`);
      await Deno.remove(p.bundle, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  /** Starts an unassigned shim detached (setsid) and waits for its "ready" line. */
  async #spawnShim(): Promise<IdleShim> {
    const socket = `${this.stateDir}/s/idle-${crypto.randomUUID().slice(0, 8)}.sock`;
    const child = new Deno.Command(selfPath(), {
      args: ["shim", "--socket", socket],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      detached: true,
    }).spawn();
    const reader = child.stdout.getReader();
    const timer = setTimeout(() => reader.cancel().catch(() => {}), SHIM_READY_TIMEOUT_MS);
    const { value } = await reader.read().catch(() => ({ value: undefined }));
    clearTimeout(timer);
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    child.unref();
    if (!value || !new TextDecoder().decode(value).startsWith("ready")) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      child.stdin.close().catch(() => {});
      throw new EngineError("unavailable", "shim did not start");
    }
    return { socket, lifeline: child.stdin };
  }

  /**
   * A ready shim: the one kept idle for the next container, or one being started for it.
   * The idle one is taken and replaced before any await, so concurrent creates each get
   * their own shim starting in parallel (not one after the other), and none is left over.
   */
  async #takeShim(): Promise<IdleShim> {
    const mine = this.#idle ?? this.#spawnShim();
    this.#idle = this.#spawnShim();
    this.#idle.catch(() => {});
    return await mine.catch(() => this.#spawnShim());
  }

  /** Stops the idle shim (containerd shutting down). */
  async close(): Promise<void> {
    const idle = await this.#idle?.catch(() => undefined);
    this.#idle = undefined;
    if (idle) {
      await stopIdleShim(idle.socket);
      await release(idle);
    }
  }

  /** Watches a task's init until it exits, then publishes task.exit (once per exit). */
  #monitor(id: string, rec: TaskRecord) {
    this.#monitors.set(
      id,
      (async () => {
        const shim = this.#shims.get(id);
        if (!shim) return;
        try {
          const exit = await shim.wait();
          if (exit.oomKilled) this.events.publish("task.oom", id, { pid: rec.pid });
          this.events.publish("task.exit", id, { pid: rec.pid, ...exit });
        } catch (e) {
          if (e instanceof ShimGone) await this.#shimDied(id, rec);
        }
      })(),
    );
  }

  /** The shim is gone: kill what is left of the container, reap it, clean up. */
  async #shimDied(id: string, rec: TaskRecord) {
    const rt = JSON.parse(rec.runtime) as { path: string; args: string[] };
    let exitStatus = 255;
    let pidfd = -1;
    try {
      pidfd = pidfdOpen(rec.pid);
    } catch { /* already reaped elsewhere, or not ours */ }
    await new Deno.Command(rt.path, {
      args: [...rt.args, "--root", `${rec.work}/runtime`, "delete", "--force", id],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => {});
    if (pidfd >= 0) {
      // Adopted by us (the subreaper) when the shim died: reap it for its real status.
      const timeout = new Promise<number>((r) => setTimeout(() => r(255), 2000));
      exitStatus = await Promise.race([waitPidfd(pidfd).catch(() => 255), timeout]);
      close(pidfd);
    }
    unmountAll(`${rec.bundle}/rootfs`);
    const exit = { exitStatus, exitedAt: new Date().toISOString() };
    this.#dead.set(id, exit);
    this.#shims.get(id)?.close();
    this.#shims.delete(id);
    this.events.publish("task.exit", id, { pid: rec.pid, ...exit });
  }

  /** Reconnects to the shims of recorded tasks (containerd restart). */
  async restore(): Promise<void> {
    // Idle shims of an earlier run have no container: stop them.
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(`${this.stateDir}/s`)) names.push(e.name);
    } catch { /* no shims yet */ }
    for (const name of names.filter((n) => n.startsWith("idle-"))) {
      await stopIdleShim(`${this.stateDir}/s/${name}`);
    }
    for (const rec of this.containers.tasks()) {
      const shim = new ShimClient(rec.socket);
      try {
        const st = await shim.state();
        this.#shims.set(rec.id, shim);
        if (st.status === "stopped" && st.exitStatus !== undefined) {
          // It exited while we were away; the event may not have been published.
          this.events.publish("task.exit", rec.id, {
            pid: rec.pid,
            exitStatus: st.exitStatus,
            exitedAt: st.exitedAt,
          });
        } else this.#monitor(rec.id, rec);
      } catch {
        shim.close();
        await this.#shimDied(rec.id, rec);
      }
    }
  }

  async start(id: string): Promise<{ pid: number }> {
    const r = await this.#shim(id).start().catch((e) => {
      throw fromShim(e, id);
    });
    this.events.publish("task.start", id, { pid: r.pid });
    return r;
  }

  async kill(id: string, signal: number, all = false, exec?: string): Promise<void> {
    await this.#shim(id).kill({ signal, all, exec }).catch((e) => {
      throw fromShim(e, id);
    });
  }

  async wait(id: string, exec?: string, signal?: AbortSignal): Promise<ExitInfo> {
    const dead = this.#dead.get(id);
    if (dead && !exec) return dead;
    try {
      return await this.#shim(id).wait(exec, signal);
    } catch (e) {
      // The shim died under us: its monitor reaps the container and records the exit.
      if (e instanceof ShimGone && !exec) await this.#monitors.get(id);
      const exit = this.#dead.get(id);
      if (exit && !exec) return exit;
      throw fromShim(e, id);
    }
  }

  async delete(id: string, exec?: string): Promise<ExitInfo> {
    const rec = this.containers.task(id);
    if (!rec) throw notFound(`task ${id}: not found`);
    if (exec) {
      return await this.#shim(id).delete(exec).catch((e) => {
        throw fromShim(e, id);
      });
    }
    let exit = this.#dead.get(id);
    if (!exit) {
      exit = await this.#shim(id).delete().catch((e) => {
        throw fromShim(e, id);
      });
    }
    this.#shims.get(id)?.close();
    this.#shims.delete(id);
    this.#dead.delete(id);
    this.#monitors.delete(id);
    unmountAll(`${rec.bundle}/rootfs`);
    await Deno.remove(rec.bundle, { recursive: true }).catch(() => {});
    await Deno.remove(rec.work, { recursive: true }).catch(() => {});
    this.containers.deleteTask(id);
    this.events.publish("task.delete", id, { pid: rec.pid, ...exit });
    return exit;
  }

  async state(id: string): Promise<TaskState> {
    const dead = this.#dead.get(id);
    const rec = this.containers.task(id);
    if (dead && rec) {
      return {
        id,
        pid: rec.pid,
        status: "stopped",
        ...dead,
        terminal: false,
        bundle: rec.bundle,
        shimPid: 0,
        execs: [],
      };
    }
    return await this.#shim(id).state().catch((e) => {
      throw fromShim(e, id);
    });
  }

  list(): string[] {
    return this.containers.tasks().map((t) => t.id);
  }

  async exec(
    id: string,
    exec: string,
    process: Record<string, unknown>,
    terminal: boolean,
    stdin: boolean,
  ) {
    if (!process || typeof process !== "object") throw invalidArgument("exec: process is required");
    const r = await this.#shim(id).exec({ exec, process, terminal, stdin }).catch((e) => {
      throw fromShim(e, id);
    });
    this.events.publish("task.exec-started", id, { exec, pid: r.pid });
    return r;
  }

  shim(id: string): ShimClient {
    return this.#shim(id);
  }

  hasTask(id: string): boolean {
    return this.containers.task(id) !== undefined;
  }
}
