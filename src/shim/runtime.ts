// Runs the OCI runtime (engine runc, runc or crun) with runc's command line. The shim is
// a subreaper, so it spawns without Deno.Command (which reaps on its own) and waits with
// pidfds: nothing here calls waitpid(-1).
import { close } from "../sys/libc.ts";
import { selfPath } from "../lib/self.ts";
import { spawn } from "../sys/libnsenter.ts";
import { Op, type Plan } from "../sys/plan_format.ts";
import { openRaw, pidfdOpen, waitPidfd } from "../sys/process.ts";
import { SyncSocket, SyncType } from "../sys/sync.ts";

export interface RuntimeConfig {
  /** The program, e.g. /usr/sbin/runc, or our own binary with args ["runc"]. */
  path: string;
  args: string[];
  /** --root of the runtime's state. */
  root: string;
}

const O_RDWR = 2;

/** Spawns `path argv…` with the given stdio fds; resolves with its pid once it has exec'd. */
export async function spawnProgram(
  path: string,
  argv: string[],
  stdio: [number, number, number],
): Promise<number> {
  const env = Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  const plan: Plan = {
    cloneFlags: 0,
    join: [],
    steps: [
      { op: Op.Dup2, what: "dup2 stdin", fields: [stdio[0], 0] },
      { op: Op.Dup2, what: "dup2 stdout", fields: [stdio[1], 1] },
      { op: Op.Dup2, what: "dup2 stderr", fields: [stdio[2], 2] },
      { op: Op.CloseFds, what: "close fds", fields: [3] },
      { op: Op.Exec, what: `exec ${path}`, fields: [path, argv, env] },
    ],
  };
  const { pid, syncFd } = spawn(plan);
  const sync = new SyncSocket(syncFd, plan);
  try {
    sync.ack();
    const msg = await sync.next();
    if (msg?.type === SyncType.Error) throw sync.error(msg);
  } finally {
    sync.close();
  }
  return pid;
}

/** Waits for a child (or adopted) process by pid; its exit code (128+n for signal n). */
export async function waitPid(pid: number): Promise<number> {
  const fd = pidfdOpen(pid);
  try {
    return await waitPidfd(fd);
  } finally {
    close(fd);
  }
}

export class RuntimeError extends Error {}

export class Runtime {
  /** Our own runtime runs in this process: no process start per command. */
  readonly #builtin: boolean;

  constructor(private cfg: RuntimeConfig, private logPath: string) {
    this.#builtin = cfg.path === selfPath() && cfg.args.length === 1 && cfg.args[0] === "runc";
  }

