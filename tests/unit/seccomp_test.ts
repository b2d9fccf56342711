// The seccomp compiler, checked by running its BPF programs in a small interpreter.
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { compileSeccomp, type Seccomp } from "../../src/runc/seccomp/bpf.ts";
import { defaultSeccomp } from "../../src/lib/seccomp_default.ts";
import { SYSCALLS_X86_64 as NR } from "../../src/runc/seccomp/syscalls_x86_64.ts";

const X86_64 = 0xc000003e, I386 = 0x40000003;
const ALLOW = 0x7fff0000, ERRNO = 0x00050000;

/** Runs a compiled filter against seccomp_data {nr, arch, args} the way the kernel does. */
function run(filters: bigint[], nr: number, args: bigint[] = [], arch = X86_64): number {
  const data = new DataView(new ArrayBuffer(64));
  data.setInt32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  let acc = 0;
  for (let pc = 0; pc < filters.length; pc++) {
    const f = filters[pc];
    const code = Number(f & 0xffffn),
      jt = Number((f >> 16n) & 0xffn),
      jf = Number((f >> 24n) & 0xffn);
    const k = Number(f >> 32n) >>> 0;
    switch (code) {
      case 0x20:
        acc = data.getUint32(k, true);
        break;
      case 0x54:
        acc = (acc & k) >>> 0;
        break;
      case 0x06:
        return k;
      case 0x15:
        pc += acc === k ? jt : jf;
        break;
      case 0x25:
        pc += acc > k ? jt : jf;
        break;
      case 0x35:
        pc += acc >= k ? jt : jf;
        break;
      default:
        throw new Error(`unknown opcode ${code}`);
    }
  }
  throw new Error("fell off the end of the program");
}

const DOCKER_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

Deno.test("default profile: what Docker's allows and blocks", () => {
  const { filters } = compileSeccomp(defaultSeccomp(DOCKER_CAPS));
  const eperm = ERRNO | 1;
  assertEquals(run(filters, NR.read), ALLOW);
  assertEquals(run(filters, NR.openat2), ALLOW);
  assertEquals(run(filters, NR.chroot), ALLOW); // CAP_SYS_CHROOT is in Docker's default set
  for (
    const blocked of [
      "unshare",
      "mount",
      "keyctl",
      "kexec_load",
      "add_key",
      "setns",
      "bpf",
      "ptrace_nope",
    ]
  ) {
    if (NR[blocked] !== undefined) assertEquals(run(filters, NR[blocked]), eperm, blocked);
  }
  assertEquals(run(filters, NR.clone, [0x11n]), ALLOW); // fork-like clone
  assertEquals(run(filters, NR.clone, [0x10000000n | 0x11n]), eperm); // CLONE_NEWUSER
  assertEquals(run(filters, NR.clone3), ERRNO | 38);
  assertEquals(run(filters, NR.personality, [8n]), ALLOW);
  assertEquals(run(filters, NR.personality, [1n]), eperm);
  assertEquals(run(filters, NR.socket, [2n]), ALLOW);
  assertEquals(run(filters, NR.socket, [40n]), eperm); // AF_VSOCK
  assertEquals(run(filters, NR.read, [], I386), eperm); // other architectures: default action
  assertEquals(run(filters, 0x40000000 + NR.read), eperm); // x32 numbers: default action
});

Deno.test("default profile with CAP_SYS_ADMIN allows namespaces and mount", () => {
  const { filters } = compileSeccomp(defaultSeccomp([...DOCKER_CAPS, "CAP_SYS_ADMIN"]));
  assertEquals(run(filters, NR.unshare), ALLOW);
  assertEquals(run(filters, NR.mount), ALLOW);
  assertEquals(run(filters, NR.clone3), ALLOW);
  assertEquals(run(filters, NR.clone, [0x10000000n]), ALLOW);
});

Deno.test("every comparison operator on 64-bit arguments", () => {
  const ops: [string, (v: bigint, a: bigint) => boolean][] = [
    ["SCMP_CMP_EQ", (v, a) => v === a],
    ["SCMP_CMP_NE", (v, a) => v !== a],
    ["SCMP_CMP_LT", (v, a) => v < a],
    ["SCMP_CMP_LE", (v, a) => v <= a],
    ["SCMP_CMP_GT", (v, a) => v > a],
    ["SCMP_CMP_GE", (v, a) => v >= a],
  ];
  const operand = 0x1_0000_0005n;
  const values = [0n, 4n, 5n, 6n, 0x5n << 32n, operand - 1n, operand, operand + 1n, 0x2_0000_0000n];
  for (const [op, holds] of ops) {
    const s: Seccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{
        names: ["getpid"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 2, value: Number(operand), op }],
      }],
    };
    const { filters } = compileSeccomp(s);
    for (const v of values) {
      assertEquals(
        run(filters, NR.getpid, [0n, 0n, v]),
        holds(v, operand) ? ALLOW : ERRNO | 1,
        `${op} ${v}`,
      );
    }
  }
  const masked = compileSeccomp({
    defaultAction: "SCMP_ACT_KILL",
    syscalls: [{
      names: ["getpid"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 22,
      args: [{ index: 0, value: 0xff00, valueTwo: 0x1200, op: "SCMP_CMP_MASKED_EQ" }],
    }],
  }).filters;
  assertEquals(run(masked, NR.getpid, [0x12ffn]), ERRNO | 22);
  assertEquals(run(masked, NR.getpid, [0x13ffn]), 0);
});

Deno.test("bad profiles are refused with the field named", () => {
  throws(
    () => compileSeccomp({ defaultAction: "SCMP_ACT_NOPE" }),
    /unknown action "SCMP_ACT_NOPE"/,
  );
  throws(
    () =>
      compileSeccomp({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{
          names: ["read"],
          action: "SCMP_ACT_ERRNO",
          args: [{ index: 7, value: 1, op: "SCMP_CMP_EQ" }],
        }],
      }),
    /argument index 7/,
  );
  throws(
    () => compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: ["NOPE"] }),
    /unknown flag/,
  );
});
