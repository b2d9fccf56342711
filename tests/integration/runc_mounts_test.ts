// The container's filesystem view: mounts, readonly and masked paths, root.readonly,
// bind mounts with options, devices, --no-pivot and namespaces joined by path, compared
// with /usr/sbin/runc on the same bundle.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { makeBundle, runBoth, sameInside } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";
import type { Spec } from "../../src/runc/spec.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));

/** Mount point, options, fs type and source of each mount (ids and numbers dropped). */
const MOUNTS = "cut -d' ' -f4- /proc/self/mountinfo | sed 's/ shared:[0-9]*//; s/ master:[0-9]*//'";

Deno.test({
  name: "runc mounts: default spec mountinfo",
  ignore,
  async fn() {
    const out = await sameInside("mounts", MOUNTS);
    ok(out.stdout.includes(" /proc "), out.stdout);
    ok(out.stdout.includes(" /dev/pts "), out.stdout);
  },
});

Deno.test({
  name: "runc mounts: readonly paths keep the flags of /proc (nosuid, nodev, noexec) as runc",
  ignore,
  async fn() {
    const out = await sameInside(
      "roflags",
      MOUNTS + " | grep -E ' /proc/(sys|bus) '",
      (s: Spec) => {
        const proc = s.mounts.find((m: { destination: string }) => m.destination === "/proc")!;
        proc.options = ["nosuid", "noexec", "nodev"]; // as Docker's spec mounts it
      },
    );
    ok(/\/proc\/sys ro,nosuid,nodev,noexec/.test(out.stdout), out.stdout);
  },
});

Deno.test({
  name: "runc mounts: readonly and masked paths, root.readonly",
  ignore,
  async fn() {
    const script = [
      "echo 1 > /proc/sys/kernel/hostname 2>/dev/null && echo sys-writable || echo sys-ro",
      "echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable || echo sysrq-ro",
      "echo masked=$(cat /proc/keys /proc/timer_list 2>&1 | wc -c)",
      "ls /proc/acpi /sys/firmware | wc -l",
      "touch /newfile 2>/dev/null && echo root-rw || echo root-ro",
      "touch /tmp/x 2>/dev/null && echo tmp-rw || echo tmp-ro",
      "touch /dev/shm/x && echo shm-rw",
    ].join("; ");
    const out = await sameInside("paths", script);
    assertEquals(out.stdout.split("\n").slice(0, 3), ["sys-ro", "sysrq-ro", "masked=0"]);
    ok(out.stdout.includes("root-ro"), out.stdout);
    const rw = await sameInside("rootrw", script, (s) => {
      s.root.readonly = false;
      s.linux.maskedPaths.push("/etc/group", "/bin/nope");
      s.linux.readonlyPaths.push("/tmp");
    });
    ok(rw.stdout.includes("root-rw") && rw.stdout.includes("tmp-ro"), rw.stdout);
  },
});

Deno.test({
  name: "runc mounts: bind mounts with options, tmpfs, relative source, propagation",
  ignore,
  async fn() {
    const script = MOUNTS + " | grep -E ' /(data|ro|file|scratch)' ; cat /ro/hello /file;" +
      "touch /ro/x 2>/dev/null || echo ro-denied; /data/run.sh 2>/dev/null || echo noexec";
    await sameInside("binds", script, (s: Spec) => {
      s.root.readonly = false;
      s.mounts.push(
        { destination: "/data", type: "bind", source: "data", options: ["rbind", "noexec"] },
        { destination: "/ro", type: "none", source: "data", options: ["bind", "ro", "nosuid"] },
        { destination: "/file", type: "bind", source: "data/hello", options: ["bind", "ro"] },
        {
          destination: "/scratch",
          type: "tmpfs",
          source: "tmpfs",
          options: ["nodev", "size=1m", "mode=700", "rprivate"],
        },
      );
    }, async (b) => {
      await Deno.mkdir(`${b.dir}/data`);
      await Deno.writeTextFile(`${b.dir}/data/hello`, "hello\n");
      await Deno.writeTextFile(`${b.dir}/data/run.sh`, "#!/bin/sh\necho ran\n", { mode: 0o755 });
    });
  },
});

Deno.test({
  name: "runc mounts: linux.devices and the default /dev",
  ignore,
  async fn() {
    const out = await sameInside(
      "devices",
      "ls -l /dev | sed 's/ [A-Z][a-z][a-z] .*:.. / /' | sort; head -c 4 /dev/zero | wc -c",
      (s) => {
        s.linux.devices = [
          { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 },
          { path: "/dev/sub/loopx", type: "b", major: 7, minor: 200, fileMode: 0o640 },
        ];
      },
    );
    ok(out.stdout.includes("fuse"), out.stdout);
  },
});

Deno.test({
  name: "runc mounts: --no-pivot",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", `${MOUNTS} | head -3; ls /`]);
    const out = [];
    for (const rt of b.both) {
      out.push(await rt.run(["run", "--no-pivot", "--bundle", b.dir, `nopivot-${rt.name}`]));
    }
    assertEquals(out[0].code, 0, out[0].stderr);
    assertEquals(out[0].stdout, out[1].stdout);
  },
});

