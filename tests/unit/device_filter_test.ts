// The cgroup v2 device program (src/runc/cgroups/device_filter.ts), run by a small eBPF
// interpreter of the instructions it emits, against the rule semantics: the same rules
// folded the v1 way (a default, exceptions matching type, major, minor and a superset of
// the requested access). The kernel's verifier sees it in cgroups_v2_devices_test.ts.
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  BPF_DEVCG_ACC_MKNOD as M,
  BPF_DEVCG_ACC_READ as R,
  BPF_DEVCG_ACC_WRITE as W,
  BPF_DEVCG_DEV_BLOCK as BLOCK,
  BPF_DEVCG_DEV_CHAR as CHAR,
  deviceFilter,
  encodeProgram,
  type Insn,
  OP,
} from "../../src/runc/cgroups/device_filter.ts";
import { DEFAULT_ALLOWED_DEVICES, type DeviceRule } from "../../src/runc/cgroups/devices.ts";

/** Runs `prog` on bpf_cgroup_dev_ctx { access << 16 | type, major, minor }; returns R0. */
function run(prog: Insn[], type: number, access: number, major: number, minor: number): number {
  const ctx = [((access << 16) | type) >>> 0, major, minor];
  const reg = new Array<number>(11).fill(0);
  for (let pc = 0, steps = 0; pc < prog.length; pc++) {
    if (++steps > 4096) throw new Error("loop");
    const i = prog[pc];
    switch (i.code) {
      case OP.LDXW:
        if (i.src !== 1 || i.off % 4 || i.off > 8) throw new Error(`bad load at ${pc}`);
        reg[i.dst] = ctx[i.off / 4];
        break;
      case OP.AND32_IMM:
        reg[i.dst] = (reg[i.dst] & i.imm) >>> 0;
        break;
      case OP.RSH32_IMM:
        reg[i.dst] = reg[i.dst] >>> i.imm;
        break;
      case OP.MOV32_IMM:
        reg[i.dst] = i.imm >>> 0;
        break;
      case OP.MOV32_REG:
        reg[i.dst] = reg[i.src];
        break;
      case OP.JNE_IMM:
        if (reg[i.dst] !== i.imm) pc += i.off;
        break;
      case OP.JNE_REG:
        if (reg[i.dst] !== reg[i.src]) pc += i.off;
        break;
      case OP.EXIT:
        return reg[0];
      default:
        throw new Error(`opcode ${i.code.toString(16)} at ${pc}`);
    }
    if (pc + 1 > prog.length) throw new Error(`jump out of the program at ${pc}`);
  }
  throw new Error("fell off the end");
}

/**
 * The reference: rules in order; "a" resets the default; a rule against the default adds
 * its access to its device's exception, one with the default's action takes access away.
 */
function expected(rules: DeviceRule[], type: number, access: number, major: number, minor: number) {
  const bits = (a = "rwm") =>
    (a.includes("r") ? R : 0) | (a.includes("w") ? W : 0) | (a.includes("m") ? M : 0);
  let dflt = false;
  let exceptions = new Map<string, { r: DeviceRule; bits: number }>();
  for (const r of rules) {
    if ((r.type ?? "a") === "a") {
      dflt = r.allow;
      exceptions = new Map();
      continue;
    }
    const key = JSON.stringify([r.type, r.major ?? -1, r.minor ?? -1]);
    const e = exceptions.get(key) ?? { r, bits: 0 };
    e.bits = r.allow !== dflt ? e.bits | bits(r.access) : e.bits & ~bits(r.access);
    exceptions.set(key, e);
  }
  const matches = ({ r, bits: b }: { r: DeviceRule; bits: number }) =>
    (r.type === "c" ? CHAR : BLOCK) === type && [-1, major].includes(r.major ?? -1) &&
    [-1, minor].includes(r.minor ?? -1) && (b & access) === access;
  return ([...exceptions.values()].some(matches) ? !dflt : dflt) ? 1 : 0;
}

const PROBES: [number, number, number, number][] = [];
for (const type of [CHAR, BLOCK]) {
  for (const access of [R, W, M, R | W, R | W | M]) {
    for (
      const [major, minor] of [[1, 3], [1, 5], [1, 9], [5, 0], [136, 4], [8, 0], [8, 1], [10, 200]]
    ) {
      PROBES.push([type, access, major, minor]);
    }
  }
}

function check(rules: DeviceRule[]) {
  const prog = deviceFilter(rules);
  for (const [type, access, major, minor] of PROBES) {
    assertEquals(
      run(prog, type, access, major, minor),
      expected(rules, type, access, major, minor),
      `${JSON.stringify(rules)} on type ${type} access ${access} ${major}:${minor}`,
    );
  }
  return prog;
}

Deno.test("device program: runc's default set (deny all, then the standard devices)", () => {
  const prog = check([{ allow: false, access: "rwm" }, ...DEFAULT_ALLOWED_DEVICES]);
  assertEquals(run(prog, CHAR, R, 1, 3), 1, "/dev/null readable");
  assertEquals(run(prog, BLOCK, R, 8, 0), 0, "a host disk is not");
  assertEquals(run(prog, BLOCK, M, 8, 0), 1, "mknod of any block device (b *:* m)");
  assertEquals(run(prog, CHAR, R | W, 136, 7), 1, "any pty");
});

Deno.test("device program: allow-all, deny exceptions, access subsets, later rules win", () => {
  assertEquals(deviceFilter([{ allow: true }]).length, 8, "loads, default, no blocks");
  const prog = check([{ allow: true }, { allow: false, type: "b", major: 8, access: "rw" }]);
  assertEquals(run(prog, BLOCK, M, 8, 0), 1, "mknod not denied");
  assertEquals(run(prog, BLOCK, R, 8, 1), 0);
  check([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "r" }]);
  check([
    { allow: false },
    { allow: true, type: "c", major: 1, minor: 5 },
    { allow: false, type: "c", major: 1, minor: 5 }, // takes the exception back
    { allow: true, type: "c", major: 136, minor: null, access: "rw" },
  ]);
  check([{ allow: true, type: "c", major: 1, minor: 3 }, { allow: false }]); // reset by "a"
  check([{ allow: false }, { allow: true, type: "b", major: -1, minor: 0, access: "m" }]);
  check([
    { allow: false },
    { allow: true, type: "c", major: 1, minor: 3, access: "r" },
    { allow: true, type: "c", major: 1, minor: 3, access: "wm" },
    { allow: false, type: "c", major: 1, minor: 3, access: "w" }, // read and mknod stay
  ]);
});

Deno.test("device program: bad rules are refused, encoding is struct bpf_insn", () => {
  throws(() => deviceFilter([{ allow: true, type: "c", major: 2 ** 31, minor: 0 }]), /major/);
  throws(() => deviceFilter([{ allow: true, type: "c", access: "x" }]), /access/);
  const bytes = encodeProgram([{ code: OP.JNE_IMM, dst: 4, src: 3, off: -2, imm: -1 }]);
  assertEquals([...bytes], [0x55, 0x34, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
});
