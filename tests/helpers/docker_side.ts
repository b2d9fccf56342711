// One scenario, two daemons: Debian's docker CLI (20.10, legacy builder) and curl driving
// either our test daemon or a private Debian dockerd (scripts/lib/dockerd.ts) that holds
// the same busybox image, so a transcript can be checked against dockerd's answers.
import { DOCKER, startDockerd } from "../../scripts/lib/dockerd.ts";
import type { TestDaemon } from "./daemon.ts";

export interface Side {
  /** The docker CLI on this daemon: stdout, failing on a non-zero exit. */
  docker(args: string[]): Promise<string>;
  /** An API call (v1.41, dockerd 20.10's), with a JSON body if given: "<status> <body>". */
  api(method: string, path: string, body?: unknown): Promise<string>;
  /** A scratch directory of this side (build contexts, saved archives). */
  dir: string;
  /** The daemon's API socket (for what api() cannot do, e.g. reading a stream). */
  socket: string;
}

const dec = new TextDecoder();

export function dockerSide(host: string, socket: string, config: string, dir: string): Side {
  return {
    dir,
    socket,
    async docker(args) {
      const out = await new Deno.Command(DOCKER, {
        args,
        env: { DOCKER_BUILDKIT: "0", DOCKER_HOST: host, DOCKER_CONFIG: config },
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(`docker ${args.join(" ")}: ${dec.decode(out.stderr)}`);
      return dec.decode(out.stdout);
    },
    async api(method, path, body) {
      const json = body === undefined
        ? []
        : ["-H", "Content-Type: application/json", "-d", JSON.stringify(body)];
      const out = await new Deno.Command("curl", {
        args: ["-s", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}", ...json].concat(
          `http://127.0.0.1/v1.41${path}`,
        ),
        stdout: "piped",
      }).output();
      const text = dec.decode(out.stdout);
      const i = text.lastIndexOf("\n");
      return `${text.slice(i + 1)} ${text.slice(0, i).trim()}`;
    },
  };
}

/** Our test daemon as a side (scratch files under its directory). */
export async function ourSide(d: TestDaemon): Promise<Side> {
  await Deno.mkdir(`${d.dir}/side`, { recursive: true });
  return dockerSide(d.host, d.socket, `${d.dir}/dockercfg`, `${d.dir}/side`);
}

/**
 * Runs `fn` on a private Debian dockerd (with `config` as its daemon.json) loaded with `d`'s
 * busybox image, then stops it (by pid) and removes its directory.
 */
export async function onDockerd<T>(
  d: TestDaemon,
  fn: (s: Side) => Promise<T>,
  config: Record<string, unknown> = {},
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "side-dockerd-" });
  try {
    const ref = await startDockerd(dir, undefined, config);
    try {
      await Deno.mkdir(`${dir}/side`);
      const saved = await d.docker(DOCKER, ["save", "-o", `${dir}/bb.tar`, "busybox:latest"]);
      if (saved.code !== 0) throw new Error(`save busybox: ${saved.err}`);
      await ref.docker(["load", "-i", `${dir}/bb.tar`]);
      return await fn(
        dockerSide(ref.env.DOCKER_HOST, `${dir}/docker.sock`, `${dir}/client`, `${dir}/side`),
      );
    } finally {
      await ref.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
