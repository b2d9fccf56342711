// User namespaces: uid/gid mappings written by the parent before the child goes on; the
// container's root is an unprivileged host uid. Same answers as /usr/sbin/runc.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { sameInside } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";

Deno.test({
  name: "runc userns: mapped root, owners seen through the mapping, devices bound",
  ignore: missing(root(), command("/usr/sbin/runc")),
  async fn() {
    const out = await sameInside(
      "userns",
      "id; cat /proc/self/uid_map /proc/self/gid_map; ls -ln /bin/busybox | cut -c1-30; " +
        "echo x > /dev/null && echo null-ok; ls /dev/pts; echo done",
      (s) => {
        s.linux.namespaces.push({ type: "user" });
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      },
      async (b) => {
        // The mapped root must reach the rootfs through the bundle's temp directory.
        await Deno.chmod(b.dir, 0o755);
        const chown = await new Deno.Command("chown", { args: ["-R", "100000:100000", b.rootfs] })
          .output();
        if (!chown.success) throw new Error("chown rootfs");
      },
    );
    const lines = out.stdout.trim().split("\n");
    assertEquals(lines[0], "uid=0(root) gid=0(root)");
    assertEquals(lines[lines.length - 1], "done");
  },
});
