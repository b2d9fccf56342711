// cgroup v2 device rules as an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE), the way runc's
// devicefilter package builds it: the rules are folded into a default and its exceptions
// (deviceRuleSet, the same emulation as the v1 allowlist), then each exception becomes a
// block that returns its verdict when type, access, major and minor all match, and the
// program ends in the default. Exceptions all carry the same verdict, so their order does
// not change the result. The kernel calls the program with struct bpf_cgroup_dev_ctx
// { u32 access_type (access << 16 | type); u32 major; u32 minor } in R1; R0 = 1 allows.
// This is eBPF (64-bit registers, 8-byte instructions), not the classic BPF of seccomp/.

import { invalidArgument } from "../../lib/errors.ts";
import { type DeviceRule, deviceRuleSet } from "./devices.ts";

/** runc's license string for the program (the kernel only checks GPL compatibility). */
export const DEVICE_PROGRAM_LICENSE = "Apache";

export const BPF_DEVCG_ACC_MKNOD = 1, BPF_DEVCG_ACC_READ = 2, BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;

// Opcodes of the instructions emitted (class | operation | source).
export const OP = {
  LDXW: 0x61, // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
  AND32_IMM: 0x54, // BPF_ALU | BPF_AND | BPF_K
  RSH32_IMM: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  MOV32_IMM: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  MOV32_REG: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  JNE_IMM: 0x55, // BPF_JMP | BPF_JNE | BPF_K: if dst != imm: pc += off
  JNE_REG: 0x5d, // BPF_JMP | BPF_JNE | BPF_X: if dst != src: pc += off
  EXIT: 0x95,
} as const;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

const ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

function accessBits(access: string): number {
  let bits = 0;
  for (const c of access) {
    if (c === "r") bits |= BPF_DEVCG_ACC_READ;
    else if (c === "w") bits |= BPF_DEVCG_ACC_WRITE;
    else if (c === "m") bits |= BPF_DEVCG_ACC_MKNOD;
    else throw invalidArgument(`device rule: invalid access ${JSON.stringify(access)}`);
  }
  return bits;
}

/** A major or minor as the 32-bit immediate it is compared with; null for a wildcard. */
function number(n: number | null | undefined, what: string): number | null {
  if (n === null || n === undefined || n === -1) return null;
  // JNE sign-extends its immediate: beyond 2^31-1 it could never match a u32 field.
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw invalidArgument(`device rule: invalid ${what} ${n}`);
  }
  return n;
}

/** The block of one exception: jumps past itself unless the device matches. */
function ruleBlock(rule: DeviceRule, verdict: number): Insn[] {
  const type = rule.type === "c"
    ? BPF_DEVCG_DEV_CHAR
    : rule.type === "b"
    ? BPF_DEVCG_DEV_BLOCK
    : undefined;
  if (type === undefined) throw invalidArgument(`device rule: invalid type ${rule.type}`);
  const access = accessBits(rule.access ?? "rwm");
  const major = number(rule.major, "major"), minor = number(rule.minor, "minor");
  const tests: Insn[] = [insn(OP.JNE_IMM, 2, 0, 0, type)];
  if (access !== ALL_ACCESS) {
    // the requested access must be a subset of the rule's: (R3 & access) == R3
    tests.push(insn(OP.MOV32_REG, 1, 3), insn(OP.AND32_IMM, 1, 0, 0, access));
    tests.push(insn(OP.JNE_REG, 1, 3));
  }
  if (major !== null) tests.push(insn(OP.JNE_IMM, 4, 0, 0, major));
  if (minor !== null) tests.push(insn(OP.JNE_IMM, 5, 0, 0, minor));
  const block = [...tests, insn(OP.MOV32_IMM, 0, 0, 0, verdict), insn(OP.EXIT)];
  // every failed test jumps to the first instruction after the block
  for (const [i, t] of block.entries()) {
    if (t.code === OP.JNE_IMM || t.code === OP.JNE_REG) t.off = block.length - i - 1;
  }
  return block;
}

/** The program for `rules` (OCI linux.resources.devices, in order). */
export function deviceFilter(rules: readonly DeviceRule[]): Insn[] {
  const { defaultAllow, exceptions } = deviceRuleSet(rules);
  const prog: Insn[] = [
    insn(OP.LDXW, 2, 1, 0), // R2 = access_type
    insn(OP.AND32_IMM, 2, 0, 0, 0xffff), // R2 = device type
    insn(OP.LDXW, 3, 1, 0),
    insn(OP.RSH32_IMM, 3, 0, 0, 16), // R3 = requested access
    insn(OP.LDXW, 4, 1, 4), // R4 = major
    insn(OP.LDXW, 5, 1, 8), // R5 = minor
  ];
  for (const rule of exceptions) prog.push(...ruleBlock(rule, defaultAllow ? 0 : 1));
  prog.push(insn(OP.MOV32_IMM, 0, 0, 0, defaultAllow ? 1 : 0), insn(OP.EXIT));
  return prog;
}

/** struct bpf_insn[]: code u8, dst_reg:4 | src_reg:4 << 4, off s16, imm s32 (little-endian). */
export function encodeProgram(prog: readonly Insn[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((p, i) => {
    v.setUint8(i * 8, p.code);
    v.setUint8(i * 8 + 1, (p.dst & 0xf) | ((p.src & 0xf) << 4));
    v.setInt16(i * 8 + 2, p.off, true);
    v.setInt32(i * 8 + 4, p.imm, true);
  });
  return out;
}
