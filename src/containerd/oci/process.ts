// Process options: image config merge, args, env, cwd, tty, hostname, init, rlimits,
// oom score, no-new-privileges, annotations. Docker's rules come from moby
// daemon/commit.go (merge), daemon/container.go (getEntrypointAndArgs),
// container/container.go (CreateDaemonEnvironment) and daemon/oci_linux.go.

import { invalidArgument } from "../../lib/errors.ts";
import { DEFAULT_INIT_BINARY, INIT_PATH_IN_CONTAINER } from "./defaults.ts";
import { envKey, linuxOf, processOf, replaceOrAppendEnv, type Spec, type SpecOpt } from "./spec.ts";
import { type RootfsReader, withUser } from "./user.ts";

/** The parts of an image's config (OCI image config `config`) the spec uses. */
export interface ImageConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  StopSignal?: string;
  Labels?: Record<string, string> | null;
}

/** The caller's (container create) overrides; undefined/null means "not given". */
export type ContainerConfig = ImageConfig;

/**
 * Docker's merge(userConf, imageConf) followed by getEntrypointAndArgs: the container's
 * Entrypoint/Cmd win; an overridden Entrypoint drops the image's Cmd; `Entrypoint: [""]`
 * (the CLI's `--entrypoint ""`) resets it to nothing; `Entrypoint: []` only drops the
 * image's entrypoint. Env: the container's entries first, then the image's whose key the
 * container did not set.
 */
export function mergeConfig(image: ImageConfig, container: ContainerConfig = {}) {
  let entrypoint = container.Entrypoint ?? null;
  let cmd = container.Cmd ?? [];
  if (!entrypoint || entrypoint.length === 0) {
    if (cmd.length === 0) cmd = image.Cmd ?? [];
    if (entrypoint === null) entrypoint = image.Entrypoint ?? [];
  }
  if (entrypoint.length === 1 && entrypoint[0] === "") entrypoint = [];
  const containerEnv = container.Env ?? [];
  const keys = new Set(containerEnv.map(envKey));
  const env = [...containerEnv, ...(image.Env ?? []).filter((e) => !keys.has(envKey(e)))];
  return {
    args: [...entrypoint, ...cmd],
    env,
    user: container.User || image.User || "",
    workingDir: container.WorkingDir || image.WorkingDir || "",
  };
}

/**
 * The image's config merged with the caller's, as dockerd does: args, env, working dir and
 * (when `readFile` reads the rootfs, or the user is numeric) the user.
 */
export function withImageConfig(
  image: ImageConfig,
  container: ContainerConfig = {},
  readFile?: RootfsReader,
): SpecOpt {
  return async (spec) => {
    const merged = mergeConfig(image, container);
    if (merged.args.length === 0) throw invalidArgument("no command specified");
    withProcessArgs(...merged.args)(spec);
    withEnv(merged.env)(spec);
    if (merged.workingDir) withWorkingDir(merged.workingDir)(spec);
    if (merged.user || readFile) await withUser(merged.user, readFile ?? (() => null))(spec);
  };
}

const MAX_ARGS = 4096;

/** Replaces process.args. */
export function withProcessArgs(...args: string[]): SpecOpt {
  return (spec) => {
    if (args.length === 0) throw invalidArgument("process args: must not be empty");
    if (args.length > MAX_ARGS) throw invalidArgument(`process args: more than ${MAX_ARGS}`);
    processOf(spec).args = [...args];
  };
}

/** Docker's env rule: each entry replaces the one with the same key, or is appended; an
 * entry without "=" unsets the key. */
export function withEnv(env: string[]): SpecOpt {
  return (spec) => {
    for (const e of env) {
      if (envKey(e) === "") throw invalidArgument(`env ${JSON.stringify(e)}: empty variable name`);
      if (e.includes("\0")) throw invalidArgument(`env ${JSON.stringify(e)}: contains NUL`);
    }
    const p = processOf(spec);
    p.env = replaceOrAppendEnv(p.env ?? [], env);
  };
}

/** Lexically cleans an absolute path (Go's filepath.Clean). */
export function cleanPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** process.cwd; relative paths are refused as Docker does. The runtime creates it. */
export function withWorkingDir(dir: string): SpecOpt {
  return (spec) => {
    if (!dir.startsWith("/") || dir.includes("\0")) {
      throw invalidArgument(
        `the working directory '${dir}' is invalid, it needs to be an absolute path`,
      );
    }
    processOf(spec).cwd = cleanPath(dir);
  };
}

