// The parent's side of the sync socket with the container process (libnsenter/plan.h).
import { close, errnoText, read, write } from "./libc.ts";
import { Op, type Plan, type Step } from "./plan_format.ts";

export const enum SyncType {
  Pid = 1,
  Step = 2,
  Ready = 3,
  Error = 4,
}

export interface SyncMsg {
  type: SyncType;
  step: number;
  errno: number;
  value: number;
}

export class ContainerSetupError extends Error {
  constructor(what: string, readonly errno: number, text = errnoText(errno)) {
    super(`unable to start container process: ${what}: ${text}`);
  }
}

/** Go's words for the signals a hook most often dies of ("signal: killed"). */
const SIGNAL_TEXT: Record<number, string> = {
  1: "hangup",
  2: "interrupt",
  6: "aborted",
  9: "killed",
  11: "segmentation fault",
  15: "terminated",
};

/**
 * A hook run by the container process failed: runc's words. ECANCELED carries the hook's
 * wait status; ETIMEDOUT its timeout; another errno is its execve's.
 */
function hookError(what: string, step: Step, msg: SyncMsg): ContainerSetupError {
  const [, timeout, path] = step.fields;
  if (msg.errno === 125) {
    const status = msg.value;
    const signal = status & 0x7f;
    const text = signal
      ? `signal: ${SIGNAL_TEXT[signal] ?? signal}`
      : `exit status ${(status >> 8) & 0xff}`;
    return new ContainerSetupError(what, msg.errno, `error running hook: ${text}`);
  }
  if (msg.errno === 110) {
    const text = `hook ran past specified timeout of ${Number(timeout).toFixed(1)}s`;
    return new ContainerSetupError(what, msg.errno, text);
  }
  return new ContainerSetupError(what, msg.errno, `fork/exec ${path}: ${errnoText(msg.errno)}`);
}

export class SyncSocket {
  private buf = new Uint8Array(16);
  constructor(readonly fd: number, private plan: Plan) {}

  /** The next message, or null on EOF (the process exec'd or died). */
  async next(): Promise<SyncMsg | null> {
    let got = 0;
    while (got < 16) {
      const chunk = new Uint8Array(16 - got);
      const n = await read(this.fd, chunk);
      if (n === 0) return null;
      this.buf.set(chunk.subarray(0, n), got);
      got += n;
    }
    const v = new DataView(this.buf.buffer);
    return {
      type: v.getInt32(0, true),
      step: v.getInt32(4, true),
      errno: v.getInt32(8, true),
      value: v.getInt32(12, true),
    };
  }

  /** Lets the child go on (after the initial setup or an OP_SYNC). */
  ack(): void {
    write(this.fd, new Uint8Array([1]));
  }

  /** Sends a length-prefixed text (OP_RECV_STATE reads it). */
  send(text: string): void {
    const body = new TextEncoder().encode(text);
    if (body.length > 32768) throw new Error("container state too large for hooks");
    const msg = new Uint8Array(4 + body.length);
    new DataView(msg.buffer).setUint32(0, body.length, true);
    msg.set(body, 4);
    for (let off = 0; off < msg.length;) off += write(this.fd, msg.subarray(off));
  }

  /** The error a SyncType.Error message describes, naming the step. */
  error(msg: SyncMsg): ContainerSetupError {
    const what = msg.step >= 0
      ? this.plan.steps[msg.step]?.what ?? `step ${msg.step}`
      : msg.step === -1
      ? "clone container process"
      : `join namespace ${this.plan.join[-2 - msg.step]?.[1] ?? "?"}`;
    const step = msg.step >= 0 ? this.plan.steps[msg.step] : undefined;
    if (step?.op === Op.Hook) return hookError(what, step, msg);
    // args[0] not found on PATH reads as Go's exec.LookPath error, as runc prints it.
    const name = step?.op === Op.Lookpath ? String(step.fields[0]) : "";
    if (name && !name.includes("/") && msg.errno === 2) {
      return new ContainerSetupError(what, msg.errno, "executable file not found in $PATH");
    }
    return new ContainerSetupError(what, msg.errno);
  }

  close(): void {
    close(this.fd);
  }
}
