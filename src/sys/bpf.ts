// bpf(2) for cgroup v2 device programs: load a BPF_PROG_TYPE_CGROUP_DEVICE program and make
// it the one program attached to a cgroup directory (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, as
// runc attaches it), replacing whatever device programs were attached before. An attached
// program stays with the cgroup after our fds are closed, until it is detached or the cgroup
// is removed.
import { close, errno, O_DIRECTORY, O_RDONLY, open, SysError } from "./libc.ts";

const SYS_BPF = 321; // x86_64
const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15, BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2, BPF_F_REPLACE = 4;
/** Size of the union bpf_attr we pass: larger than every command's struct, zero-filled. */
const ATTR_SIZE = 128;

let lib:
  | Deno.DynamicLibrary<{
    syscall: { parameters: ["i64", "i64", "buffer", "u64"]; result: "i64" };
  }>
  | undefined;

function bpf(cmd: number, attr: Uint8Array<ArrayBuffer>, what: string): number {
  lib ??= Deno.dlopen("libc.so.6", {
    syscall: { parameters: ["i64", "i64", "buffer", "u64"], result: "i64" },
  });
  const r = Number(lib.symbols.syscall(BigInt(SYS_BPF), BigInt(cmd), attr, BigInt(ATTR_SIZE)));
  if (r < 0) throw new SysError("bpf", errno(), what);
  return r;
}

function attr(): { buf: Uint8Array<ArrayBuffer>; v: DataView } {
  const buf = new Uint8Array(ATTR_SIZE);
  return { buf, v: new DataView(buf.buffer) };
}

const ptr = (b: Uint8Array<ArrayBuffer>) =>
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));

/**
 * Loads `insns` (struct bpf_insn[]) as a cgroup device program; returns its fd. A program
 * the verifier rejects fails with the verifier's log in the message.
 */
export function loadDeviceProgram(insns: Uint8Array<ArrayBuffer>, license: string): number {
  const lic = new TextEncoder().encode(license + "\0");
  const load = (log?: Uint8Array<ArrayBuffer>) => {
    const { buf, v } = attr();
    v.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
    v.setUint32(4, insns.length / 8, true);
    v.setBigUint64(8, ptr(insns), true);
    v.setBigUint64(16, ptr(lic), true);
    if (log) {
      v.setUint32(24, 1, true); // log_level
      v.setUint32(28, log.length, true);
      v.setBigUint64(32, ptr(log), true);
    }
    buf.set(new TextEncoder().encode("engine_devices"), 48); // prog_name (16 bytes max)
    v.setUint32(68, BPF_CGROUP_DEVICE, true); // expected_attach_type
    return bpf(BPF_PROG_LOAD, buf, "BPF_PROG_LOAD");
  };
  try {
    return load();
  } catch (err) {
    if (!(err instanceof SysError) || (err.errno !== 22 && err.errno !== 13)) throw err;
    const log = new Uint8Array(1 << 16);
    try {
      return load(log);
    } catch {
      const text = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0))));
      throw new SysError("bpf", err.errno, `BPF_PROG_LOAD (verifier: ${text.trim()})`);
    }
  }
}

/** Ids of the device programs attached to the cgroup `dirFd`. */
function attachedIds(dirFd: number): number[] {
  const ids = new Uint32Array(64);
  const { buf, v } = attr();
  v.setUint32(0, dirFd, true);
  v.setUint32(4, BPF_CGROUP_DEVICE, true);
  v.setBigUint64(16, ptr(new Uint8Array(ids.buffer)), true);
  v.setUint32(24, ids.length, true);
  bpf(BPF_PROG_QUERY, buf, "BPF_PROG_QUERY");
  return [...ids.subarray(0, v.getUint32(24, true))];
}

function progFd(id: number): number {
  const { buf, v } = attr();
  v.setUint32(0, id, true);
  return bpf(BPF_PROG_GET_FD_BY_ID, buf, `BPF_PROG_GET_FD_BY_ID ${id}`);
}

function attachOp(cmd: number, dirFd: number, fd: number, flags: number, replaceFd = 0) {
  const { buf, v } = attr();
  v.setUint32(0, dirFd, true); // target_fd
  v.setUint32(4, fd, true); // attach_bpf_fd
  v.setUint32(8, BPF_CGROUP_DEVICE, true);
  v.setUint32(12, flags, true);
  v.setUint32(16, replaceFd, true);
  bpf(cmd, buf, cmd === BPF_PROG_ATTACH ? "BPF_PROG_ATTACH" : "BPF_PROG_DETACH");
}

/**
 * Loads the program and makes it the cgroup's only device program: with one program
 * attached before, it is swapped atomically (BPF_F_REPLACE); otherwise the new one is
 * attached first and the old ones detached after, so there is no moment without a filter.
 */
export function setDeviceProgram(
  cgroupDir: string,
  insns: Uint8Array<ArrayBuffer>,
  license: string,
): void {
  const fds: number[] = [];
  try {
    const prog = loadDeviceProgram(insns, license);
    fds.push(prog);
    const dirFd = open(cgroupDir, O_RDONLY | O_DIRECTORY);
    fds.push(dirFd);
    const old = attachedIds(dirFd).map((id) => {
      const fd = progFd(id);
      fds.push(fd);
      return fd;
    });
    if (old.length === 1) {
      attachOp(BPF_PROG_ATTACH, dirFd, prog, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, old[0]);
      return;
    }
    attachOp(BPF_PROG_ATTACH, dirFd, prog, BPF_F_ALLOW_MULTI);
    for (const fd of old) attachOp(BPF_PROG_DETACH, dirFd, fd, 0);
  } finally {
    for (const fd of fds) close(fd);
  }
}

/** Ids of the device programs attached to `cgroupDir` (for tests and diagnostics). */
export function deviceProgramIds(cgroupDir: string): number[] {
  const dirFd = open(cgroupDir, O_RDONLY | O_DIRECTORY);
  try {
    return attachedIds(dirFd);
  } finally {
    close(dirFd);
  }
}
