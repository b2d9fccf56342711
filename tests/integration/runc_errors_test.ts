// Bad input: a clear one-line error, a non-zero exit, and nothing left behind (no state
// dir, no mount of the bundle, no cgroup, no process). Wording checked against runc's.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { type Bundle, leftovers, makeBundle, type Result, uniqueId } from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";
import type { Spec } from "../../src/runc/spec.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));

/** The logrus msg of the last stderr line. */
function message(r: Result): string {
  const line = r.stderr.trim().split("\n").pop() ?? "";
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m ? JSON.parse(`"${m[1]}"`) : line;
}

/** `create` fails under both runtimes; each message must contain `want`; nothing is left. */
async function failsClean(
  name: string,
  want: string | RegExp,
  edit?: (s: Spec) => void,
  prepare?: (b: Bundle) => Promise<void>,
) {
  await using b = await makeBundle(["true"], edit);
  await prepare?.(b);
  for (const rt of b.both) {
    const id = uniqueId(`${name}-${rt.name}`);
    const r = await rt.run(["create", "--bundle", b.dir, id]);
    ok(r.code !== 0, `${rt.name} create ${name} succeeded`);
    const msg = message(r);
    ok(
      typeof want === "string" ? msg.includes(want) : want.test(msg),
      `${rt.name}: ${JSON.stringify(msg)} lacks ${want}`,
    );
    if (rt.name === "engine") {
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      assertEquals(await leftovers(rt, b, id), []);
    }
  }
}

Deno.test({
  name: "runc errors: missing and malformed config.json",
  ignore,
  async fn() {
    await failsClean(
      "noconfig",
      "JSON specification file config.json not found",
      undefined,
      (b) => Deno.remove(`${b.dir}/config.json`),
    );
    await failsClean(
      "badjson",
      /invalid|JSON/,
      undefined,
      (b) => Deno.writeTextFile(`${b.dir}/config.json`, "{bad"),
    );
  },
});

Deno.test({
  name: "runc errors: unknown namespace type, nonexistent rootfs",
  ignore,
  async fn() {
    await failsClean("badns", "bogus", (s) => {
      s.linux.namespaces.push({ type: "bogus" });
    });
    await failsClean("norootfs", /nonexistent.*(does not exist|no such file)/, (s) => {
      s.root.path = "nonexistent";
    });
  },
});

Deno.test({
  name: "runc errors: args[0] not found and not executable",
  ignore,
  async fn() {
    await failsClean("nope", 'exec: "nope": executable file not found in $PATH', (s) => {
      s.process.args = ["nope"];
    });
    await failsClean("noexec", /exec: "\/etc\/passwd": .*permission denied/, (s) => {
      s.process.args = ["/etc/passwd"];
    });
  },
});

Deno.test({
  name: "runc errors: invalid id, duplicate id",
  ignore,
  async fn() {
    await using b = await makeBundle(["sleep", "10"]);
    for (const rt of b.both) {
      const bad = await rt.run(["create", "--bundle", b.dir, "a/b"]);
      assertEquals([bad.code, message(bad)], [
        1,
        "runc create failed: invalid container ID format",
      ]);
      const id = uniqueId(`dup-${rt.name}`);
      await rt.ok(["create", "--bundle", b.dir, id]);
      const dup = await rt.run(["create", "--bundle", b.dir, id]);
      ok(dup.code === 1 && /exists/.test(message(dup)), dup.stderr);
      assertEquals((await rt.state(id)).status, "created");
      await rt.ok(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "runc errors: verbs on a container that does not exist",
  ignore,
  async fn() {
    await using b = await makeBundle();
    const seen = [];
    for (const rt of b.both) {
      const out = [];
      for (const args of [["state"], ["start"], ["kill"], ["delete"], ["exec"], ["ps"]]) {
        const r = await rt.run(
          args[0] === "exec" ? [...args, "ghost", "true"] : [...args, "ghost"],
        );
        out.push(args[0], r.code, message(r));
      }
      seen.push(out);
    }
    assertEquals(seen[0], seen[1]);
  },
});

Deno.test({
  name: "runc errors: settings of a namespace the container does not have are refused, as runc",
  ignore,
  async fn() {
    const without = (type: string) => (s: Spec) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== type);
    };
    // Written from the host's namespaces these would change the host: never attempted.
    await failsClean(
      "sysvm",
      'sysctl "vm.swappiness" is not in a separate kernel namespace',
      (s) => {
        s.linux.sysctl = { "vm.swappiness": "10" };
      },
    );
    await failsClean(
      "sysnet",
      'sysctl "net.ipv4.ip_forward" not allowed in host network namespace',
      (s) => {
        without("network")(s);
        s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
      },
    );
    await failsClean(
      "sysipc",
      'sysctl "kernel.sem" is not allowed in the hosts ipc namespace',
      (s) => {
        without("ipc")(s);
        s.linux.sysctl = { "kernel.sem": "250 32000 32 128" };
      },
    );
    await failsClean("syshost", 'conflicts with the OCI "hostname" field', (s) => {
      s.linux.sysctl = { "kernel.hostname": "x" };
    });
    await failsClean("nouts", "unable to set hostname without a private UTS namespace", (s) => {
      without("uts")(s);
      s.hostname = "not-the-host";
    });
    await failsClean("selinux", "selinux label is specified in config", (s) => {
      s.process.selinuxLabel = "system_u:system_r:container_t:s0";
    });
    ok(Deno.hostname() !== "not-the-host");
  },
});

Deno.test({
  name:
    "runc errors: a uid or gid beyond 2^31-1 is refused (as -1 it would leave the process root)",
  ignore,
  async fn() {
    for (const field of ["uid", "gid"] as const) {
      await failsClean(`id${field}`, /2147483647/, (s) => {
        s.process.user[field] = 2 ** 32 - 1;
      });
    }
  },
});

Deno.test({
  name: "runc errors: a bundle directory that does not exist reads as runc's chdir",
  ignore,
  async fn() {
    await using b = await makeBundle(["true"]);
    for (const rt of b.both) {
      const r = await rt.run([
        "create",
        "--bundle",
        `${b.dir}/nope`,
        uniqueId(`nobundle-${rt.name}`),
      ]);
      ok(message(r).endsWith(`chdir ${b.dir}/nope: no such file or directory`), r.stderr);
    }
  },
});