  /** argv for a runtime command, with runc's global flags: its root and a JSON log we read. */
  #argv(args: string[]): string[] {
    const globals = ["--root", this.cfg.root, "--log", this.logPath, "--log-format", "json"];
    return [this.cfg.path, ...this.cfg.args, ...globals, ...args];
  }

  /** Runs one runtime command to completion; throws with the runtime's own error message. */
  async run(args: string[], stdio?: [number, number, number]): Promise<void> {
    const argv = this.#argv(args);
    if (this.#builtin) {
      try {
        await this.#inProcess(args, stdio);
      } catch (e) {
        throw new RuntimeError(`${args[0]}: ${(e as Error).message}`);
      }
      return;
    }
    const devnull = stdio ? -1 : openRaw("/dev/null", O_RDWR);
    let code: number;
    try {
      const pid = await spawnProgram(this.cfg.path, argv, stdio ?? [devnull, devnull, devnull]);
      code = await waitPid(pid);
    } finally {
      if (devnull >= 0) close(devnull);
    }
    if (code !== 0) {
      throw new RuntimeError(`${args[0]}: ${await this.lastError() ?? `exit status ${code}`}`);
    }
  }

  /**
   * The same command, run by our runtime's library in this process. `args` are the ones
   * run() builds for a binary: a verb, its flags, then the container id.
   */
  async #inProcess(args: string[], stdio?: [number, number, number]): Promise<void> {
    const runc = await import("../runc/api.ts");
    const [verb, ...rest] = args;
    const flag = (name: string) => {
      const i = rest.indexOf(name);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    // The id is the last argument, except for kill: `kill [--all] ID SIGNAL`.
    const id = verb === "kill" ? rest[rest.length - 2] : rest[rest.length - 1];
    const root = this.cfg.root;
    switch (verb) {
      case "create": {
        const { sync } = await runc.create({
          root,
          id,
          bundle: flag("--bundle")!,
          pidFile: flag("--pid-file"),
          consoleSocket: flag("--console-socket"),
          noPivot: false,
          preserveFds: 0,
          detached: true,
          stdio,
        });
        sync.close();
        return;
      }
      case "start":
        await runc.start(root, id);
        return;
      case "kill":
        await runc.kill(root, id, Number(rest[rest.length - 1]), rest.includes("--all"));
        return;
      case "delete":
        await runc.deleteContainer(root, id, rest.includes("--force"));
        return;
      case "pause":
        await runc.pause(root, id);
        return;
      case "resume":
        await runc.resume(root, id);
        return;
      case "exec":
        await runc.exec({
          root,
          id,
          processFile: flag("--process"),
          args: [],
          tty: false,
          env: [],
          additionalGids: [],
          caps: [],
          noNewPrivs: false,
          detach: true,
          pidFile: flag("--pid-file"),
          consoleSocket: flag("--console-socket"),
          preserveFds: 0,
          ignorePaused: false,
          cgroups: [],
          stdio,
        });
        return;
      default:
        throw new Error(`unsupported runtime command ${verb}`);
    }
  }

  /** The last error the runtime logged (runc's --log-format json lines). */
  async lastError(): Promise<string | undefined> {
    let text = "";
    try {
      text = await Deno.readTextFile(this.logPath);
    } catch {
      return undefined;
    }
    for (const line of text.trim().split("\n").reverse()) {
      try {
        const entry = JSON.parse(line);
        if (entry.level === "error" || entry.level === "fatal") return String(entry.msg);
      } catch { /* a non-JSON line */ }
    }
    return undefined;
  }

  /** Runs a runtime command and returns what it printed on stdout. */
  async #capture(args: string[]): Promise<string> {
    const { pipe } = await import("../sys/process.ts");
    const [r, w] = pipe();
    const devnull = openRaw("/dev/null", O_RDWR);
    const argv = this.#argv(args);
    try {
      const pid = await spawnProgram(this.cfg.path, argv, [devnull, w, devnull]);
      close(w);
      const file = await Deno.open(`/proc/self/fd/${r}`, { read: true });
      const out = new TextDecoder().decode(await new Response(file.readable).arrayBuffer());
      const code = await waitPid(pid);
      if (code !== 0) {
        throw new RuntimeError(`${args[0]}: ${await this.lastError() ?? `exit status ${code}`}`);
      }
      return out;
    } finally {
      close(r);
      close(devnull);
      close(w); // a second close of a closed fd is harmless (EBADF)
    }
  }

  /** `ps --format json`: the container's pids. */
  async pids(id: string): Promise<number[]> {
    if (this.#builtin) return await (await import("../runc/api.ts")).pidsOf(this.cfg.root, id);
    const pids = JSON.parse((await this.#capture(["ps", "--format", "json", id])) || "[]");
    return Array.isArray(pids) ? pids.filter((p) => Number.isInteger(p)) : [];
  }

  /** `events --stats`: runc's Stats JSON for the container's cgroup. */
  async stats(id: string): Promise<Record<string, unknown>> {
    let out = "";
    if (this.#builtin) {
      const { events } = await import("../runc/api.ts");
      await events(this.cfg.root, id, {
        stats: true,
        intervalMs: 1,
        write: (l) => void (out += l),
      });
    } else {
      out = await this.#capture(["events", "--stats", id]);
    }
    const event = JSON.parse(out.trim().split("\n")[0] || "{}");
    return (event.data ?? {}) as Record<string, unknown>;
  }

  /** `update -r FILE`: new cgroup resources (OCI LinuxResources) for the container. */
  async update(id: string, resourcesFile: string): Promise<void> {
    if (this.#builtin) {
      try {
        await (await import("../runc/api.ts")).update(this.cfg.root, id, {
          resources: resourcesFile,
        });
      } catch (e) {
        throw new RuntimeError(`update: ${(e as Error).message}`);
      }
      return;
    }
    await this.run(["update", "-r", resourcesFile, id]);
  }

  /** How many times the OOM killer struck in the container (built-in runtime only). */
  async oomKills(id: string): Promise<number> {
    if (!this.#builtin) return 0;
    return await (await import("../runc/api.ts")).oomKillsOf(this.cfg.root, id).catch(() => 0);
  }
}