Deno.test({
  name: "runc mounts: a network namespace joined by path",
  ignore,
  async fn() {
    const ns = `engine-test-${Deno.pid}`;
    const add = await new Deno.Command("ip", { args: ["netns", "add", ns] }).output();
    assertEquals(add.code, 0, new TextDecoder().decode(add.stderr));
    try {
      await new Deno.Command("ip", { args: ["netns", "exec", ns, "ip", "link", "set", "lo", "up"] })
        .output();
      const ino = Deno.statSync(`/run/netns/${ns}`).ino;
      const script = "stat -L -c %i /proc/self/ns/net; cat /sys/class/net/lo/operstate";
      const out = await sameInside("netns", script, (s) => {
        s.linux.namespaces = s.linux.namespaces.map((n: { type: string }) =>
          n.type === "network" ? { type: "network", path: `/run/netns/${ns}` } : n
        );
      });
      assertEquals(out.stdout, `${ino}\nunknown\n`);
    } finally {
      await new Deno.Command("ip", { args: ["netns", "delete", ns] }).output();
    }
  },
});

Deno.test({
  name: "runc mounts: a cgroup namespace sees its own cgroup as /",
  ignore,
  async fn() {
    // runc mounts each hierarchy afresh in a cgroup namespace (source "systemd" for
    // name=systemd); ours are binds of the container's cgroup (source "cgroup").
    const script = `cat /proc/self/cgroup; ${MOUNTS} | grep cgroup | sed 's/ systemd / cgroup /'`;
    await sameInside("cgns", script, (s) => {
      s.linux.namespaces.push({ type: "cgroup" });
    });
  },
});

Deno.test({
  name: "runc mounts: the same run twice from one bundle leaves no mount behind",
  ignore,
  async fn() {
    await using b = await makeBundle(["true"]);
    const [e, r] = await runBoth(b, "twice");
    assertEquals([e.code, r.code], [0, 0]);
    const mi = await Deno.readTextFile("/proc/self/mountinfo");
    ok(!mi.includes(b.dir), mi);
  },
});

Deno.test({
  name: "runc mounts: recursive options (rro, rnosuid) reach an rbind's submounts, as runc",
  ignore,
  async fn() {
    // A host directory with a tmpfs mounted inside it: an rbind carries the tmpfs along, and
    // only "rro" makes that submount read-only too. The host's own mounts stay writable.
    const src = await Deno.makeTempDir({ prefix: "engine-rro-" });
    await Deno.mkdir(`${src}/inner`);
    const mount = (args: string[]) => new Deno.Command(args[0], { args: args.slice(1) }).output();
    try {
      assertEquals((await mount(["mount", "-t", "tmpfs", "tmpfs", `${src}/inner`])).code, 0);
      const script = `${MOUNTS} | grep -E ' /(x|y)' | sed 's/ - .*//';` +
        "touch /x/inner/f 2>/dev/null || echo rro-denied; touch /y/inner/f && echo ro-open";
      const out = await sameInside("rro", script, (s) => {
        s.mounts.push(
          { destination: "/x", type: "bind", source: src, options: ["rbind", "rro", "rnosuid"] },
          { destination: "/y", type: "bind", source: src, options: ["rbind", "ro"] },
        );
      });
      ok(/\/x\/inner ro,nosuid/.test(out.stdout), out.stdout);
      ok(/\/y\/inner rw/.test(out.stdout), out.stdout);
      ok(out.stdout.includes("rro-denied\nro-open"), out.stdout);
      await Deno.writeTextFile(`${src}/inner/host`, "still writable");
    } finally {
      await mount(["umount", `${src}/inner`]);
      await Deno.remove(src, { recursive: true });
    }
  },
});

Deno.test({
  name: "runc mounts: a mount target behind a dangling symlink is made where it leads, in root",
  ignore,
  async fn() {
    // runc resolves targets as securejoin does: /abs -> /mnt/made and rel -> ../mnt/rel are
    // created inside the rootfs; esc -> ../../…/tmp/<x> stays inside it too.
    const escape = `/tmp/engine-escape-${Deno.pid}`;
    const script = `${MOUNTS} | grep -E ' /(mnt|tmp)/' | sed 's/ - .*//'; ls /mnt`;
    const out = await sameInside("dangling", script, (s) => {
      s.mounts.push(
        { destination: "/abs", type: "tmpfs", source: "tmpfs", options: ["nosuid"] },
        { destination: "/d/rel/sub", type: "tmpfs", source: "tmpfs", options: ["lazytime"] },
        { destination: "/esc/f", type: "bind", source: "/etc/hostname", options: ["bind"] },
      );
    }, async (b) => {
      await Deno.mkdir(`${b.dir}/rootfs/d`);
      await Deno.mkdir(`${b.dir}/rootfs/mnt`, { recursive: true });
      await Deno.symlink("/mnt/made", `${b.dir}/rootfs/abs`);
      await Deno.symlink("../mnt/rel", `${b.dir}/rootfs/d/rel`);
      await Deno.symlink(`../../../../../../../..${escape}`, `${b.dir}/rootfs/esc`);
    });
    for (const made of ["/mnt/made rw,nosuid", "/mnt/rel/sub", "/tmp/engine-escape-"]) {
      ok(out.stdout.includes(made), out.stdout);
    }
    ok(!(await Deno.lstat(escape).then(() => true, () => false)), `${escape} made on the host`);
    // A symlink loop fails the same way under both.
    const loop = await sameInside("symloop", "true", (s) => {
      s.mounts.push({ destination: "/l1/x", type: "tmpfs", source: "tmpfs" });
    }, async (b) => {
      await Deno.symlink("l2", `${b.dir}/rootfs/l1`);
      await Deno.symlink("l1", `${b.dir}/rootfs/l2`);
    });
    ok(loop.stderr.includes("too many levels of symbolic links"), loop.stderr);
  },
});

