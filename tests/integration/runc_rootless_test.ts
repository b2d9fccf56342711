// `engine runc` as an unprivileged user (rootless): a fresh user runs a bundle from
// `engine runc spec --rootless` (user namespace mapping only its own uid and gid, no network
// namespace). This host has no cgroup delegation, so the container runs in the user's cgroup
// without limits, as runc does. The process sees the same things under /usr/sbin/runc; the
// lifecycle verbs (exec included) work and leave nothing behind. The user is removed whatever
// happens.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { adoptOrphans, ENGINE, reapAdopted, RUNC } from "../helpers/bundle.ts";
import { makeBusyboxRootfs } from "../helpers/rootfs.ts";
import { command, missing, root } from "../helpers/require.ts";

const td = new TextDecoder();

async function sh(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${td.decode(out.stderr)}`);
}

/**
 * Runs argv as `user` with a private XDG_RUNTIME_DIR; stdout, stderr and the exit code.
 * `quiet` for create: the container's init keeps its stdio open, pipes would never end.
 */
async function asUser(user: string, env: Record<string, string>, argv: string[], quiet = false) {
  const out = await new Deno.Command("runuser", {
    args: ["-u", user, "--", "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv],
    stdin: "null",
    stdout: quiet ? "null" : "piped",
    stderr: quiet ? "null" : "piped",
  }).output();
  return {
    code: out.code,
    stdout: quiet ? "" : td.decode(out.stdout),
    stderr: quiet ? "" : td.decode(out.stderr),
  };
}

const INSIDE = "id; cat /proc/self/uid_map /proc/self/gid_map; grep -E '^Cap(Eff|Bnd)' " +
  "/proc/self/status; echo x > /dev/null && echo null-ok; ls /dev; cat /proc/self/cgroup | " +
  "grep -c . >/dev/null && echo cgroup-ok";

Deno.test({
  name: "runc rootless: an unprivileged user runs a rootless bundle like runc; lifecycle verbs",
  ignore: missing(root(), command(RUNC), command("/usr/sbin/useradd"), command("/sbin/runuser")),
  async fn() {
    adoptOrphans(); // the detached init outlives `create`
    const user = `engrl${crypto.randomUUID().slice(0, 6)}`;
    const dir = await Deno.makeTempDir({ prefix: "engine-rootless-" });
    await sh("useradd", ["-m", "-s", "/bin/sh", user]);
    try {
      await Deno.chmod(dir, 0o755);
      const bundle = `${dir}/bundle`;
      await Deno.mkdir(bundle);
      await makeBusyboxRootfs(`${bundle}/rootfs`);
      await sh("chown", ["-R", `${user}:${user}`, dir]);
      const env = { XDG_RUNTIME_DIR: `${dir}/xdg`, HOME: `/home/${user}` };
      await Deno.mkdir(env.XDG_RUNTIME_DIR, { mode: 0o700 });
      await sh("chown", [`${user}:${user}`, env.XDG_RUNTIME_DIR]);

      const spec = await asUser(user, env, [
        "sh",
        "-c",
        `cd ${bundle} && ${ENGINE} runc spec --rootless`,
      ]);
      assertEquals(spec.code, 0, spec.stderr);
      const config = JSON.parse(await Deno.readTextFile(`${bundle}/config.json`));
      const uid = Number((await asUser(user, env, ["id", "-u"])).stdout.trim());
      assertEquals(config.linux.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
      config.process.terminal = false;
      config.process.args = ["sh", "-c", INSIDE];
      await Deno.writeTextFile(`${bundle}/config.json`, JSON.stringify(config));

      const ours = await asUser(user, env, [
        ENGINE,
        "runc",
        "--root",
        `${dir}/state`,
        "run",
        "--bundle",
        bundle,
        "rl-run",
      ]);
      const theirs = await asUser(user, env, [
        RUNC,
        "--root",
        `${dir}/state-runc`,
        "run",
        "--bundle",
        bundle,
        "rl-run",
      ]);
      assertEquals(ours.code, 0, ours.stderr);
      assertEquals(theirs.code, 0, theirs.stderr);
      assertEquals(ours.stdout, theirs.stdout);
      ok(ours.stdout.startsWith("uid=0(root) gid=0(root)"), ours.stdout);
      ok(new RegExp(`^\\s*0\\s+${uid}\\s+1$`, "m").test(ours.stdout), "only its own uid mapped");
      ok(ours.stdout.includes("null-ok"));

      // create, state, start, kill, delete: each verb a separate unprivileged process
      config.process.args = ["sleep", "60"];
      await Deno.writeTextFile(`${bundle}/config.json`, JSON.stringify(config));
      const rc = (...args: string[]) =>
        asUser(
          user,
          env,
          [ENGINE, "runc", "--root", `${dir}/state`, ...args],
          args[0] === "create",
        );
      assertEquals((await rc("create", "--bundle", bundle, "rl-c")).code, 0);
      assertEquals(JSON.parse((await rc("state", "rl-c")).stdout).status, "created");
      assertEquals((await rc("start", "rl-c")).code, 0);
      const state = JSON.parse((await rc("state", "rl-c")).stdout);
      assertEquals(state.status, "running");
      const exec = await rc("exec", "rl-c", "id");
      assertEquals([exec.code, exec.stdout], [0, "uid=0(root) gid=0(root) groups=0(root)\n"]);
      assertEquals((await rc("kill", "rl-c", "KILL")).code, 0);
      for (let i = 0; i < 100; i++) {
        if (JSON.parse((await rc("state", "rl-c")).stdout).status === "stopped") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const del = await rc("delete", "rl-c");
      assertEquals(del.code, 0, del.stderr);
      assertEquals([...Deno.readDirSync(`${dir}/state`)].map((e) => e.name), []);
      reapAdopted();
      ok(!(await Deno.stat(`/proc/${state.pid}`).then(() => true, () => false)), "init gone");
    } finally {
      for (const [rt, root] of [[ENGINE, "state"], [RUNC, "state-runc"]]) {
        for (const id of ["rl-run", "rl-c"]) {
          const args = rt === ENGINE ? ["runc"] : [];
          await new Deno.Command(rt, {
            args: [...args, "--root", `${dir}/${root}`, "delete", "-f", id],
            stdout: "null",
            stderr: "null",
          }).output();
        }
      }
      await sh("userdel", ["-r", user]).catch((e) => console.error(`cleanup: ${e}`));
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runc rootless: without --root, state goes under $XDG_RUNTIME_DIR (root's: /run/engine)",
  ignore: missing(root(), command("/usr/sbin/useradd"), command("/sbin/runuser")),
  async fn() {
    const user = `engrd${crypto.randomUUID().slice(0, 6)}`;
    const dir = await Deno.makeTempDir({ prefix: "engine-rootless-" });
    await sh("useradd", ["-m", "-s", "/bin/sh", user]);
    try {
      await Deno.chmod(dir, 0o755);
      const env = { XDG_RUNTIME_DIR: `${dir}/xdg`, HOME: `/home/${user}` };
      await Deno.mkdir(env.XDG_RUNTIME_DIR, { mode: 0o700 });
      await sh("chown", [`${user}:${user}`, env.XDG_RUNTIME_DIR]);
      // It used /run/runc (the help's default) and failed there with EACCES.
      const list = await asUser(user, env, [ENGINE, "runc", "list", "-q"]);
      assertEquals([list.code, list.stderr], [0, ""]);
      const asRoot = await new Deno.Command(ENGINE, { args: ["runc", "list", "-q"] }).output();
      assertEquals(asRoot.code, 0, td.decode(asRoot.stderr));
    } finally {
      await sh("userdel", ["-r", user]).catch((e) => console.error(`cleanup: ${e}`));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
