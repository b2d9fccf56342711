// The parent's side of the sync socket with the container process (libnsenter/plan.h).
import { close, errnoText, read, write } from "./libc.ts";
import { Op, type Plan } from "./plan_format.ts";

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
