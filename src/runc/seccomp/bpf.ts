// linux.seccomp (OCI) → a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER), compiled
// here in TypeScript; the C side only loads it. x86_64 only for now: other architectures
// listed in the profile get the default action (their syscall numbers differ).
//
// Layout: check the architecture, load the syscall number, then one block per rule:
//   ld nr; jeq NR ? next : skip-block; [argument checks, each failing to skip-block]; ret ACTION
// Rules are tried in order; the first whose syscall and arguments match decides.
import { SYSCALLS_X86_64 } from "./syscalls_x86_64.ts";

// BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20, ALU_AND_K = 0x54, RET_K = 0x06;
const JEQ_K = 0x15, JGT_K = 0x25, JGE_K = 0x35;

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** The architectures whose syscalls a profile filters; others get its default action. */
export const FILTERED_ARCHITECTURES = ["SCMP_ARCH_X86_64"];
const X32_SYSCALL_BIT = 0x40000000;
const SECCOMP_DATA_NR = 0, SECCOMP_DATA_ARCH = 4, SECCOMP_DATA_ARGS = 16;

export const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};

export const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

export const OPERATORS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
];

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface Seccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: SeccompRule[];
}

export class SeccompError extends Error {
  constructor(what: string) {
    super(`config.json: linux.seccomp: ${what}`);
  }
}

/** One sock_filter: code, jt, jf, k. Jump targets are labels until resolved. */
interface Insn {
  code: number;
  jt: number | string;
  jf: number | string;
  k: number;
  label?: string;
}

const EPERM = 1;

function actionValue(action: string, errnoRet: number | undefined): number {
  const base = ACTIONS[action];
  if (base === undefined) throw new SeccompError(`unknown action "${action}"`);
  if (action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE") {
    const errno = errnoRet ?? EPERM;
    if (!Number.isInteger(errno) || errno < 0 || errno > 0xffff) {
      throw new SeccompError(`errnoRet ${errno} out of range`);
    }
    return (base | errno) >>> 0;
  }
  return base;
}

/** 64-bit argument → [high, low] 32-bit words. */
function words(v: number): [number, number] {
  if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
    throw new SeccompError(`argument value ${v} out of range`);
  }
  const b = BigInt(v);
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

class Assembler {
  insns: Insn[] = [];
  #n = 0;

