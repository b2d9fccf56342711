// OCI bundles for the runc tests, and the two runtimes they compare: ours
// (`./engine runc --root <tmp>`) and Debian's /usr/sbin/runc (`--root <other tmp>`).
// Every bundle, root and container is removed on dispose, even after a failure.
import { defaultSpec, type Spec } from "../../src/runc/spec.ts";
import { makeBusyboxRootfs } from "./rootfs.ts";
import { setChildSubreaper, tryWait } from "../../src/sys/libc.ts";
import { deepStrictEqual } from "node:assert/strict";

import { ENGINE } from "./engine.ts";
export { ENGINE };
export const RUNC = "/usr/sbin/runc";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** A runtime under test: a command prefix and its own --root. */
export class Runtime {
  constructor(readonly name: "engine" | "runc", readonly root: string) {}

  argv(args: string[]): [string, string[]] {
    return this.name === "engine"
      ? [ENGINE, ["runc", "--root", this.root, ...args]]
      : [RUNC, ["--root", this.root, ...args]];
  }

  /**
   * Runs the runtime with stdout and stderr sent to files, not pipes: a detached container
   * inherits them and would hold a pipe open long after the runtime exits.
   */
  async run(args: string[], o: RunOptions = {}): Promise<Result> {
    const [cmd, argv] = this.argv(args);
    const out = await Deno.makeTempFile({ prefix: "engine-out-" });
    const err = await Deno.makeTempFile({ prefix: "engine-err-" });
    try {
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          'out=$1 err=$2; shift 2; exec "$@" >"$out" 2>"$err"',
          "sh",
          out,
          err,
          cmd,
          ...argv,
        ],
        cwd: o.cwd,
        env: o.env,
        stdin: o.stdin === undefined ? "null" : "piped",
      }).spawn();
      if (o.stdin !== undefined) {
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(o.stdin));
        await w.close();
      }
      // runc's delete waits for an init we adopted: reap it meanwhile (never our child).
      const reaper = subreaper ? setInterval(() => reapAdopted(child.pid), 20) : undefined;
      const st = await child.status.finally(() => clearInterval(reaper));
      return {
        code: st.code,
        stdout: await Deno.readTextFile(out),
        stderr: await Deno.readTextFile(err),
      };
    } finally {
      await Deno.remove(out).catch(() => {});
      await Deno.remove(err).catch(() => {});
    }
  }

  /** Runs and fails with the output when the exit code is not `code`. */
  async ok(args: string[], o: RunOptions = {}, code = 0): Promise<Result> {
    const r = await this.run(args, o);
    if (r.code !== code) {
      throw new Error(
        `${this.name} ${args.join(" ")}: exit ${r.code} (want ${code})\n${r.stdout}${r.stderr}`,
      );
    }
    return r;
  }

  async state(id: string): Promise<Record<string, unknown>> {
    return JSON.parse((await this.ok(["state", id])).stdout);
  }

  /** Deletes every container under our root (with --force), then the root itself. */
  async cleanup(): Promise<void> {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(this.root)) names.push(e.name);
    } catch { /* no root */ }
    for (const id of names) await this.run(["delete", "--force", id]).catch(() => {});
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

export interface Bundle extends AsyncDisposable {
  dir: string;
  rootfs: string;
  spec: Spec;
  /** Writes spec (after changes) to config.json. */
  write(): Promise<void>;
  engine: Runtime;
  runc: Runtime;
  both: Runtime[];
}

let rootfsTemplate: Promise<string> | undefined;

/** One busybox rootfs built per test process, copied (cp -a) into each bundle. */
function template(): Promise<string> {
  return rootfsTemplate ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "engine-rootfs-" });
    await makeBusyboxRootfs(dir);
    await Deno.chmod(dir, 0o755);
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* best effort */ }
    });
    return dir;
  })();
}

/**
 * A bundle with `runc spec`'s default config (terminal off, running `args`), changed by
 * `edit`, and a runtime of each kind with its own temp --root.
 */
