// What the container's process sees from inside (ids, capabilities, rlimits, env, cwd,
// umask, no_new_privs, oom score), under our runtime and /usr/sbin/runc on the same bundle.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { sameInside } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";
import type { Spec } from "../../src/runc/spec.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));

Deno.test({
  name: "runc process: default spec — hostname, pid 1, ids, caps, nnp, rlimit, env, cwd",
  ignore,
  async fn() {
    const out = await sameInside(
      "default",
      "hostname; echo pid=$$; id; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; ulimit -n;" +
        "umask; pwd; env | sort; cat /proc/self/oom_score_adj",
    );
    assertEquals(out.stdout.split("\n").slice(0, 3), ["runc", "pid=1", "uid=0(root) gid=0(root)"]);
  },
});

Deno.test({
  name: "runc process: user, additionalGids, umask, cwd, env, rlimits, oomScoreAdj",
  ignore,
  async fn() {
    const out = await sameInside(
      "user",
      "id; umask; pwd; echo $FOO $HOME; ulimit -n; ulimit -s; ulimit -u;" +
        "cat /proc/self/oom_score_adj; grep -E '^(Cap|NoNewPrivs)' /proc/self/status",
      (s) => {
        s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 65534], umask: 0o027 };
        s.process.cwd = "/tmp/work";
        s.process.env.push("FOO=bar baz");
        s.process.noNewPrivileges = false;
        s.process.oomScoreAdj = 500;
        s.process.rlimits = [
          { type: "RLIMIT_NOFILE", hard: 2048, soft: 512 },
          { type: "RLIMIT_STACK", hard: 16777216, soft: 8388608 },
          { type: "RLIMIT_NPROC", hard: 300, soft: 200 },
        ];
      },
    );
    assertEquals(out.stdout.split("\n").slice(0, 4), [
      "uid=1000 gid=1001 groups=5,65534(nogroup)",
      "0027",
      "/tmp/work",
      "bar baz /",
    ]);
  },
});

Deno.test({
  name: "runc process: all five capability sets, as runc sets them",
  ignore,
  async fn() {
    await sameInside("caps", "grep -E '^Cap' /proc/self/status", (s) => {
      s.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_SETPCAP"],
        effective: ["CAP_CHOWN", "CAP_KILL"],
        permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        inheritable: ["CAP_KILL", "CAP_NET_RAW"],
        ambient: ["CAP_KILL"],
      };
    });
    await sameInside("nocaps", "grep -E '^Cap' /proc/self/status", (s) => {
      delete s.process.capabilities;
    });
    await sameInside("nonroot-caps", "grep -E '^Cap' /proc/self/status; id -u", (s) => {
      s.process.user = { uid: 1000, gid: 1000 };
    });
  },
});

Deno.test({
  name: "runc process: exit codes and signal deaths (128+n)",
  ignore,
  async fn() {
    const out = await sameInside("exit", "exit 7");
    assertEquals(out.code, 7);
    // Without a pid namespace the shell is no init and dies of its own signal.
    const noPidNs = (s: Spec) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "pid");
    };
    const killed = await sameInside("signal", "kill -TERM $$; sleep 5", noPidNs);
    assertEquals(killed.code, 143);
    const segv = await sameInside("segv", "kill -SEGV $$; sleep 5", noPidNs);
    assertEquals(segv.code, 139);
  },
});

Deno.test({
  name: "runc process: sysctl in new ipc/uts/net namespaces",
  ignore,
  async fn() {
    const out = await sameInside(
      "sysctl",
      "cat /proc/sys/kernel/domainname /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_forward",
      (s) => {
        s.linux.sysctl = {
          "kernel.domainname": "example.test",
          "kernel.msgmax": "4096",
          "net.ipv4.ip_forward": "1",
        };
      },
    );
    assertEquals(out.stdout, "example.test\n4096\n1\n");
  },
});

Deno.test({
  name: "runc process: unknown capabilities and relative mount destinations are warned of",
  ignore,
  async fn() {
    // runc drops capability names it does not know (with a warning) and mounts a relative
    // destination from /; ours does the same, in the same words.
    const out = await sameInside(
      "lenient",
      "grep Cap /proc/self/status; grep rel /proc/mounts",
      (s) => {
        s.process.capabilities.bounding.push("CAP_FOO");
        s.process.capabilities.effective.push("CAP_FOO", "CAP_BAR");
        s.mounts.push({ destination: "rel", type: "tmpfs", source: "tmpfs" });
      },
    );
    assertEquals(out.stdout.includes("tmpfs /rel tmpfs"), true, out.stdout);
    assertEquals(
      out.stderr.includes("ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO]") &&
        out.stderr.includes("mount destination rel is not absolute"),
      true,
      out.stderr,
    );
  },
});
