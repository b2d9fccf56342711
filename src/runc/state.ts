// Container state under --root, as runc keeps it: <root>/<id>/state.json (0600) and
// <root>/<id>/exec.fifo while created. The status is computed, never trusted from disk:
// the init pid must still be alive with the start time we recorded (pids are reused, and
// /run may survive a reboot here), and a zombie counts as stopped.
import type { Spec } from "./config.ts";
import { OCI_SPEC_VERSION } from "../lib/version.ts";

export type Status = "creating" | "created" | "running" | "paused" | "stopped";

export interface ContainerState {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the init was created. */
  pidStartTime: string;
  bootId: string;
  bundle: string;
  rootfs: string;
  created: string;
  config: Spec;
  /** Controller (or "" on cgroup v2) → host cgroup directory. */
  cgroupPaths: Record<string, string>;
  /** How to reopen the container's cgroup (see cgroup_setup.ts). */
  cgroup: { cgroupsPath?: string; procCgroup: string; none?: boolean };
  /** Namespace type → path, for exec to join. */
  namespacePaths: Record<string, string>;
  noPivot?: boolean;
  /** Created with --no-new-keyring: exec'd processes keep their caller's keyring too. */
  noNewKeyring?: boolean;
}

export const DEFAULT_ROOT = "/run/engine/runc";

/** runc's rule for ids: [\w+.-], not "." or "..", bounded length. */
export function validateId(id: string): void {
  if (!/^[\w+.-]+$/.test(id) || id === "." || id === ".." || id.length > 1024) {
    throw new Error("invalid container ID format");
  }
}

export function containerDir(root: string, id: string): string {
  validateId(id);
  return `${root}/${id}`;
}

export function fifoPath(root: string, id: string): string {
  return `${containerDir(root, id)}/exec.fifo`;
}

export function bootId(): string {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return "";
  }
}

/** [state letter, start time] from /proc/<pid>/stat, or null when there is no such pid. */
export function procStat(pid: number): [string, string] | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses: fields follow the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return [fields[0], fields[19]];
}

/** Is the init recorded in `s` the same, live process? */
export function initAlive(s: ContainerState): boolean {
  if (s.pid <= 0 || (s.bootId && s.bootId !== bootId())) return false;
  const st = procStat(s.pid);
  return st !== null && st[1] === s.pidStartTime && st[0] !== "Z" && st[0] !== "X";
}

export function loadState(root: string, id: string): Promise<ContainerState> {
  const dir = containerDir(root, id);
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/state.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return Promise.reject(new Error("container does not exist"));
    }
    return Promise.reject(e);
  }
  return Promise.resolve(JSON.parse(text) as ContainerState);
}

/**
 * Writes state.json atomically (temp + rename, as runc does: no fsync — runtime state is
 * checked against the boot id and the init's start time when read, and fsync on this
 * ext4 /run costs milliseconds per container start).
 */
export function saveState(root: string, s: ContainerState): Promise<void> {
  const dir = containerDir(root, s.id);
  const tmp = `${dir}/.state.json.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  Deno.renameSync(tmp, `${dir}/state.json`);
  return Promise.resolve();
}

function fifoExists(root: string, id: string): boolean {
  try {
    Deno.lstatSync(fifoPath(root, id));
    return true;
  } catch {
    return false;
  }
}

export async function computeStatus(
  root: string,
  s: ContainerState,
  frozen: () => Promise<boolean>,
): Promise<Status> {
  if (!initAlive(s)) return "stopped";
  // Frozen first, as runc: a created container can be paused too (then neither started
  // nor deleted without --force).
  if (await frozen()) return "paused";
  return fifoExists(root, s.id) ? "created" : "running";
}

/** The container's own session keyring's name, as runc names it (exec joins it too). */
export function sessionKeyringOf(id: string): string {
  return `_ses.${id}`;
}

/** The JSON `runc state` prints (and `list --format json`, with owner filled in). */
export function publicState(s: ContainerState, status: Status, owner = "") {
  const out: Record<string, unknown> = {
    ociVersion: s.config.ociVersion ?? OCI_SPEC_VERSION,
    id: s.id,
    pid: status === "stopped" ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
  };
  if (s.config.annotations && Object.keys(s.config.annotations).length) {
    out.annotations = s.config.annotations;
  }
  out.owner = owner;
  return out;
}

/** The OCI state hooks get on stdin. */
export function hookState(s: ContainerState, status: Status) {
  const out: Record<string, unknown> = {
    ociVersion: s.config.ociVersion ?? OCI_SPEC_VERSION,
    id: s.id,
    status,
    bundle: s.bundle,
  };
  // Go's omitempty: a stopped container's pid (0) is left out, as runc's poststop shows.
  if (status !== "stopped") out.pid = s.pid;
  if (s.config.annotations) out.annotations = s.config.annotations;
  return out;
}

/** Now, with sub-millisecond digits, as Go's RFC3339Nano prints it (trailing zeros trimmed). */
export function rfc3339Nano(): string {
  const now = performance.timeOrigin + performance.now();
  const ms = Math.floor(now);
  const iso = new Date(ms).toISOString(); // 2026-11-27T21:07:12.396Z
  const sub = String(Math.floor((now - ms) * 1e6)).padStart(6, "0");
  const frac = (iso.slice(20, 23) + sub).replace(/0+$/, "");
  return `${iso.slice(0, 19)}${frac ? "." + frac : ""}Z`;
}

export async function listIds(root: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) if (e.isDirectory) ids.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return ids.sort();
}
