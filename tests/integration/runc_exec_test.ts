// `runc exec`: the inline form (--env, --cwd, --user, --additional-gids, --cap), --process
// file.json, --detach with --pid-file; what the new process sees matches runc's.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  adoptOrphans,
  cgroupDirsOf,
  makeBundle,
  normalizeIds,
  reapAdopted,
  uniqueId,
} from "../helpers/bundle.ts";
import { command, missing, root } from "../helpers/require.ts";

const ignore = missing(root(), command("/usr/sbin/runc"));
adoptOrphans();

const PROBE = "id; pwd; echo $FOO $HOME; umask; grep -E '^(Cap|NoNewPrivs)' /proc/self/status;" +
  "readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/1/ns/mnt | uniq | wc -l; hostname";

Deno.test({
  name: "runc exec: inline flags and --process file",
  ignore,
  async fn() {
    await using b = await makeBundle(["sleep", "100"], (s) => {
      s.hostname = "exec-host";
    });
    const process = {
      user: { uid: 1000, gid: 1000, additionalGids: [5], umask: 0o077 },
      args: ["sh", "-c", PROBE],
      env: ["PATH=/bin", "FOO=fromfile"],
      cwd: "/tmp",
      capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] },
      noNewPrivileges: true,
    };
    await Deno.writeTextFile(`${b.dir}/process.json`, JSON.stringify(process));
    const seen = [];
    for (const rt of b.both) {
      const id = uniqueId(`exec-${rt.name}`);
      await rt.ok(["run", "-d", "--bundle", b.dir, id]);
      const obs = [];
      const plain = await rt.run(["exec", id, "sh", "-c", PROBE]);
      obs.push(plain.code, plain.stdout);
      const inline = await rt.run([
        "exec",
        "--env",
        "FOO=bar",
        "--cwd",
        "/tmp",
        "--user",
        "1000:1000",
        "--additional-gids",
        "65534",
        "--cap",
        "CAP_NET_RAW",
        id,
        "sh",
        "-c",
        PROBE,
      ]);
      obs.push(inline.code, inline.stdout);
      const file = await rt.run(["exec", "--process", `${b.dir}/process.json`, id]);
      obs.push(file.code, file.stdout);
      const code = await rt.run(["exec", id, "sh", "-c", "exit 42"]);
      obs.push(code.code);
      const pidFile = `${b.dir}/${id}.exec.pid`;
      await rt.ok(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "50"]);
      const pid = Number(await Deno.readTextFile(pidFile));
      const ps = JSON.parse((await rt.ok(["ps", "--format", "json", id])).stdout);
      obs.push(ps.includes(pid), ps.length);
      await rt.ok(["delete", "--force", id]);
      reapAdopted();
      seen.push(obs.map((o) => typeof o === "string" ? normalizeIds(o) : o));
    }
    assertEquals(seen[0], seen[1]);
    ok(String(seen[0][1]).startsWith("uid=0(root)"), String(seen[0][1]));
    assertEquals(seen[0][6], 42);
  },
});

Deno.test({
  name: "runc exec: --cgroup joins an existing sub-cgroup; bad ones, labels, unpassed fds refused",
  ignore,
  async fn() {
    await using b = await makeBundle(["sleep", "100"]);
    const seen = [];
    for (const rt of b.both) {
      const id = uniqueId(`execcg-${rt.name}`);
      await rt.ok(["run", "-d", "--bundle", b.dir, id]);
      const memory = cgroupDirsOf(id).find((d) => d.startsWith("/sys/fs/cgroup/memory/"))!;
      await Deno.mkdir(`${memory}/sub`);
      const obs: unknown[] = [];
      const cg = async (args: string[]) => {
        const r = await rt.run(["exec", ...args, id, "sh", "-c", "grep memory /proc/self/cgroup"]);
        return [
          r.code,
          r.code === 0 ? r.stdout.replace(id, "ID").replace(/:\/.*\/ID/, ":/ID") : "",
        ];
      };
      obs.push(await cg(["--cgroup", "memory:sub"]));
      obs.push(await cg(["--cgroup", "memory:missing"]), await cg(["--cgroup", "memory:../.."]));
      obs.push(await cg(["--cgroup", "a:b:c"]), await cg(["--cgroup", "x", "--cgroup", "y"]));
      for (
        const flags of [["--apparmor", "p"], ["--process-label", "l"], ["--preserve-fds", "5"]]
      ) {
        obs.push((await rt.run(["exec", ...flags, id, "true"])).code);
      }
      // A sub-cgroup the container's processes made goes with the container.
      await rt.ok(["delete", "-f", id]);
      reapAdopted();
      obs.push(cgroupDirsOf(id));
      seen.push(obs);
    }
    assertEquals(seen[0], seen[1]);
    const [code, line] = seen[0][0] as [number, string];
    ok(code === 0 && line.trim().endsWith("/sub"), line);
  },
});
