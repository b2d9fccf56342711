// `runc exec`: a new process joining a running container's namespaces and cgroup.
// It is a forked C child, non-dumpable before setns, that never execs the engine inside.
import { close, connectUnix, kill as sysKill, wait } from "../sys/libc.ts";
import { spawn, SpawnError } from "../sys/libnsenter.ts";
import { type Process, validateProcess } from "./config.ts";
import { warnUnknownCapabilities } from "./config_warnings.ts";
import { checkSecurityLabels } from "./namespaced_settings.ts";
import { joinSubCgroups, parseSubCgroups } from "./exec_cgroup.ts";
import { checkPreservedFds } from "./preserved_fds.ts";
import { attachConsole, forwardSignals, ownConsole } from "./console.ts";
import { writePidFile } from "./create.ts";
import { cgroupOf } from "./cgroup_setup.ts";
import { CLONE, compileExec, NS_PROC_NAMES } from "./plan.ts";
import { SIGNAL_NUMBERS } from "./signals.ts";
import { computeStatus, type ContainerState, loadState, sessionKeyringOf } from "./state.ts";
import { ContainerSetupError, SyncSocket, SyncType } from "../sys/sync.ts";
import { withHome } from "./user_env.ts";

export interface ExecOptions {
  root: string;
  id: string;
  /** --process file, or the inline form below. */
  processFile?: string;
  args: string[];
  tty: boolean;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** --cgroup: sub-cgroups to run in ([controller:]path). */
  cgroups: string[];
  /** --apparmor and --process-label: refused, as on a host without them. */
  apparmor?: string;
  processLabel?: string;
  /** fds for the process's stdio (an in-process caller's pipes); default: ours. */
  stdio?: [number, number, number];
}

function parseId(raw: string, what: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 2 ** 32 - 1) throw new Error(`invalid ${what} ${raw}`);
  return Number(raw);
}

/** The process to run: from --process, or the container's process with the flags applied. */
async function execProcess(o: ExecOptions, state: ContainerState): Promise<Process> {
  if (o.processFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(await Deno.readTextFile(o.processFile));
    } catch (e) {
      throw new Error(`process.json: ${(e as Error).message}`);
    }
    return validateProcess(raw);
  }
  if (o.args.length === 0) throw new Error("exec args cannot be empty");
  const base = state.config.process!;
  const p: Process = structuredClone(base);
  p.args = o.args;
  p.terminal = o.tty;
  delete p.consoleSize;
  if (o.cwd) p.cwd = o.cwd;
  p.env = [...(base.env ?? []), ...o.env];
  if (o.user) {
    const [uid, gid] = o.user.split(":");
    p.user = { ...p.user, uid: parseId(uid, "uid"), gid: gid ? parseId(gid, "gid") : p.user.gid };
  }
  if (o.additionalGids.length) {
    p.user.additionalGids = o.additionalGids.map((g) => parseId(g, "gid"));
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  for (const cap of o.caps) {
    p.capabilities ??= {};
    // runc 1.1.5 adds --cap to these sets, not to inheritable (CVE-2022-29162).
    for (const set of ["bounding", "effective", "permitted", "ambient"] as const) {
      p.capabilities[set] = [...new Set([...(p.capabilities[set] ?? []), cap])];
    }
  }
  return validateProcess(p);
}

function joinList(state: ContainerState): [number, string][] {
  return NS_PROC_NAMES.filter(([type]) => state.namespacePaths[type])
    .map(([type, procName]) => {
      const path = state.namespacePaths[type];
      // Paths recorded as /proc/<init>/ns/* are re-read now: the init is checked alive.
      return [CLONE[type], path.startsWith("/proc/") ? `/proc/${state.pid}/ns/${procName}` : path];
    });
}

export async function exec(o: ExecOptions): Promise<number> {
  const state = await loadState(o.root, o.id);
  const cg = await cgroupOf(state);
  const status = await computeStatus(o.root, state, () => cg.frozen());
  if (status === "stopped") throw new Error("cannot exec in a stopped container");
  if (status === "paused" && !o.ignorePaused) {
    throw new Error("cannot exec in a paused container (use --ignore-paused to override)");
  }
  const process = await execProcess(o, state);
  checkSecurityLabels(process);
  warnUnknownCapabilities(process);
  checkPreservedFds(o.preserveFds);
  const subCgroups = parseSubCgroups(o.cgroups);
  // runc applies the container's umask to exec'd processes, not process.json's.
  process.user = { ...process.user, umask: state.config.process?.user.umask };
  if (process.terminal && o.detach && !o.consoleSocket) {
    throw new Error("cannot allocate tty if runc will detach without setting console socket");
  }
  if (!process.terminal && o.consoleSocket) {
    throw new Error("cannot use console socket if runc will not detach or allocate tty");
  }
  const tty = process.terminal && !o.consoleSocket ? ownConsole() : undefined;
  const consoleFd = tty?.childFd ?? (o.consoleSocket ? connectUnix(o.consoleSocket) : undefined);
  const plan = compileExec({
    process: withHome(process, state.rootfs),
    join: joinList(state),
    consoleFd,
    preserveFds: o.preserveFds,
    stdio: o.stdio,
    seccomp: state.config.linux?.seccomp,
    sessionKeyring: state.noNewKeyring ? undefined : sessionKeyringOf(state.id),
  });
  let spawned;
  try {
    spawned = spawn(plan);
  } catch (e) {
    if (e instanceof SpawnError) {
      throw new ContainerSetupError(
        e.step === -1 ? "clone" : `join namespace ${plan.join[-2 - e.step]?.[1]}`,
        e.errno,
      );
    }
    throw e;
  } finally {
    if (consoleFd !== undefined) close(consoleFd);
  }
  const { pid } = spawned;
  const sync = new SyncSocket(spawned.syncFd, plan);
  try {
    if (Object.keys(subCgroups).length) await joinSubCgroups(cg.paths(), subCgroups, pid);
    else await cg.apply(pid);
    sync.ack();
    for (;;) {
      const msg = await sync.next();
      if (!msg) break;
      if (msg.type === SyncType.Error) throw sync.error(msg);
    }
  } catch (e) {
    sysKill(pid, 9);
    await wait(pid).catch(() => {});
    throw e;
  } finally {
    sync.close();
  }
  if (o.pidFile) await writePidFile(o.pidFile, pid);
  if (o.detach) return 0;
  const unforward = forwardSignals((sig) => sysKill(pid, SIGNAL_NUMBERS[sig]));
  const io = tty ? attachConsole(await tty.master) : undefined;
  const code = await wait(pid);
  unforward();
  if (io) {
    await Promise.race([io.done, new Promise((r) => setTimeout(r, 200))]);
    io.stop();
  }
  return code;
}