Deno.test({
  name: "runc mounts: a tmpfs takes the mode of the directory it covers; tmpcopyup copies it",
  ignore,
  async fn() {
    // /etc/keep (0711) gets a tmpfs without mode=: its root is 0711 as runc's. /etc/up is
    // copied up: files, a subdirectory with its owner,
    // a symlink, a set-uid mode; the tmpfs is read-only once filled.
    const script = "ls -lan /etc/keep /etc/up /etc/up/sub | " +
      "sed -E 's/ +/ /g; s/ [A-Z][a-z]{2} [ 0-9:]+ / /'; cat /etc/up/file /etc/up/sub/f; " +
      "touch /etc/up/new 2>/dev/null || echo up-ro";
    const out = await sameInside("tmpmode", script, (s) => {
      s.mounts.push(
        { destination: "/etc/keep", type: "tmpfs", source: "tmpfs", options: ["nosuid"] },
        {
          destination: "/etc/up",
          type: "tmpfs",
          source: "tmpfs",
          options: ["tmpcopyup", "nosuid", "size=1m"],
        },
      );
    }, async (b) => {
      const etc = `${b.dir}/rootfs/etc`;
      await Deno.mkdir(`${etc}/keep`, { recursive: true, mode: 0o711 });
      await Deno.chmod(`${etc}/keep`, 0o711);
      await Deno.mkdir(`${etc}/up/sub`, { recursive: true });
      await Deno.writeTextFile(`${etc}/up/file`, "kept\n", { mode: 0o4755 });
      await Deno.chmod(`${etc}/up/file`, 0o4755);
      await Deno.writeTextFile(`${etc}/up/sub/f`, "deep\n");
      await Deno.chown(`${etc}/up/sub`, 12, 34);
      await Deno.symlink("file", `${etc}/up/link`);
    });
    ok(out.stdout.includes("drwx--x--x"), out.stdout);
    ok(out.stdout.includes("-rwsr-xr-x 1 0 0 5 file") && out.stdout.includes("kept\ndeep\n"));
    ok(out.stdout.includes("12 34") && out.stdout.includes("link -> file"), out.stdout);
    // A mode= given over an existing directory wins, as in runc 1.2 (1.1 chmods the tmpfs
    // back to the directory's mode after mounting it, discarding e.g. docker's tmpfs-mode).
    await using b = await makeBundle(["stat", "-c", "%a", "/etc/given"], (s) => {
      s.mounts.push({
        destination: "/etc/given",
        type: "tmpfs",
        source: "tmpfs",
        options: ["mode=750"],
      });
    });
    await Deno.mkdir(`${b.rootfs}/etc/given`, { recursive: true, mode: 0o700 });
    const given = await b.engine.run(["run", "--bundle", b.dir, `given-${Deno.pid}`]);
    assertEquals([given.code, given.stdout], [0, "750\n"], given.stderr);
  },
});

Deno.test({
  name: "runc mounts: tmpcopyup copies fifos and devices as nodes, never opening them",
  ignore,
  async fn() {
    // runc 1.1 fails on a fifo here; ours makes the node, and a read-only tmpfs stays so.
    await using b = await makeBundle(
      ["sh", "-c", "ls -l /up | cut -c1; touch /up/x || true"],
      (s) => {
        s.mounts.push({
          destination: "/up",
          type: "tmpfs",
          source: "tmpfs",
          options: ["tmpcopyup", "ro"],
        });
      },
    );
    await Deno.mkdir(`${b.dir}/rootfs/up`);
    for (const args of [["mkfifo", "fifo"], ["mknod", "null", "c", "1", "3"]]) {
      const mk = await new Deno.Command(args[0], { args: args.slice(1), cwd: `${b.dir}/rootfs/up` })
        .output();
      assertEquals(mk.code, 0, args.join(" "));
    }
    await Deno.writeTextFile(`${b.dir}/rootfs/up/a`, "a");
    const r = await b.engine.run(["run", "--bundle", b.dir, `copyup-${Deno.pid}`]);
    assertEquals(r.code, 0, r.stderr);
    // ls -l's first column, sorted by name: a, fifo, null.
    assertEquals(r.stdout, "t\n-\np\nc\n");
    ok(r.stderr.includes("Read-only file system"), r.stderr);
  },
});
