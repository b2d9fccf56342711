// Debian's containerd, driven by ctr, runs a container with our runtime as its runc binary
// (a symlink named `runc` to the engine acts as `engine runc`).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { makeBusyboxRootfs } from "../helpers/rootfs.ts";
import { ENGINE } from "../helpers/containerd_process.ts";

Deno.test({
  name: "ctr run --runc-binary uses engine runc",
  ignore: missing(root(), command("/usr/bin/containerd"), command("/usr/bin/ctr")),
}, async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ectr" });
  let containerd: Deno.ChildProcess | undefined;
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.symlink(ENGINE, `${dir}/bin/runc`);
    await Deno.writeTextFile(
      `${dir}/config.toml`,
      `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\n[grpc]\n  address = "${dir}/c.sock"\n` +
        `[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n`,
    );
    await makeBusyboxRootfs(`${dir}/rootfs`);
    containerd = new Deno.Command("/usr/bin/containerd", {
      args: ["--config", `${dir}/config.toml`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(`${dir}/c.sock`).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const out = await new Deno.Command("/usr/bin/ctr", {
      args: [
        "--address",
        `${dir}/c.sock`,
        "run",
        "--rm",
        "--runc-binary",
        `${dir}/bin/runc`,
        "--rootfs",
        `${dir}/rootfs`,
        "t1",
        // ctr's spec for --rootfs has no PATH: a bare name would not be found (as with runc).
        "/bin/sh",
        "-c",
        "echo hello from ctr; cat /proc/1/cmdline; exit 3",
      ],
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 3, new TextDecoder().decode(out.stderr));
    assert(stdout.startsWith("hello from ctr\n"), stdout);
  } finally {
    if (containerd) {
      containerd.kill("SIGTERM");
      await containerd.status;
    }
    const mounts = await Deno.readTextFile("/proc/self/mountinfo");
    for (const line of mounts.split("\n").reverse()) {
      const target = line.split(" ")[4];
      if (target?.startsWith(dir)) {
        await new Deno.Command("umount", { args: ["-l", target] }).output();
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
