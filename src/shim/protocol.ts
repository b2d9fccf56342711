// The shim's task API: HTTP/1.1 with JSON bodies on the shim's own unix socket (0600).
// Kept small, so its steady-state part could become a tiny C monitor without touching
// containerd's side. `exec` names an exec process; absent or "" means the init.
//
//   POST /create   CreateRequest → { pid }        runtime create (init waits on its fifo)
//   POST /start    ?exec         → { pid }        runtime start (init) / —
//   POST /exec     ExecRequest   → { pid }        runtime exec --detach (created and started)
//   POST /kill     KillRequest   → {}             runtime kill [--all] (init) / kill(2) (exec)
//   GET  /wait     ?exec         → ExitInfo       blocks until the process has exited
//   POST /delete   ?exec         → ExitInfo       forgets an exited process; runtime delete (init);
//                                                 the shim exits once the init is deleted
//   GET  /state                  → TaskState
//   GET  /pids                   → { pids }
//   GET  /stats                  → runc's Stats JSON (runtime events --stats)
//   POST /update   { resources } → {}             runtime update -r (OCI LinuxResources)
//   POST /pause, /resume         → {}
//   POST /resize   ResizeRequest → {}
//   POST /close-stdin ?exec      → {}
//   POST /stdin    ?exec&close   body streamed to the process's stdin (close=1: EOF after)
//   GET  /attach   ?exec&stdout&stderr  output as it comes: raw with a tty, otherwise
//                                 Docker's multiplexed frames (8-byte header: stream, 0,0,0, size BE)
//   POST /shutdown               → {}             exits when nothing runs
// Errors: status 4xx/5xx with { message, kind } (kind as src/lib/errors.ts).

export interface LogConfig {
  /** json-file path; absent: output goes only to attached clients. */
  path?: string;
  /** Rotate after this many bytes (0: never). */
  maxSize?: number;
  /** Files kept, the live one included. */
  maxFile?: number;
}

export interface CreateRequest {
  terminal: boolean;
  /** Keep a stdin pipe open to the process (docker run -i). */
  stdin: boolean;
  log: LogConfig;
}

export interface ExecRequest {
  exec: string;
  /** The OCI process to run. */
  process: Record<string, unknown>;
  terminal: boolean;
  stdin: boolean;
}

export interface KillRequest {
  exec?: string;
  signal: number;
  all?: boolean;
}

export interface ResizeRequest {
  exec?: string;
  width: number;
  height: number;
}

export interface ExitInfo {
  exitStatus: number;
  exitedAt: string;
  /** The OOM killer ended it (reported by the built-in runtime). */
  oomKilled?: boolean;
}

export type ProcessStatus = "created" | "running" | "paused" | "stopped";

export interface ProcessState {
  id: string;
  pid: number;
  status: ProcessStatus;
  exitStatus?: number;
  exitedAt?: string;
  terminal: boolean;
}

export interface TaskState extends ProcessState {
  bundle: string;
  /** The shim's own pid. */
  shimPid: number;
  execs: ProcessState[];
}

const ID = /^[\w+.-]{1,128}$/;

export class BadRequest extends Error {}

/** Lean checks: the shim is on the container start path, so no zod here. */
export function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new BadRequest(what);
}

export function checkExecId(id: unknown): string {
  check(typeof id === "string" && ID.test(id), `invalid exec id ${JSON.stringify(id)}`);
  return id as string;
}

export function checkLog(v: unknown): LogConfig {
  check(typeof v === "object" && v !== null, "log must be an object");
  const l = v as LogConfig;
  check(
    l.path === undefined || (typeof l.path === "string" && l.path.startsWith("/")),
    "log.path must be absolute",
  );
  check(l.maxSize === undefined || (Number.isInteger(l.maxSize) && l.maxSize >= 0), "log.maxSize");
  check(l.maxFile === undefined || (Number.isInteger(l.maxFile) && l.maxFile >= 1), "log.maxFile");
  return l;
}
