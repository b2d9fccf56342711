// mount(2)/umount2(2) for containerd's rootfs mounts (snapshots' mount specs).
import { cstr, errno, SysError } from "./libc.ts";

const lib = Deno.dlopen("libc.so.6", {
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
}).symbols;

export const MS_RDONLY = 1, MS_BIND = 4096, MS_REC = 16384;
const MNT_DETACH = 2, EINVAL = 22, ENOENT = 2;

export function mount(source: string, target: string, fstype: string, flags: number, data = "") {
  const r = lib.mount(cstr(source), cstr(target), cstr(fstype), BigInt(flags), cstr(data));
  if (r < 0) throw new SysError("mount", errno(), `${fstype} on ${target}`);
}

/** Unmounts `target`; a path that is not mounted (or gone) is fine. */
export function unmount(target: string, detach = false) {
  if (lib.umount2(cstr(target), detach ? MNT_DETACH : 0) < 0) {
    const e = errno();
    if (e !== EINVAL && e !== ENOENT) throw new SysError("umount", e, target);
  }
}
