// A real `engine daemon` for integration tests: its own short temp data-root, exec-root and
// socket; it starts its own containerd; a busybox image is imported through containerd's
// image API. close() stops the daemon (which stops its containers and containerd) and
// removes every mount, process and directory left.
import { setChildSubreaper } from "../../src/sys/libc.ts";
import { makeBusyboxRootfs } from "./rootfs.ts";
import { removeRulesOf } from "./netfilter.ts";

import { ENGINE } from "./engine.ts";
export { ENGINE };

export interface TestDaemon {
  dir: string;
  /** The daemon's --config-file (written from startDaemon's `config`, {} by default). */
  configFile: string;
  socket: string;
  host: string;
  child: Deno.ChildProcess;
  /** stderr of the daemon so far. */
  log(): string;
  /** curl on the socket: status and body. */
  curl(args: string[]): Promise<{ status: number; body: string }>;
  /** A docker CLI on the socket (code, stdout, stderr). */
  docker(
    bin: string,
    args: string[],
    stdin?: string,
  ): Promise<{ code: number; out: string; err: string }>;
  /** Stops the daemon (SIGTERM) and waits; restart() starts it again on the same dirs. */
  stop(): Promise<void>;
  restart(extra?: string[]): Promise<void>;
  close(): Promise<void>;
}

let subreaper = false;

/** The Linux bridges of the daemon's networks (they outlive the daemon, as docker0 does). */
async function removeBridges(dir: string): Promise<void> {
  const root = `${dir}/data/network/networks`;
  try {
    for await (const e of Deno.readDir(root)) {
      const f = JSON.parse(await Deno.readTextFile(`${root}/${e.name}`));
      const bridge = f?.network?.bridge;
      if (typeof bridge === "string" && bridge) {
        await new Deno.Command("ip", { args: ["link", "del", bridge], stderr: "null" }).output();
      }
    }
  } catch { /* no networks */ }
}

function daemonCommand(): { cmd: string; args: string[] } {
  return { cmd: ENGINE, args: ["daemon"] };
}

async function busyboxTar(dir: string): Promise<string> {
  await makeBusyboxRootfs(`${dir}/bb`);
  const out = await new Deno.Command("tar", {
    args: ["-C", `${dir}/bb`, "-cf", `${dir}/bb.tar`, "."],
  })
    .output();
  if (!out.success) throw new Error("tar busybox rootfs failed");
  await Deno.remove(`${dir}/bb`, { recursive: true });
  return `${dir}/bb.tar`;
}

/** `config`: the daemon.json the daemon starts with (never the host's /etc/engine one). */
export async function startDaemon(extra: string[] = [], config: unknown = {}): Promise<TestDaemon> {
  if (!subreaper) {
    setChildSubreaper();
    subreaper = true;
  }
  // Short: shim and console socket paths under it hold at most 107 bytes.
  const tag = crypto.randomUUID().slice(0, 6);
  const dir = `/tmp/ed${tag}`;
  await Deno.mkdir(dir, { mode: 0o700 });
  const socket = `${dir}/e.sock`;
  const configFile = `${dir}/daemon.json`;
  await Deno.writeTextFile(configFile, JSON.stringify(config));
  const { cmd, args } = daemonCommand();
  let stderr = "";
  let child!: Deno.ChildProcess;
  const spawn = async (more: string[]) => {
    // A restart waits for its own "serving" line, not the one of the run before.
    const from = stderr.length;
    child = new Deno.Command(cmd, {
      args: [
        ...args,
        "--data-root",
        `${dir}/data`,
        "--exec-root",
        `${dir}/r`,
        "-H",
        `unix://${socket}`,
        "--config-file",
        configFile,
        // Its own default bridge and pool (no clash with a real daemon or another test's);
        // nothing masqueraded: test containers never reach out.
        "--bridge",
        `et${tag}`,
        "--default-address-pool",
        `base=10.${64 + (parseInt(tag.slice(0, 2), 16) % 190)}.0.0/16,size=24`,
        "--ip-masq=false",
        ...more,
      ],
      env: { ENGINE_SELF: ENGINE },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    (async () => {
      const dec = new TextDecoder();
      for await (const c of child.stderr) stderr += dec.decode(c);
    })().catch(() => {});
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("engine daemon serving", from)) {
      if (Date.now() > deadline) throw new Error(`daemon did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const curl = async (a: string[]) => {
    const out = await new Deno.Command("curl", {
      args: ["-s", "--unix-socket", socket, "-w", "\n%{http_code}", ...a],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const i = text.lastIndexOf("\n");
    return { status: Number(text.slice(i + 1)), body: text.slice(0, i) };
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  const d: TestDaemon = {
    dir,
    configFile,
    socket,
    host: `unix://${socket}`,
    get child() {
      return child;
    },
    log: () => stderr,
    curl,
    async docker(bin, a, stdin) {
      const p = new Deno.Command(bin, {
        args: a,
        env: { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: `${dir}/dockercfg` },
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).spawn();
      if (stdin !== undefined) {
        const w = p.stdin.getWriter();
        await w.write(new TextEncoder().encode(stdin));
        await w.close();
      }
      const out = await p.output();
      const dec = new TextDecoder();
      return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
    },
    stop,
    restart: (more = []) => spawn([...extra, ...more]),
    async close() {
      await stop();
      // Shims left by a failed test: kill what still runs under our state dir.
      for await (const e of Deno.readDir("/proc")) {
        if (!/^\d+$/.test(e.name)) continue;
        try {
          const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
          if (cmdline.includes(`${dir}/`)) Deno.kill(Number(e.name), "SIGKILL");
        } catch { /* gone */ }
      }
      await removeBridges(dir);
      await removeRulesOf(`${dir}/data`);
      const mounts = await Deno.readTextFile("/proc/self/mountinfo");
      for (const line of mounts.split("\n").reverse()) {
        const target = line.split(" ")[4];
        if (target?.startsWith(dir)) {
          await new Deno.Command("umount", { args: ["-l", target] }).output();
        }
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    await spawn(extra);
    const tar = await busyboxTar(dir);
    const out = await new Deno.Command("curl", {
      args: [
        "-s",
        "-f",
        "--unix-socket",
        `${dir}/r/containerd/containerd.sock`,
        "-X",
        "POST",
        "--data-binary",
        `@${tar}`,
        "http://c/v1/images/import-rootfs?ref=busybox:latest",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`import busybox: ${new TextDecoder().decode(out.stdout)}`);
  } catch (e) {
    await d.close();
    throw e;
  }
  return d;
}

/** `bin args` (a docker CLI) on the daemon: its stdout; a non-zero exit throws with stderr. */
/** POSTs `body` as JSON to `path` ("/v1.43/containers/create?…") on the daemon's socket. */
export function postJson(
  d: TestDaemon,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  return d.curl([
    "-X",
    "POST",
    "-H",
    "Content-Type: application/json",
    "-d",
    JSON.stringify(body),
    `http://127.0.0.1${path}`,
  ]);
}

export async function dockerOk(d: TestDaemon, bin: string, args: string[]): Promise<string> {
  const r = await d.docker(bin, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.err}`);
  return r.out;
}
