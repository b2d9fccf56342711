// Attacks from SECURITY.md's classes, attempted against our runtime; each must fail.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { type Bundle, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { missing, root } from "../helpers/require.ts";

const ignore = missing(root());

Deno.test({
  name: "hardening (class b): no host fd reaches the container, exec'd processes included",
  ignore,
  async fn() {
    // ls's own directory fd is the only one above 2.
    const script = "ls /proc/self/fd | sort -n | tr '\\n' ' '";
    await using b: Bundle = await makeBundle(["sh", "-c", `${script}; sleep 30`]);
    const id = uniqueId("fds");
    const run = await b.engine.run(["run", "-d", "--bundle", b.dir, id]);
    assertEquals(run.code, 0, run.stderr);
    const exec = await b.engine.run(["exec", id, "sh", "-c", script]);
    assertEquals(exec.stdout.trim(), "0 1 2 3");
  },
});

Deno.test({
  name: "hardening (class b): a cwd through a leaked fd path never lands outside the rootfs",
  ignore,
  async fn() {
    for (const fd of [3, 4, 5, 6, 7, 8]) {
      await using b: Bundle = await makeBundle(["sh", "-c", "pwd -P"], (s) => {
        s.process.cwd = `/proc/self/fd/${fd}`;
      });
      const r = await b.engine.run(["run", "--bundle", b.dir, uniqueId("cwd")]);
      // Either refused, or a directory inside the container: never a host path.
      if (r.code === 0) {
        ok(!r.stdout.includes("(unreachable)") && r.stdout.startsWith("/"), r.stdout);
      }
      ok(!r.stdout.includes("engine-bundle-"), `host path leaked: ${r.stdout}`);
    }
  },
});

Deno.test({
  name: "hardening (class a): mount destinations through symlinks stay inside the rootfs",
  ignore,
  async fn() {
    const outside = await Deno.makeTempDir({ prefix: "engine-outside-" });
    try {
      await using b: Bundle = await makeBundle([
        "sh",
        "-c",
        "ls /escape-abs/m /escape-rel/m && echo inside",
      ], (s) => {
        s.mounts.push(
          { destination: "/escape-abs/m", type: "tmpfs", source: "tmpfs", options: ["nosuid"] },
          { destination: "/escape-rel/m", type: "tmpfs", source: "tmpfs", options: ["nosuid"] },
        );
      });
      // An absolute link to a host directory, and a relative one climbing past the root.
      // Inside the root, both name <rootfs>/<outside>: make that exist there too.
      await Deno.symlink(outside, `${b.rootfs}/escape-abs`);
      await Deno.symlink("../../../../../../../../" + outside.slice(1), `${b.rootfs}/escape-rel`);
      await Deno.mkdir(`${b.rootfs}${outside}`, { recursive: true });
      await b.write();
      const r = await b.engine.run(["run", "--bundle", b.dir, uniqueId("sym")]);
      assertEquals(r.code, 0, r.stderr);
      ok(r.stdout.includes("inside"));
      // Dangling inside the root: refused or kept inside, never followed to the host.
      await Deno.remove(`${b.rootfs}${outside}`, { recursive: true });
      await b.engine.run(["run", "--bundle", b.dir, uniqueId("sym")]);
      // Nothing was created or mounted on the host side of the links.
      const entries = [...Deno.readDirSync(outside)].map((e) => e.name);
      assertEquals(entries, []);
      ok(!(await Deno.readTextFile("/proc/self/mountinfo")).includes(outside));
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  },
});

Deno.test({
  name: "hardening: masked and read-only paths cannot be undone without CAP_SYS_ADMIN",
  ignore,
  async fn() {
    const script = [
      "umount /proc/kcore 2>/dev/null && echo unmasked-kcore",
      "umount -l /proc/sys 2>/dev/null && echo unmounted-sys",
      "mount -o remount,rw /proc/sys 2>/dev/null && echo remounted-sys",
      "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote-sys",
      "cat /proc/kcore 2>/dev/null | head -c 1 | wc -c",
      "echo done",
    ].join("; ");
    await using b: Bundle = await makeBundle(["sh", "-c", script]);
    const r = await b.engine.run(["run", "--bundle", b.dir, uniqueId("mask")]);
    assertEquals(r.stdout.trim().split("\n"), ["0", "done"], r.stderr);
  },
});

Deno.test({
  name: "hardening (class b): a process joining the container never shows the engine binary",
  ignore,
  async fn() {
    // The container watches every process it can see while we exec into it repeatedly;
    // joining processes are non-dumpable until they exec the container's program.
    const watch = "n=0; while [ $n -lt 4000 ]; do for e in /proc/[0-9]*/exe; do " +
      "l=$(readlink $e 2>/dev/null); case $l in *deno*|*engine*) echo SEEN $l;; esac; done; " +
      "n=$((n+1)); done";
    await using b: Bundle = await makeBundle(
      ["sh", "-c", `${watch} > /tmp/seen; sleep 60`],
      (s) => {
        s.root.readonly = false;
      },
    );
    const id = uniqueId("exe");
    assertEquals((await b.engine.run(["run", "-d", "--bundle", b.dir, id])).code, 0);
    for (let i = 0; i < 15; i++) {
      const r = await b.engine.run(["exec", id, "true"]);
      assertEquals(r.code, 0, r.stderr);
    }
    const seen = await b.engine.run(["exec", id, "cat", "/tmp/seen"]);
    assertEquals(seen.stdout, "");
    // The engine's binary and library are not writable from here either.
    const bin = await Deno.stat(Deno.execPath());
    ok((bin.mode! & 0o022) === 0, "deno binary is group/world writable");
  },
});

Deno.test({
  name:
    "hardening: the container gets a session keyring of its own, as runc (--no-new-keyring: not)",
  ignore,
  async fn() {
    // The keys of whoever ran the runtime are in its session keyring; the container joins
    // "_ses.<id>" instead, searchable by its user (perm 3f1b0000), as runc does.
    const script = "grep -o 'perm [0-9a-f]*.*keyring *_ses[^:]*' /proc/keys || echo none";
    await using b: Bundle = await makeBundle(["sh", "-c", script], (s) => {
      s.linux.maskedPaths = s.linux.maskedPaths.filter((p: string) => p !== "/proc/keys");
    });
    const lines = [];
    for (const rt of b.both) {
      const id = uniqueId(`keyring-${rt.name}`);
      const r = await rt.run(["run", "--bundle", b.dir, id]);
      assertEquals(r.code, 0, r.stderr);
      // Other containers' keyrings may be listed too (viewable by the same user, as runc's).
      const mine = r.stdout.split("\n").find((l) => l.endsWith(`_ses.${id}`)) ?? r.stdout;
      lines.push(mine.replace(id, "ID").replace(/ +/g, " ").trim());
    }
    assertEquals(lines[0], lines[1]);
    assertEquals(lines[0], "perm 3f1b0000 0 0 keyring _ses.ID");
    const own = await b.engine.run(["run", "--no-new-keyring", "--bundle", b.dir, uniqueId("nk")]);
    assertEquals(own.code, 0, own.stderr);
    ok(!own.stdout.includes("_ses.nk-"), own.stdout);
  },
});
