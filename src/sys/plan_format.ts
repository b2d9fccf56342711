// The plan's byte format, written here and executed by libnsenter/steps.c.
// Keep in sync with libnsenter/plan.h.

export const PLAN_MAGIC = 0x4e474e45;
export const PLAN_VERSION = 1;

export enum Op {
  Sync = 1,
  Setsid = 2,
  Unshare = 3,
  OpenRoot = 4,
  Mount = 5,
  MountHost = 6,
  Remount = 7,
  Mkdir = 8,
  Mknod = 9,
  Symlink = 10,
  PivotRoot = 11,
  Chroot = 12,
  Mask = 13,
  Readonly = 14,
  Sethostname = 15,
  Setdomainname = 16,
  WriteFile = 17,
  Setrlimit = 18,
  Console = 19,
  Dup2 = 20,
  Chdir = 21,
  Umask = 22,
  Setgroups = 23,
  Setid = 24,
  Caps = 25,
  NoNewPrivs = 26,
  Seccomp = 27,
  ExecFifoOpen = 28,
  Ready = 29,
  ExecFifoWait = 30,
  CloseFds = 31,
  Exec = 32,
  OomScore = 33,
  Dumpable = 34,
  MakePrivate = 35,
  CheckCwd = 36,
  Hook = 37,
  Bounding = 38,
  Lookpath = 39,
  RecvState = 40,
  MountAttr = 41,
  Keyring = 42,
}

/** Mount target creation for Op.Mount. */
export enum MakeTarget {
  None = 0,
  Dir = 1,
  File = 2,
  /** A directory, whose contents are copied into the new mount (tmpcopyup). */
  DirCopyUp = 3,
}

export type Field = number | bigint | string | Field[];

/** One step: its op, fields, and a description for error messages ("mount proc to /proc"). */
export interface Step {
  op: Op;
  fields: Field[];
  what: string;
}

export interface Plan {
  cloneFlags: number;
  /** Namespaces to setns() into before the clone, in order: [nstype, path]. */
  join: [number, string][];
  steps: Step[];
}

const enc = new TextEncoder();

class Writer {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number) {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u32At(offset: number, v: number) {
    this.view.setUint32(offset, v, true);
  }
  u64(v: number | bigint) {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), true);
    this.length += 8;
  }
  str(s: string) {
    const b = enc.encode(s);
    if (b.includes(0)) throw new Error(`plan: string contains NUL: ${JSON.stringify(s)}`);
    const padded = (b.length + 1 + 7) & ~7;
    this.u64(b.length);
    this.reserve(padded);
    this.buf.set(b, this.length);
    this.buf.fill(0, this.length + b.length, this.length + padded);
    this.length += padded;
  }
  field(f: Field) {
    if (typeof f === "string") this.str(f);
    else if (Array.isArray(f)) {
      this.u64(f.length);
      for (const x of f) this.field(x);
    } else this.u64(f);
  }
  bytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

export function encodePlan(plan: Plan): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  w.u32(PLAN_MAGIC);
  w.u32(PLAN_VERSION);
  w.u64(plan.cloneFlags);
  w.u32(plan.join.length);
  w.u32(plan.steps.length);
  for (const [nstype, path] of plan.join) {
    w.u64(nstype);
    w.str(path);
  }
  for (const step of plan.steps) {
    w.u32(step.op);
    const lenAt = w.length;
    w.u32(0);
    const start = w.length;
    for (const f of step.fields) w.field(f);
    w.u32At(lenAt, w.length - start);
  }
  return w.bytes();
}
