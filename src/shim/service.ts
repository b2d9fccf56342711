// The shim's task service: the container's init and its exec processes, driven through
// the OCI runtime, watched until they exit and kept until deleted.
import { kill as sysKill } from "../sys/libc.ts";
import { ProcessIO } from "./io.ts";
import { JsonLog } from "./jsonlog.ts";
import { ShimProcess } from "./process.ts";
import {
  BadRequest,
  type CreateRequest,
  type ExecRequest,
  type ExitInfo,
  type KillRequest,
  type ProcessState,
  type TaskState,
} from "./protocol.ts";
import { Runtime, type RuntimeConfig } from "./runtime.ts";

export interface ShimOptions {
  id: string;
  bundle: string;
  /** The shim's own directory: console sockets, exec process files, the runtime's log. */
  workDir: string;
  runtime: RuntimeConfig;
}

export class NotFound extends Error {}
export class Conflict extends Error {}

const CONSOLE_TIMEOUT_MS = 10_000;

export class TaskService {
  #init: ShimProcess | undefined;
  #execs = new Map<string, ShimProcess>();
  #runtime: Runtime;
  /** Called (and awaited before the answer) once the init is deleted: the shim's work is done. */
  onDeleted: () => Promise<void> = async () => {};

  constructor(private o: ShimOptions) {
    this.#runtime = new Runtime(o.runtime, `${o.workDir}/runtime.log`);
  }

  #process(exec?: string | null): ShimProcess {
    if (!exec) {
      if (!this.#init) throw new NotFound(`task ${this.o.id} not created`);
      return this.#init;
    }
    const p = this.#execs.get(exec);
    if (!p) throw new NotFound(`exec ${exec} not found in task ${this.o.id}`);
    return p;
  }

