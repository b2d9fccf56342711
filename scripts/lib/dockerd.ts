// Debian's dockerd for benchmarks: its own data-root, exec-root and socket, no iptables
// and no bridge unless asked for, stopped by pid with everything it started. The reference
// side of scripts/bench run (and a pattern for the other benches).

export const DOCKERD = "/usr/sbin/dockerd";
/** Debian's docker CLI (20.10, the same version as the daemon). */
export const DOCKER = "/usr/bin/docker";

export interface Dockerd {
  dir: string;
  pid: number;
  env: Record<string, string>;
  docker(args: string[], stdin?: Uint8Array): Promise<string>;
  /** Pids of dockerd and the processes it started (containerd, shims). */
  pids(): Promise<number[]>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids whose command line names `marker` (our temp dir: only what we started). */
export async function pidsNaming(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.includes(marker)) pids.push(Number(e.name));
  }
  return pids;
}

export async function unmountUnder(dir: string): Promise<void> {
  const lines = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n").reverse();
  for (const line of lines) {
    const target = line.split(" ")[4];
    if (target?.startsWith(dir)) {
      await new Deno.Command("umount", { args: ["-l", target] }).output();
    }
  }
}

/**
 * `network.bridge`: an existing Linux bridge (with its address) for dockerd's default network,
 * with iptables and its userland proxy as shipped but no masquerade; without it, no networking.
 * `config`: its daemon.json.
 */
export async function startDockerd(
  dir: string,
  network?: { bridge: string },
  config: Record<string, unknown> = {},
): Promise<Dockerd> {
  await Deno.mkdir(`${dir}/client`, { recursive: true });
  await Deno.writeTextFile(`${dir}/daemon.json`, JSON.stringify(config));
  const sock = `${dir}/docker.sock`;
  const child = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'log=$1; shift; exec "$@" >"$log" 2>&1',
      "sh",
      `${dir}/dockerd.log`,
      DOCKERD,
      "--config-file",
      `${dir}/daemon.json`,
      "--data-root",
      `${dir}/data`,
      "--exec-root",
      `${dir}/exec`,
      "-H",
      `unix://${sock}`,
      "--pidfile",
      `${dir}/dockerd.pid`,
      ...(network
        ? ["--bridge", network.bridge, "--ip-masq=false"]
        : ["--iptables=false", "--ip-masq=false", "--bridge=none"]),
      "--storage-driver",
      "overlay2",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const env = { DOCKER_CONFIG: `${dir}/client`, DOCKER_HOST: `unix://${sock}` };
  const docker = async (args: string[], stdin?: Uint8Array) => {
    const p = new Deno.Command(DOCKER, {
      args,
      env,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin) {
      const w = p.stdin.getWriter();
      await w.write(stdin);
      await w.close();
    }
    const out = await p.output();
    if (!out.success) {
      throw new Error(`docker ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  };
  const d: Dockerd = {
    dir,
    pid: child.pid,
    env,
    docker,
    pids: async () => [child.pid, ...(await pidsNaming(dir)).filter((p) => p !== child.pid)],
    async close() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      await child.status;
      clearTimeout(timer);
      for (const pid of await pidsNaming(dir)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await unmountUnder(dir);
    },
  };
  for (let i = 0; i < 300; i++) {
    if (await docker(["version"]).then(() => true, () => false)) return d;
    await sleep(100);
  }
  await d.close();
  throw new Error(`dockerd did not start:\n${await Deno.readTextFile(`${dir}/dockerd.log`)}`);
}