/** process.terminal; with a terminal Docker adds TERM=xterm after PATH and HOSTNAME. */
export function withTTY(tty = true, size?: { height: number; width: number }): SpecOpt {
  return (spec) => {
    const p = processOf(spec);
    p.terminal = tty;
    if (size) p.consoleSize = { ...size };
    if (!tty) return;
    const env = p.env ?? [];
    if (env.some((e) => envKey(e) === "TERM")) return;
    const at = env.findIndex((e) => envKey(e) === "HOSTNAME");
    env.splice(at >= 0 ? at + 1 : env.length, 0, "TERM=xterm");
    p.env = env;
  };
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

/** spec.hostname and the HOSTNAME variable Docker derives from it. */
export function withHostname(name: string): SpecOpt {
  return (spec) => {
    if (name.length > 64 || !HOSTNAME.test(name)) {
      throw invalidArgument(`invalid hostname ${JSON.stringify(name)}`);
    }
    if (!linuxOf(spec).namespaces?.some((n) => n.type === "uts" && !n.path)) {
      throw invalidArgument("conflicting options: hostname and the UTS mode");
    }
    spec.hostname = name;
    const p = processOf(spec);
    p.env = replaceOrAppendEnv(p.env ?? [], [`HOSTNAME=${name}`]);
  };
}

/**
 * Docker's --init: bind-mounts the init binary (Debian's tini-static) read-only at
 * /sbin/docker-init and runs `/sbin/docker-init -- <args>`. Only with a private pid
 * namespace, as Docker (an init makes no sense in the host's or another container's).
 */
export function withInit(
  initPath = DEFAULT_INIT_BINARY,
  exists: (path: string) => Promise<boolean> = fileExists,
): SpecOpt {
  return async (spec) => {
    if (!linuxOf(spec).namespaces?.some((n) => n.type === "pid" && !n.path)) return;
    const p = processOf(spec);
    if (p.args.length === 0) throw invalidArgument("init: set the container's command first");
    if (!initPath.startsWith("/") || !(await exists(initPath))) {
      throw invalidArgument(
        `init: ${initPath} not found (install Debian's tini package or set the init path)`,
      );
    }
    p.args = [INIT_PATH_IN_CONTAINER, "--", ...p.args];
    spec.mounts = (spec.mounts ?? []).filter((m) => m.destination !== INIT_PATH_IN_CONTAINER);
    spec.mounts.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: "bind",
      source: initPath,
      options: ["bind", "ro"],
    });
  };
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Docker's ulimit names (go-units ulimitNameMapping). */
export const ULIMIT_NAMES = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** --ulimit: [{name, soft, hard}] → process.rlimits RLIMIT_<NAME>, replacing same type. */
export function withUlimits(ulimits: Ulimit[]): SpecOpt {
  return (spec) => {
    const p = processOf(spec);
    const rlimits = p.rlimits ?? [];
    for (const u of ulimits) {
      const name = u.name.toLowerCase();
      if (!ULIMIT_NAMES.includes(name)) throw invalidArgument(`invalid ulimit type: ${u.name}`);
      for (const [what, v] of [["soft", u.soft], ["hard", u.hard]] as const) {
        if (!Number.isSafeInteger(v) || v < 0) {
          throw invalidArgument(
            `ulimit ${name}: ${what} limit ${v} must be an integer from 0 to 2^53-1` +
              " (unlimited, -1, is not supported yet)",
          );
        }
      }
      if (u.soft > u.hard) {
        throw invalidArgument(
          `ulimit ${name}: soft limit ${u.soft} must be less than or equal to hard limit ${u.hard}`,
        );
      }
      const type = "RLIMIT_" + name.toUpperCase();
      const entry = { type, soft: u.soft, hard: u.hard };
      const i = rlimits.findIndex((r) => r.type === type);
      if (i >= 0) rlimits[i] = entry;
      else rlimits.push(entry);
    }
    p.rlimits = rlimits;
  };
}

/** process.oomScoreAdj (Docker's --oom-score-adj, -1000..1000). */
export function withOOMScoreAdj(score: number): SpecOpt {
  return (spec) => {
    if (!Number.isInteger(score) || score < -1000 || score > 1000) {
      throw invalidArgument(`invalid value ${score}: range of oom score adj is [-1000, 1000]`);
    }
    processOf(spec).oomScoreAdj = score;
  };
}

/** process.noNewPrivileges (--security-opt no-new-privileges). */
export function withNoNewPrivileges(on = true): SpecOpt {
  return (spec) => {
    processOf(spec).noNewPrivileges = on;
  };
}

const MAX_ANNOTATIONS = 1024;
const MAX_ANNOTATION_BYTES = 64 * 1024;

/** Spec annotations (HostConfig.Annotations, `--annotation`), merged and bounded. */
export function withAnnotations(entries: Record<string, string>): SpecOpt {
  return (spec) => {
    const annotations = { ...(spec.annotations ?? {}) };
    for (const [k, v] of Object.entries(entries)) {
      if (k === "" || typeof v !== "string") {
        throw invalidArgument(
          `annotation ${JSON.stringify(k)}: key must be non-empty, value a string`,
        );
      }
      if (k.length + v.length > MAX_ANNOTATION_BYTES) {
        throw invalidArgument(
          `annotation ${JSON.stringify(k.slice(0, 64))}: longer than ${MAX_ANNOTATION_BYTES}`,
        );
      }
      annotations[k] = v;
    }
    if (Object.keys(annotations).length > MAX_ANNOTATIONS) {
      throw invalidArgument(`more than ${MAX_ANNOTATIONS} annotations`);
    }
    spec.annotations = annotations;
  };
}

/** The stop signal is the daemon's business (it sends it); the spec does not carry it. */
export function withStopSignal(_signal: string): SpecOpt {
  return (_spec: Spec) => {};
}
