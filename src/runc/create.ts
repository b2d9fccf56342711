// `runc create`: bundle + config.json → a container process waiting on its exec fifo.
// Nothing is left behind on failure: no state dir, no cgroup, no process.
import { close, connectUnix, kill, mkfifo, O_PATH, open, tryWait } from "../sys/libc.ts";
import { spawn, SpawnError } from "../sys/libnsenter.ts";
import type { Plan } from "../sys/plan_format.ts";
import { parseSpec, type Spec } from "./config.ts";
import { checkNamespacedSettings } from "./namespaced_settings.ts";
import { checkPreservedFds } from "./preserved_fds.ts";
import { warnRelativeMounts, warnUnknownCapabilities } from "./config_warnings.ts";
import { runHooks } from "./hooks.ts";
import { compileInit, NS_PROC_NAMES } from "./plan.ts";
import {
  bootId,
  containerDir,
  type ContainerState,
  fifoPath,
  hookState,
  procStat,
  rfc3339Nano,
  saveState,
  sessionKeyringOf,
} from "./state.ts";
import { ContainerSetupError, SyncSocket, SyncType } from "../sys/sync.ts";
import { containerCgroup } from "./cgroup_setup.ts";
import { withHome } from "./user_env.ts";
import { trace } from "./trace.ts";

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  preserveFds: number;
  /** `run` in the foreground gives its own console fd and keeps the sync socket. */
  consoleFd?: number;
  detached: boolean;
  /** The bundle, when the caller (run) has read it already. */
  loaded?: { spec: Spec; rootfs: string };
  /** fds for the init's stdio (an in-process caller's pipes); default: ours. */
  stdio?: [number, number, number];
  /** runc's --rootless: cgroups that cannot be created are done without (see cgroup_setup). */
  rootless?: boolean;
  /** --no-new-keyring: the container keeps the caller's session keyring. */
  noNewKeyring?: boolean;
}

export interface Created {
  state: ContainerState;
  sync: SyncSocket;
}

