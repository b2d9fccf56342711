// Containers get Docker's default seccomp profile (for their capabilities); it is off with
// --security-opt seccomp=unconfined and with --privileged.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/local/bin/docker";

Deno.test({
  name: "daemon: the default seccomp profile, unconfined, privileged",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    const script =
      "grep '^Seccomp:' /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?";
    let r = await d.docker(DOCKER, ["run", "--rm", "busybox", "sh", "-c", script]);
    assertEquals(r.out, "Seccomp:\t2\nunshare=1\n", r.err);
    r = await d.docker(DOCKER, [
      "run",
      "--rm",
      "--security-opt",
      "seccomp=unconfined",
      "busybox",
      "sh",
      "-c",
      script,
    ]);
    assertEquals(r.out.split("\n")[0], "Seccomp:\t0", r.err);
    r = await d.docker(DOCKER, ["run", "--rm", "--privileged", "busybox", "sh", "-c", script]);
    assertEquals(r.out, "Seccomp:\t0\nunshare=0\n", r.err);
  } finally {
    await d.close();
  }
});