export async function makeBundle(
  args: string[] = ["true"],
  edit?: (spec: Spec) => void,
): Promise<Bundle> {
  const dir = await Deno.makeTempDir({ prefix: "engine-bundle-" });
  const rootfs = `${dir}/rootfs`;
  const cp = await new Deno.Command("cp", { args: ["-a", await template(), rootfs] }).output();
  if (!cp.success) throw new Error(`cp rootfs: ${new TextDecoder().decode(cp.stderr)}`);
  const spec = defaultSpec();
  spec.process.terminal = false;
  spec.process.args = args;
  edit?.(spec);
  const engine = new Runtime("engine", await Deno.makeTempDir({ prefix: "engine-root-" }));
  const runc = new Runtime("runc", await Deno.makeTempDir({ prefix: "runc-root-" }));
  const b: Bundle = {
    dir,
    rootfs,
    spec,
    engine,
    runc,
    both: [engine, runc],
    async write() {
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(b.spec, null, "\t"));
    },
    async [Symbol.asyncDispose]() {
      await engine.cleanup();
      await runc.cleanup();
      reapAdopted();
      await unmountUnder(dir);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await b.write();
  return b;
}

/** Unique container ids per test (runtimes share the host's cgroup tree). */
let seq = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${Deno.pid}-${++seq}`;
}

/** Mount points (from /proc/self/mountinfo) at or below `path`. */
export async function mountsUnder(path: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  return text.split("\n").map((l) => l.split(" ")[4]).filter((m) =>
    m && (m === path || m.startsWith(path + "/"))
  );
}

async function unmountUnder(path: string) {
  for (const m of (await mountsUnder(path)).reverse()) {
    await new Deno.Command("umount", { args: ["-l", m] }).output();
  }
}

/** Pids of live processes whose cgroup path mentions `id`. */
export function processesOf(id: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cg = Deno.readTextFileSync(`/proc/${e.name}/cgroup`);
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const st = stat.slice(stat.lastIndexOf(")") + 2)[0];
      if (cg.includes(`/${id}\n`) && st !== "Z") out.push(Number(e.name));
    } catch { /* gone */ }
  }
  return out;
}

/** Cgroup directories named `id` under /sys/fs/cgroup/* (our own cgroup path included). */
export function cgroupDirsOf(id: string): string[] {
  const own = Deno.readTextFileSync("/proc/self/cgroup");
  const out: string[] = [];
  for (const line of own.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrl = m[1] === "" ? "unified" : m[1].replace(/^name=/, "");
    const dir = `/sys/fs/cgroup/${ctrl}${m[2] === "/" ? "" : m[2]}/${id}`;
    try {
      Deno.statSync(dir);
      out.push(dir);
    } catch { /* absent */ }
  }
  return out;
}

/** What a failed create left behind: state dir, mounts, cgroups, processes. */
export async function leftovers(rt: Runtime, bundle: Bundle, id: string): Promise<string[]> {
  const found: string[] = [];
  try {
    await Deno.stat(`${rt.root}/${id}`);
    found.push(`state dir ${rt.root}/${id}`);
  } catch { /* good */ }
  for (const m of await mountsUnder(bundle.dir)) found.push(`mount ${m}`);
  for (const d of cgroupDirsOf(id)) found.push(`cgroup ${d}`);
  for (const p of processesOf(id)) found.push(`process ${p}`);
  return found;
}

let subreaper = false;

/**
 * Makes this test process the subreaper of the containers it starts detached (PID 1
 * here does not reap orphans); zombies are reaped while runtimes run and on dispose.
 */
export function adoptOrphans(): void {
  if (Deno.uid() !== 0 || subreaper) return;
  setChildSubreaper();
  subreaper = true;
}

/** Reaps zombie children this (subreaper) test process adopted, except `spare`. */
export function reapAdopted(spare = -1): void {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(e.name);
      if (f[0] === "Z" && Number(f[1]) === Deno.pid && pid !== spare) tryWait(pid);
    } catch { /* gone or not ours */ }
  }
}

/** Runs `sh -c script` in a fresh container under each runtime; returns both outputs. */
export async function runBoth(
  b: Bundle,
  name: string,
  o: RunOptions = {},
): Promise<[Result, Result]> {
  await b.write();
  const out: Result[] = [];
  for (const rt of b.both) {
    out.push(await rt.run(["run", "--bundle", b.dir, uniqueId(`${name}-${rt.name}`)], o));
  }
  return [out[0], out[1]];
}

/** Container ids of uniqueId() replaced, so both runtimes' outputs compare. */
export function normalizeIds(text: string): string {
  return text.replace(/[\w.]+-(engine|runc)-\d+-\d+/g, "ID");
}

/**
 * Runs `sh -c script` under both runtimes on a bundle changed by `edit`; checks they exit
 * the same and print the same (ids normalized). Returns our result.
 */
export async function sameInside(
  name: string,
  script: string,
  edit?: (s: Spec) => void,
  prepare?: (b: Bundle) => Promise<void>,
): Promise<Result> {
  await using b: Bundle = await makeBundle(["sh", "-c", script], edit);
  await prepare?.(b);
  const [e, r] = await runBoth(b, name);
  deepStrictEqual(
    { code: e.code, stdout: normalizeIds(e.stdout) },
    { code: r.code, stdout: normalizeIds(r.stdout) },
    `engine stderr: ${e.stderr}\nrunc stderr: ${r.stderr}`,
  );
  return e;
}
