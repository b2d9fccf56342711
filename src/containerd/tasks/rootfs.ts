// Mounting a snapshot's mount spec as a bundle's rootfs, and taking it down.
import { invalidArgument } from "../../lib/errors.ts";
import { mount, MS_BIND, MS_RDONLY, MS_REC, unmount } from "../../sys/mount.ts";
import type { Mount } from "../snapshots/mod.ts";

export function mountAll(mounts: Mount[], target: string): void {
  for (const m of mounts) {
    if (m.type === "bind") {
      const flags = MS_BIND | (m.options.includes("rbind") ? MS_REC : 0);
      mount(m.source, target, "", flags);
      if (m.options.includes("ro")) {
        mount("", target, "", MS_BIND | MS_RDONLY | 32 /* MS_REMOUNT */);
      }
    } else if (m.type === "overlay") {
      const data = m.options.join(",");
      if (data.length >= 4096) {
        throw invalidArgument(`overlay mount options too long (${data.length} bytes)`);
      }
      mount("overlay", target, "overlay", 0, data);
    } else {
      throw invalidArgument(`unsupported mount type ${m.type}`);
    }
  }
}

export function unmountAll(target: string): void {
  unmount(target, true);
}