  label(): string {
    return `L${this.#n++}`;
  }
  here(label: string) {
    this.insns.push({ code: -1, jt: 0, jf: 0, k: 0, label });
  }
  ld(offset: number) {
    this.insns.push({ code: LD_W_ABS, jt: 0, jf: 0, k: offset });
  }
  and(k: number) {
    this.insns.push({ code: ALU_AND_K, jt: 0, jf: 0, k: k >>> 0 });
  }
  jump(code: number, k: number, jt: number | string, jf: number | string) {
    this.insns.push({ code, jt, jf, k: k >>> 0 });
  }
  ret(k: number) {
    this.insns.push({ code: RET_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** Resolves labels to forward offsets; BPF jumps reach at most 255 instructions. */
  resolve(): bigint[] {
    const at = new Map<string, number>();
    const real: Insn[] = [];
    for (const i of this.insns) {
      if (i.label) at.set(i.label, real.length);
      else real.push(i);
    }
    return real.map((i, pc) => {
      const off = (t: number | string) => {
        if (typeof t === "number") return t;
        const d = at.get(t)! - pc - 1;
        if (d < 0 || d > 255) throw new SeccompError(`rule too large to compile (jump of ${d})`);
        return d;
      };
      const jt = off(i.jt), jf = off(i.jf);
      return BigInt(i.code) | (BigInt(jt) << 16n) | (BigInt(jf) << 24n) |
        (BigInt(i.k >>> 0) << 32n);
    });
  }
}

/** Emits a check of one argument: falls through when it holds, jumps to `fail` otherwise. */
function argCheck(a: Assembler, arg: SeccompArg, fail: string) {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new SeccompError(`argument index ${arg.index} out of range`);
  }
  if (!OPERATORS.includes(arg.op)) throw new SeccompError(`unknown operator "${arg.op}"`);
  const lo = SECCOMP_DATA_ARGS + 8 * arg.index, hi = lo + 4; // little-endian
  const pass = a.label(), low = a.label();
  const [vh, vl] = words(arg.op === "SCMP_CMP_MASKED_EQ" ? arg.valueTwo ?? 0 : arg.value);
  switch (arg.op) {
    case "SCMP_CMP_EQ":
      a.ld(hi), a.jump(JEQ_K, vh, 0, fail), a.ld(lo), a.jump(JEQ_K, vl, pass, fail);
      break;
    case "SCMP_CMP_NE":
      a.ld(hi), a.jump(JEQ_K, vh, 0, pass), a.ld(lo), a.jump(JEQ_K, vl, fail, pass);
      break;
    case "SCMP_CMP_GT":
      a.ld(hi), a.jump(JGT_K, vh, pass, 0), a.jump(JEQ_K, vh, low, fail);
      a.here(low), a.ld(lo), a.jump(JGT_K, vl, pass, fail);
      break;
    case "SCMP_CMP_GE":
      a.ld(hi), a.jump(JGT_K, vh, pass, 0), a.jump(JEQ_K, vh, low, fail);
      a.here(low), a.ld(lo), a.jump(JGE_K, vl, pass, fail);
      break;
    case "SCMP_CMP_LT": // not GE
      a.ld(hi), a.jump(JGT_K, vh, fail, 0), a.jump(JEQ_K, vh, low, pass);
      a.here(low), a.ld(lo), a.jump(JGE_K, vl, fail, pass);
      break;
    case "SCMP_CMP_LE": // not GT
      a.ld(hi), a.jump(JGT_K, vh, fail, 0), a.jump(JEQ_K, vh, low, pass);
      a.here(low), a.ld(lo), a.jump(JGT_K, vl, fail, pass);
      break;
    case "SCMP_CMP_MASKED_EQ": {
      const [mh, ml] = words(arg.value);
      a.ld(hi), a.and(mh), a.jump(JEQ_K, vh, 0, fail);
      a.ld(lo), a.and(ml), a.jump(JEQ_K, vl, pass, fail);
      break;
    }
  }
  a.here(pass);
}

export interface CompiledSeccomp {
  flags: number;
  /** sock_filter entries, each packed into 64 bits (code | jt<<16 | jf<<24 | k<<32). */
  filters: bigint[];
}

/** Compiles a linux.seccomp object; unknown syscall names are skipped, as runc does. */
export function compileSeccomp(s: Seccomp): CompiledSeccomp {
  const a = new Assembler();
  const defaultRet = actionValue(s.defaultAction, s.defaultErrnoRet);
  const native = !s.architectures?.length || s.architectures.includes("SCMP_ARCH_X86_64");
  // A foreign architecture (or x32 numbers) gets the default action.
  a.ld(SECCOMP_DATA_ARCH);
  const archOk = a.label(), foreign = a.label();
  a.jump(JEQ_K, AUDIT_ARCH_X86_64, archOk, foreign);
  a.here(foreign);
  a.ret(defaultRet);
  a.here(archOk);
  a.ld(SECCOMP_DATA_NR);
  const x32 = a.label(), rules = a.label();
  a.jump(JGE_K, X32_SYSCALL_BIT, x32, rules);
  a.here(x32);
  a.ret(defaultRet);
  a.here(rules);
  if (native) {
    for (const rule of s.syscalls ?? []) {
      const ret = actionValue(rule.action, rule.errnoRet);
      for (const name of rule.names) {
        const nr = SYSCALLS_X86_64[name];
        if (nr === undefined) continue;
        const skip = a.label();
        a.ld(SECCOMP_DATA_NR);
        a.jump(JEQ_K, nr, 0, skip);
        for (const arg of rule.args ?? []) argCheck(a, arg, skip);
        a.ret(ret);
        a.here(skip);
      }
    }
  }
  a.ret(defaultRet);
  let flags = 0;
  for (const f of s.flags ?? []) {
    if (!(f in FILTER_FLAGS)) throw new SeccompError(`unknown flag "${f}"`);
    flags |= FILTER_FLAGS[f];
  }
  const filters = a.resolve();
  if (filters.length > 4096) {
    throw new SeccompError(`profile compiles to ${filters.length} instructions (max 4096)`);
  }
  return { flags, filters };
}
