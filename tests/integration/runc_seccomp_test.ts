// seccomp: the default profile blocks what Docker's blocks; a custom rule returns its errno;
// exec'd processes get the container's filter. Same answers as /usr/sbin/runc.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { sameInside } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";
import { defaultSeccomp } from "../../src/lib/seccomp_default.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));

Deno.test({
  name: "runc seccomp: the default profile blocks unshare of a user namespace",
  ignore,
  async fn() {
    const out = await sameInside(
      "seccomp-default",
      "unshare -U true 2>/dev/null; echo unshare=$?; grep -E '^Seccomp' /proc/self/status; echo ok",
      (s) => {
        s.linux.seccomp = defaultSeccomp(s.process.capabilities.bounding);
      },
    );
    assertEquals(out.stdout.split("\n").slice(0, 4), [
      "unshare=1",
      "Seccomp:\t2",
      "Seccomp_filters:\t1",
      "ok",
    ]);
  },
});

Deno.test({
  name: "runc seccomp: errnoRet and argument conditions",
  ignore,
  async fn() {
    const out = await sameInside(
      "seccomp-errno",
      "mkdir /dev/shm/x 2>&1; echo mkdir=$?; echo still-running",
      (s) => {
        s.linux.seccomp = {
          defaultAction: "SCMP_ACT_ALLOW",
          architectures: ["SCMP_ARCH_X86_64"],
          syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }],
        };
        s.mounts.push({
          destination: "/dev/shm",
          type: "tmpfs",
          source: "shm",
          options: ["nosuid", "nodev"],
        });
      },
    );
    ok(out.stdout.includes("Permission denied"), out.stdout);
    ok(out.stdout.includes("mkdir=1\nstill-running"), out.stdout);
  },
});