export function readBundle(bundle: string): { spec: Spec; rootfs: string } {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${bundle}/config.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      // runc chdirs into the bundle first: a missing one reads as that.
      let isDir = false;
      try {
        isDir = Deno.statSync(bundle).isDirectory;
      } catch { /* missing */ }
      if (!isDir) throw new Error(`chdir ${bundle}: no such file or directory`);
      throw new Error(`JSON specification file config.json not found in ${bundle}`);
    }
    throw e;
  }
  const spec = parseSpec(text);
  if (!spec.process) throw new Error("config.json: process: is required");
  if (!spec.root?.path) throw new Error("config.json: root.path: is required");
  const rootfs = spec.root.path.startsWith("/") ? spec.root.path : `${bundle}/${spec.root.path}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(rootfs);
  } catch {
    throw new Error(`rootfs (${rootfs}) does not exist`);
  }
  if (!info.isDirectory) throw new Error(`rootfs (${rootfs}) is not a directory`);
  return { spec, rootfs: Deno.realPathSync(rootfs) };
}

function checkConsole(spec: Spec, o: CreateOptions) {
  const terminal = spec.process?.terminal === true;
  if (terminal && o.detached && !o.consoleSocket) {
    throw new Error("cannot allocate tty if runc will detach without setting console socket");
  }
  if (!terminal && o.consoleSocket) {
    throw new Error("cannot use console socket if runc will not detach or allocate tty");
  }
}

/** Writes the pid file as runc does: to a temp name, then renamed into place. */
export async function writePidFile(path: string, pid: number) {
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const dir = abs.slice(0, abs.lastIndexOf("/")) || "/";
  const tmp = `${dir}/.${abs.slice(abs.lastIndexOf("/") + 1)}`;
  await Deno.writeTextFile(tmp, String(pid));
  await Deno.rename(tmp, abs);
}

function killAndReap(pid: number) {
  try {
    kill(pid, 9);
    tryWait(pid);
  } catch { /* already gone */ }
}

/** Runs the child's setup, answering its sync points, until it reports ready. */
async function driveSetup(sync: SyncSocket, state: ContainerState) {
  for (;;) {
    const msg = await sync.next();
    if (!msg) throw new Error("container init exited before it was ready");
    if (msg.type === SyncType.Ready) return;
    if (msg.type === SyncType.Error) throw sync.error(msg);
    if (msg.type === SyncType.Step) {
      const hooks = state.config.hooks;
      const st = hookState(state, "creating");
      await runHooks(hooks?.prestart, st);
      await runHooks(hooks?.createRuntime, st);
      sync.ack();
      // States for the createContainer and startContainer hooks the child runs.
      sync.send(JSON.stringify(st));
      sync.send(JSON.stringify(hookState(state, "created")));
    }
  }
}

export async function create(o: CreateOptions): Promise<Created> {
  const dir = containerDir(o.root, o.id);
  const { spec, rootfs } = o.loaded ?? readBundle(o.bundle);
  checkConsole(spec, o);
  checkNamespacedSettings(spec);
  checkPreservedFds(o.preserveFds);
  warnUnknownCapabilities(spec.process!);
  warnRelativeMounts(spec);
  // Sync calls on this path: local files, and a thread-pool round trip costs more.
  Deno.mkdirSync(o.root, { recursive: true, mode: 0o700 });
  try {
    Deno.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new Error(`container with id exists: ${o.id}`);
    }
    throw e;
  }
  let pid = 0;
  let fifoFd = -1;
  let sync: SyncSocket | undefined;
  trace("create: state dir");
  const cgroup = await containerCgroup(spec, o.id, o.rootless);
  trace("create: cgroup opened");
  try {
    Deno.chmodSync(dir, 0o711);
    mkfifo(fifoPath(o.root, o.id), 0o622);
    Deno.chmodSync(fifoPath(o.root, o.id), 0o622);
    fifoFd = open(fifoPath(o.root, o.id), O_PATH);
    await cgroup.create(spec);
    trace("create: cgroup created");
    const consoleFd = o.consoleFd ?? (o.consoleSocket ? connectUnix(o.consoleSocket) : undefined);
    const plan: Plan = compileInit({
      spec: { ...spec, process: withHome(spec.process!, rootfs) },
      rootfs,
      bundle: o.bundle,
      fifoFd,
      noPivot: o.noPivot,
      consoleFd,
      preserveFds: o.preserveFds,
      cgroupDirs: cgroup.mountDirs(),
      stdio: o.stdio,
      sessionKeyring: o.noNewKeyring ? undefined : sessionKeyringOf(o.id),
      pauseForHooks: Boolean(
        spec.hooks?.prestart?.length || spec.hooks?.createRuntime?.length ||
          spec.hooks?.createContainer?.length || spec.hooks?.startContainer?.length,
      ),
    });
    trace("create: plan compiled");
    let spawned;
    try {
      spawned = spawn(plan);
      trace("create: spawned");
    } catch (e) {
      if (e instanceof SpawnError) {
        const what = e.step === -1
          ? "clone container process"
          : `join namespace ${plan.join[-2 - e.step]?.[1]}`;
        throw new ContainerSetupError(what, e.errno);
      }
      throw e;
    }
    pid = spawned.pid;
    // The child holds its own copy of the console socket; ours is no longer needed.
    if (o.consoleSocket && consoleFd !== undefined && o.consoleFd === undefined) close(consoleFd);
    sync = new SyncSocket(spawned.syncFd, plan);
    // Without a user namespace (id maps first) or a new cgroup namespace (rooted at the
    // cgroup it is unshared in), the child may set up its mounts while we join it to the
    // cgroup: v1 attaches wait for RCU grace periods, milliseconds per hierarchy. It is in
    // the cgroup before it reports ready, and so before it can exec.
    const early = !newNamespace(spec, "user") && !newNamespace(spec, "cgroup");
    if (early) sync.ack();
    await cgroup.apply(pid);
    await writeIdMaps(spec, pid);
    trace("create: cgroup joined");
    const state: ContainerState = {
      id: o.id,
      pid,
      pidStartTime: procStat(pid)?.[1] ?? "",
      bootId: bootId(),
      bundle: o.bundle,
      rootfs,
      created: rfc3339Nano(),
      config: spec,
      cgroupPaths: cgroup.paths(),
      cgroup: cgroup.record,
      namespacePaths: namespacePaths(spec, pid),
      noPivot: o.noPivot,
      noNewKeyring: o.noNewKeyring || undefined,
    };
    if (!early) sync.ack();
    await driveSetup(sync, state);
    close(fifoFd); // the child has its own copy
    fifoFd = -1;
    trace("create: child ready");
    await saveState(o.root, state);
    trace("create: state saved");
    if (o.pidFile) await writePidFile(o.pidFile, pid);
    return { state, sync };
  } catch (e) {
    if (fifoFd >= 0) close(fifoFd);
    sync?.close();
    if (pid) killAndReap(pid);
    await cgroup.destroy().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

function newNamespace(spec: Spec, type: string): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === type && !n.path);
}

/** /proc paths of the container's namespaces (or the paths it joined), for exec. */
function namespacePaths(spec: Spec, pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  const byType = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n.path]));
  for (const [type, procName] of NS_PROC_NAMES) {
    if (byType.has(type)) out[type] = byType.get(type) || `/proc/${pid}/ns/${procName}`;
  }
  return out;
}

async function writeIdMaps(spec: Spec, pid: number) {
  const fmt = (m: { containerID: number; hostID: number; size: number }[]) =>
    m.map((x) => `${x.containerID} ${x.hostID} ${x.size}\n`).join("");
  const uid = spec.linux?.uidMappings ?? [];
  const gid = spec.linux?.gidMappings ?? [];
  if (uid.length) await Deno.writeTextFile(`/proc/${pid}/uid_map`, fmt(uid));
  // Without CAP_SETGID in our own namespace the kernel takes a gid_map only once
  // setgroups(2) is disabled for the new namespace (as runc does for rootless containers).
  if (gid.length && Deno.uid() !== 0) await Deno.writeTextFile(`/proc/${pid}/setgroups`, "deny");
  if (gid.length) await Deno.writeTextFile(`/proc/${pid}/gid_map`, fmt(gid));
}
