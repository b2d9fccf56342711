// OCI hooks: each kind runs at its point with the container state on stdin, in the right
// namespace (createContainer and startContainer inside the container's mount namespace);
// a failing hook fails create and leaves nothing behind. Compared with runc.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { leftovers, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));
const KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart"];

Deno.test({
  name: "runc hooks: every kind gets the state, in the right mount namespace",
  ignore,
  async fn() {
    await using b = await makeBundle(["sh", "-c", "readlink /proc/self/ns/mnt"]);
    const out = `${b.dir}/hooks`;
    const hook = (kind: string, dir: string, sh = "/bin/sh") => ({
      path: sh,
      args: [
        "sh",
        "-c",
        `cat > ${dir}/${kind}.json; readlink /proc/self/ns/mnt > ${dir}/${kind}.mnt`,
      ],
    });
    b.spec.root.readonly = false;
    b.spec.hooks = Object.fromEntries(
      [...KINDS, "poststop"].map((
        k,
      ) => [k, [k === "startContainer" ? hook(k, "/tmp") : hook(k, out)]]),
    );
    await b.write();
    const seen = [];
    for (const rt of b.both) {
      await Deno.mkdir(out, { recursive: true });
      const id = uniqueId(`hooks-${rt.name}`);
      const r = await rt.run(["run", "--bundle", b.dir, id]);
      assertEquals(r.code, 0, r.stderr);
      const containerMnt = r.stdout.trim();
      const hostMnt = await Deno.readLink("/proc/self/ns/mnt");
      const obs: unknown[] = [];
      for (const kind of [...KINDS, "poststop"]) {
        const dir = kind === "startContainer" ? `${b.rootfs}/tmp` : out;
        try {
          const st = JSON.parse(await Deno.readTextFile(`${dir}/${kind}.json`));
          const mnt = (await Deno.readTextFile(`${dir}/${kind}.mnt`)).trim();
          obs.push(kind, st.id === id, st.bundle === b.dir, typeof st.pid, st.ociVersion);
          obs.push(mnt === containerMnt ? "container" : mnt === hostMnt ? "host" : mnt);
        } catch (e) {
          obs.push(kind, `missing: ${(e as Error).message}`);
        }
      }
      seen.push(obs);
      await Deno.remove(out, { recursive: true });
      await Deno.remove(`${b.rootfs}/tmp/startContainer.json`).catch(() => {});
    }
    assertEquals(seen[0], seen[1]);
  },
});

Deno.test({
  name: "runc hooks: a failing hook fails create in runc's words and leaves nothing",
  ignore,
  async fn() {
    for (const kind of ["prestart", "createRuntime", "createContainer"]) {
      await using b = await makeBundle(["true"], (s) => {
        s.hooks = { [kind]: [{ path: "/bin/sh", args: ["sh", "-c", "exit 3"] }] };
      });
      for (const rt of b.both) {
        const id = uniqueId(`failhook-${rt.name}`);
        const r = await rt.run(["create", "--bundle", b.dir, id]);
        ok(r.code !== 0, `${rt.name} ${kind}: create succeeded`);
        // runc's words, whether the runtime or the container process ran the hook.
        ok(r.stderr.includes("error running hook #0: error running hook: exit status 3"), r.stderr);
        if (rt.name === "engine") assertEquals(await leftovers(rt, b, id), [], kind);
      }
    }
  },
});

Deno.test({
  name: "runc hooks: a missing hook program and a hook past its timeout, as runc says them",
  ignore,
  async fn() {
    const cases: [string, unknown, string][] = [
      ["createRuntime", { path: "/nonexistent" }, "fork/exec /nonexistent: no such file"],
      ["createContainer", { path: "/nonexistent" }, "fork/exec /nonexistent: no such file"],
      [
        "createContainer",
        { path: "/bin/sleep", args: ["sleep", "5"], timeout: 1 },
        "hook ran past specified timeout of 1.0s",
      ],
    ];
    for (const [kind, hook, want] of cases) {
      await using b = await makeBundle(["true"], (s) => {
        s.hooks = { [kind]: [hook] };
      });
      for (const rt of b.both) {
        const r = await rt.run(["create", "--bundle", b.dir, uniqueId(`hookmsg-${rt.name}`)]);
        ok(r.code !== 0 && r.stderr.includes(`error running hook #0: ${want}`), r.stderr);
      }
    }
  },
});
