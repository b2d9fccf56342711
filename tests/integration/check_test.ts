// `engine check` on this machine: it reports the v1 hybrid cgroup layout this host has and
// exits 0 (every required feature is here). Through ./engine once main.ts dispatches
// `check`; until then through src/check/main.ts directly.
import assert from "node:assert/strict";
import { ENGINE } from "../helpers/engine.ts";
import { missing, type Requirement } from "../helpers/require.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

async function wired(): Promise<boolean> {
  return (await Deno.readTextFile(`${REPO}/main.ts`)).includes("src/check/main.ts");
}

async function check(...args: string[]) {
  const cmd = (await wired()) ? { path: ENGINE, args: ["check", ...args] } : {
    path: Deno.execPath(),
    args: ["run", "-A", "--no-prompt", "--quiet", `${REPO}/src/check/main.ts`, ...args],
  };
  const out = await new Deno.Command(cmd.path, { args: cmd.args, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** This host: v1 controllers in their own hierarchies, cgroup2 at /sys/fs/cgroup/unified. */
function hybridHost(): Requirement {
  let ok = false;
  try {
    Deno.statSync("/sys/fs/cgroup/freezer/cgroup.procs");
    Deno.statSync("/sys/fs/cgroup/unified/cgroup.controllers");
    ok = true;
  } catch {
    // another layout
  }
  return { ok, reason: "this host's cgroups are not v1 hybrid", never: true };
}

interface Item {
  section: string;
  name: string;
  status: string;
  required: boolean;
}

Deno.test({
  name: "engine check --json: v1 hybrid cgroups, every required feature ok, exit 0",
  ignore: missing(hybridHost()),
  async fn() {
    const r = await check("--json");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.cgroup.mode, "hybrid");
    assert.deepEqual(report.cgroup.v2["/sys/fs/cgroup/unified"], ["hugetlb"]);
    assert.equal(report.cgroup.v1.freezer, "/sys/fs/cgroup/freezer");
    const items: Item[] = report.items;
    const status = (section: string, name: string) =>
      items.find((i) => i.section === section && i.name === name)?.status;
    for (const ns of ["mnt", "pid", "uts", "ipc", "net"]) {
      assert.equal(status("Namespaces", ns), "ok");
    }
    for (const c of ["freezer", "devices", "pids"]) assert.equal(status("Cgroups", c), "ok");
    assert.equal(status("Kernel", "openat2"), "ok");
    assert.equal(status("Kernel", "pidfd_open"), "ok");
    assert.equal(status("Filesystems", "overlay"), "ok");
    // hugetlb lives on the unified hierarchy here: out of reach of a v1 manager, a warning.
    assert.equal(status("Cgroups", "hugetlb"), "missing");
    assert.deepEqual(items.filter((i) => i.required && i.status !== "ok"), []);
  },
});

Deno.test({
  name: "engine check: text report names the layout and the verdict; --data-root is measured",
  ignore: missing(hybridHost()),
  async fn() {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "echeck" });
    try {
      const r = await check("--data-root", `${dir}/not/yet`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /cgroup v1 hybrid: v1 controllers .*freezer/);
      assert.match(r.stdout, /cgroup2 at \/sys\/fs\/cgroup\/unified \(controllers: hugetlb\)/);
      assert.match(r.stdout, new RegExp(`free under ${dir}/not/yet \\(measured at ${dir}\\)`));
      assert.match(r.stdout, /^ok: every required feature is present/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("engine check: a bad flag is a usage error (125)", async () => {
  const r = await check("--bogus");
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Usage:\s+engine check/);
});