  /** Sets up stdio for a new process: pipes, or a console socket and the pty it brings. */
  async #stdio(name: string, terminal: boolean, stdin: boolean, log: JsonLog) {
    // An exec starts before anyone can attach to it: keep its output for the first client.
    const backlog = name !== "init";
    if (!terminal) {
      return {
        io: await ProcessIO.withPipes(log, stdin, backlog),
        consoleArgs: [],
        ready: undefined,
      };
    }
    // A unix socket path holds at most 107 bytes: the work dir (with a 64-hex id) plus a
    // 64-hex exec id does not fit, so the console socket lives in a short private dir.
    let socket = `${this.o.workDir}/${name}.console`;
    if (new TextEncoder().encode(socket).length > 100) {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "esc" });
      await Deno.chmod(dir, 0o700);
      socket = `${dir}/c.sock`;
    }
    const { io, ready } = await ProcessIO.withConsole(log, socket, backlog);
    return { io, consoleArgs: ["--console-socket", socket], ready };
  }

  async #readPid(path: string): Promise<number> {
    const pid = Number((await Deno.readTextFile(path)).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pid file ${path}`);
    return pid;
  }

  async #launch(p: ShimProcess, args: string[], ready: Promise<void> | undefined, pidFile: string) {
    try {
      await this.#runtime.run(args, p.io.childFds);
      if (ready) {
        await Promise.race([
          ready,
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error("timed out waiting for the console")),
              CONSOLE_TIMEOUT_MS,
            )
          ),
        ]);
      }
    } finally {
      p.io.releaseChildFds();
    }
    // Only the init's end can be an OOM kill of the container.
    const oom = p.id === "" ? (status: number) => this.#oomKilled(status) : undefined;
    p.watch(await this.#readPid(pidFile), oom);
  }

  async create(req: CreateRequest): Promise<{ pid: number }> {
    if (this.#init) throw new Conflict(`task ${this.o.id} already created`);
    const log = new JsonLog(req.log);
    await log.open();
    const { io, consoleArgs, ready } = await this.#stdio("init", req.terminal, req.stdin, log);
    const init = new ShimProcess("", io, log);
    const pidFile = `${this.o.workDir}/init.pid`;
    try {
      await this.#launch(
        init,
        ["create", "--bundle", this.o.bundle, "--pid-file", pidFile, ...consoleArgs, this.o.id],
        ready,
        pidFile,
      );
    } catch (e) {
      io.dispose();
      await log.close();
      throw e;
    }
    this.#init = init;
    return { pid: init.pid };
  }

  async start(): Promise<{ pid: number }> {
    const init = this.#process();
    if (init.status !== "created") throw new Conflict(`task ${this.o.id} is ${init.status}`);
    await this.#runtime.run(["start", this.o.id]);
    if (init.status === "created") init.status = "running";
    return { pid: init.pid };
  }

  async exec(req: ExecRequest): Promise<{ pid: number }> {
    const init = this.#process();
    if (init.status !== "running") throw new Conflict(`task ${this.o.id} is ${init.status}`);
    if (this.#execs.has(req.exec)) throw new Conflict(`exec ${req.exec} already exists`);
    const processFile = `${this.o.workDir}/${req.exec}.json`;
    await Deno.writeTextFile(processFile, JSON.stringify(req.process), { mode: 0o600 });
    const log = new JsonLog({});
    const { io, consoleArgs, ready } = await this.#stdio(req.exec, req.terminal, req.stdin, log);
    const p = new ShimProcess(req.exec, io, undefined);
    const pidFile = `${this.o.workDir}/${req.exec}.pid`;
    this.#execs.set(req.exec, p);
    try {
      await this.#launch(
        p,
        [
          "exec",
          "--process",
          processFile,
          "--detach",
          "--pid-file",
          pidFile,
          ...consoleArgs,
          this.o.id,
        ],
        ready,
        pidFile,
      );
    } catch (e) {
      this.#execs.delete(req.exec);
      io.dispose();
      throw e;
    } finally {
      await Deno.remove(processFile).catch(() => {});
    }
    p.status = "running";
    return { pid: p.pid };
  }

  async kill(req: KillRequest): Promise<void> {
    const p = this.#process(req.exec);
    if (p.status === "stopped") throw new Conflict(`process ${p.pid} is not running`);
    if (req.exec) {
      sysKill(p.pid, req.signal);
      return;
    }
    await this.#runtime.run(["kill", ...(req.all ? ["--all"] : []), this.o.id, String(req.signal)]);
  }

  wait(exec?: string | null): Promise<ExitInfo> {
    return this.#process(exec).wait();
  }

  async delete(exec?: string | null): Promise<ExitInfo> {
    const p = this.#process(exec);
    if (!p.exit) throw new Conflict(`process ${p.pid} is still ${p.status}`);
    if (exec) {
      this.#execs.delete(exec);
      return p.exit;
    }
    await this.#runtime.run(["delete", "--force", this.o.id]);
    await this.onDeleted();
    return p.exit;
  }

  async pause(): Promise<void> {
    const init = this.#process();
    await this.#runtime.run(["pause", this.o.id]);
    init.status = "paused";
  }

  async resume(): Promise<void> {
    const init = this.#process();
    await this.#runtime.run(["resume", this.o.id]);
    if (init.status === "paused") init.status = "running";
  }

  async #oomKilled(exitStatus: number): Promise<boolean> {
    return exitStatus === 137 && (await this.#runtime.oomKills(this.o.id)) > 0;
  }

  stats(): Promise<Record<string, unknown>> {
    this.#process();
    return this.#runtime.stats(this.o.id);
  }

  async update(resources: Record<string, unknown>): Promise<void> {
    this.#process();
    const file = `${this.o.workDir}/resources.json`;
    await Deno.writeTextFile(file, JSON.stringify(resources), { mode: 0o600 });
    try {
      await this.#runtime.update(this.o.id, file);
    } finally {
      await Deno.remove(file).catch(() => {});
    }
  }

  pids(): Promise<number[]> {
    return this.#runtime.pids(this.o.id);
  }

  io(exec?: string | null): ProcessIO {
    return this.#process(exec).io;
  }

  state(): TaskState {
    const init = this.#init?.state() ??
      { id: "", pid: 0, status: "created", terminal: false } satisfies ProcessState;
    return {
      ...init,
      id: this.o.id,
      bundle: this.o.bundle,
      shimPid: Deno.pid,
      execs: [...this.#execs.values()].map((p) => p.state()),
    };
  }

  /** Nothing is running: the shim may exit. */
  idle(): boolean {
    return (!this.#init || this.#init.status === "stopped") &&
      [...this.#execs.values()].every((p) => p.status === "stopped");
  }
}

export { BadRequest };
