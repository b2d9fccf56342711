// Running an exec: its OCI process derived from the container's (env, cwd, user, caps),
// started through containerd, output piped to the client (or collected, for healthchecks),
// exit code recorded (126/127 for "not executable"/"not found", as Docker).
import { errorMessage } from "../../lib/errors.ts";
import { ALL_CAPABILITIES, replaceOrAppendEnv, resolveUser } from "../../containerd/oci/mod.ts";
import type { Daemon } from "../daemon.ts";
import { eventAttrs } from "../containers/create.ts";
import { snapshotReader } from "../containers/rootfs_reader.ts";
import type { Container } from "../containers/store.ts";
import type { ExecRecord } from "./store.ts";

export interface ExecIO {
  /** Output as Docker frames them (raw with a tty); undefined: discard. */
  write?: (data: Uint8Array) => Promise<void>;
  stdin?: ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

async function processFor(d: Daemon, c: Container, ex: ExecRecord) {
  const rec = await d.containerd.containers.get(c.rec.ID);
  const base = structuredClone((rec.spec as { process?: Record<string, unknown> }).process ?? {});
  const p = base as Record<string, unknown> & { env?: string[]; capabilities?: unknown };
  p.args = ex.Config.Cmd;
  p.terminal = ex.Config.Tty;
  p.env = replaceOrAppendEnv(p.env ?? [], ex.Config.Env ?? []);
  if (ex.Config.Tty && !p.env.some((e) => e.startsWith("TERM="))) p.env.push("TERM=xterm");
  if (ex.Config.WorkingDir) p.cwd = ex.Config.WorkingDir;
  if (ex.Config.User) {
    const snap = await d.containerd.containers.snapshot(c.rec.ID);
    const u = await resolveUser(ex.Config.User, snapshotReader(snap.mounts));
    p.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  if (ex.Config.Privileged) {
    const all = [...ALL_CAPABILITIES];
    p.capabilities = { bounding: all, effective: all, permitted: all };
  }
  if (ex.Config.ConsoleSize && ex.Config.ConsoleSize[0] > 0) {
    p.consoleSize = { height: ex.Config.ConsoleSize[0], width: ex.Config.ConsoleSize[1] };
  }
  delete p.rlimits;
  return p;
}

function failureCode(msg: string): number {
  if (/executable file not found|no such file or directory|not found/i.test(msg)) return 127;
  if (/permission denied|not executable|exec format/i.test(msg)) return 126;
  return 126;
}

/** Runs `ex` to completion; resolves with its exit code. */
export async function runExec(
  d: Daemon,
  c: Container,
  ex: ExecRecord,
  io: ExecIO,
): Promise<number> {
  const id = c.rec.ID;
  const cmd = ex.Config.Cmd.join(" ");
  ex.Started = true;
  ex.Running = true;
  const attrs = (extra: Record<string, string> = {}) => eventAttrs(c, { execID: ex.ID, ...extra });
  let code: number;
  try {
    const process = await processFor(d, c, ex);
    const stdin = !!io.stdin && ex.Config.AttachStdin;
    const { pid } = await d.containerd.tasks.exec(id, ex.ID, process, ex.Config.Tty, stdin);
    ex.Pid = pid;
    d.events.publish("container", `exec_start: ${cmd}`, id, attrs());
    const pumps: Promise<unknown>[] = [];
    if (io.write && (ex.Config.AttachStdout || ex.Config.AttachStderr)) {
      const out = await d.containerd.tasks.attach(
        id,
        { stdout: ex.Config.AttachStdout, stderr: ex.Config.AttachStderr },
        ex.ID,
        io.signal,
      );
      const write = io.write;
      pumps.push(
        (async () => {
          for await (const chunk of out) await write(chunk);
        })().catch(() => {}),
      );
    }
    if (stdin && io.stdin) {
      d.containerd.tasks.stdin(id, io.stdin, true, ex.ID).catch(() => {});
    }
    const exit = await d.containerd.tasks.wait(id, ex.ID);
    await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 2000))]);
    await d.containerd.tasks.delete(id, ex.ID).catch(() => {});
    code = exit.exitStatus;
  } catch (e) {
    const msg = errorMessage(e);
    code = failureCode(msg);
    const text = `OCI runtime exec failed: exec failed: ${msg}: unknown\r\n`;
    if (io.write) {
      const bytes = new TextEncoder().encode(text);
      if (ex.Config.Tty) await io.write(bytes).catch(() => {});
      else {
        const f = new Uint8Array(8 + bytes.length);
        f[0] = 1;
        new DataView(f.buffer).setUint32(4, bytes.length);
        f.set(bytes, 8);
        await io.write(f).catch(() => {});
      }
    }
  }
  ex.Running = false;
  ex.ExitCode = code;
  ex.Pid = 0;
  // Off the container's ExecIDs at its exit, as dockerd's; exec inspect still finds it.
  c.execs.delete(ex.ID);
  d.events.publish("container", "exec_die", id, attrs({ exitCode: String(code) }));
  return code;
}
