// One process the shim watches (the init or an exec): its pid, its stdio and its exit.
import type { ExitInfo, ProcessState, ProcessStatus } from "./protocol.ts";
import type { ProcessIO } from "./io.ts";
import type { JsonLog } from "./jsonlog.ts";
import { waitPid } from "./runtime.ts";

/** Output still unread this long after the exit is given up (a daemonized heir holds it). */
const DRAIN_TIMEOUT_MS = 2000;

export class ShimProcess {
  pid = 0;
  status: ProcessStatus = "created";
  exit: ExitInfo | undefined;
  #exited: Promise<ExitInfo> | undefined;

  constructor(readonly id: string, readonly io: ProcessIO, private log: JsonLog | undefined) {}

  /**
   * Starts watching `pid` (our child, or adopted by us as subreaper). `oomKilled` is asked
   * once it has exited, while its cgroup still exists.
   */
  watch(pid: number, oomKilled?: (exitStatus: number) => Promise<boolean>): void {
    this.pid = pid;
    this.#exited = (async () => {
      const exitStatus = await waitPid(pid);
      const exitedAt = new Date().toISOString();
      const oom = await oomKilled?.(exitStatus).catch(() => false);
      await Promise.race([this.io.drained, new Promise((r) => setTimeout(r, DRAIN_TIMEOUT_MS))]);
      this.io.closeSubscribers();
      this.io.dispose();
      await this.log?.close();
      this.exit = oom ? { exitStatus, exitedAt, oomKilled: true } : { exitStatus, exitedAt };
      this.status = "stopped";
      return this.exit;
    })();
  }

  /** Resolves when the process has exited and its output is drained. */
  wait(): Promise<ExitInfo> {
    if (!this.#exited) throw new Error(`process ${this.id || "init"} has not started`);
    return this.#exited;
  }

  state(): ProcessState {
    return {
      id: this.id,
      pid: this.pid,
      status: this.status,
      exitStatus: this.exit?.exitStatus,
      exitedAt: this.exit?.exitedAt,
      terminal: this.io.terminal,
    };
  }
}
