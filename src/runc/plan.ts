// config.json → the flat plan the C child executes (see libnsenter/plan.h).
// TypeScript decides here; C only executes. Each step carries a description so a
// failure reads "mount proc to /proc: operation not permitted".
import { MakeTarget, Op, type Plan, type Step } from "../sys/plan_format.ts";
import {
  CAPABILITIES,
  type Capabilities,
  type Hook,
  type Mount,
  type Process,
  RLIMITS,
  type Spec,
} from "./config.ts";
import { MS, parseMountOptions, PROPAGATION } from "./mount_options.ts";
import { compileSeccomp, type Seccomp } from "./seccomp/bpf.ts";

export const CLONE: Record<string, number> = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
};

/** /proc names of the namespaces, in the order they are joined (user first). */
export const NS_PROC_NAMES: [string, string][] = [
  ["user", "user"],
  ["ipc", "ipc"],
  ["uts", "uts"],
  ["network", "net"],
  ["pid", "pid"],
  ["mount", "mnt"],
  ["cgroup", "cgroup"],
];

/** Sync tags: points where the child waits for the parent. */
export const SYNC_HOOKS = 1;

export interface InitOptions {
  spec: Spec;
  rootfs: string;
  /** Absolute host path of the bundle, for relative bind sources. */
  bundle: string;
  /** The exec fifo, opened O_PATH by us; the child inherits it. */
  fifoFd: number;
  noPivot: boolean;
  /** fd connected to --console-socket (or our own socketpair for `run -t`). */
  consoleFd?: number;
  preserveFds: number;
  /** Host cgroup directories of the container, for a cgroup mount: controller dir name → path. */
  cgroupDirs: Record<string, string>;
  /** Pause before pivot_root for prestart/createRuntime hooks (run by the parent) and to
   * receive the state that createContainer/startContainer hooks (run inside) get. */
  pauseForHooks: boolean;
  /** fds to become the process's stdin, stdout and stderr (default: the caller's own). */
  stdio?: [number, number, number];
  /** The container's own session keyring, "_ses.<id>" (none with --no-new-keyring). */
  sessionKeyring?: string;
}

/**
 * runc's session keyring "_ses.<id>": the init joins (makes) it and adds `searchBits` to its
 * permissions (search by its user, or by anyone in a user namespace, where the owner maps
 * oddly); an exec'd process only joins it.
 */
function keyringStep(name: string, searchBits?: number): Step {
  const mask = searchBits === undefined ? 0 : 0xffffffff; // 0: leave the permissions be
  return step(Op.Keyring, `join session keyring ${name}`, name, mask, searchBits ?? 0);
}

/** The step loading linux.seccomp, compiled to BPF here (C only loads it). */
function seccompStep(profile: Record<string, unknown> | undefined): Step | null {
  if (!profile) return null;
  const { flags, filters } = compileSeccomp(profile as unknown as Seccomp);
  return step(Op.Seccomp, "load seccomp filter", flags, filters);
}

/** Dup2 steps giving the process the caller's chosen stdio (the shim's pipes in-process). */
function stdioSteps(stdio: [number, number, number] | undefined): Step[] {
  return (stdio ?? []).map((fd, i) => step(Op.Dup2, `dup2 fd ${fd} to ${i}`, fd, i));
}

const step = (op: Op, what: string, ...fields: Step["fields"]): Step => ({ op, what, fields });

/** The sets' bits; names this runtime does not know are skipped (warned of at create). */
function capMask(names: string[] | undefined): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const bit = CAPABILITIES.indexOf(n);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** Joins (setns) and new namespaces (clone flags) from linux.namespaces. */
export function namespacePlan(spec: Spec): { cloneFlags: number; join: [number, string][] } {
  let cloneFlags = 0;
  const byType = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n.path]));
  const join: [number, string][] = [];
  for (const [type] of NS_PROC_NAMES) {
    if (!byType.has(type)) continue;
    const path = byType.get(type);
    if (path) join.push([CLONE[type], path]);
    // The cgroup namespace is unshared after the parent has joined us to the cgroup.
    else if (type !== "cgroup") cloneFlags |= CLONE[type];
  }
  return { cloneFlags, join };
}

/** The environment's PATH, as the program will be looked up with it. */
function pathOf(env: string[] = []): string {
  // No PATH: a bare name is not found, as with runc (Go's LookPath on an empty PATH).
  return env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? "";
}

/** Steps shared by init and exec: rlimits, identity, capabilities, cwd, fds, exec. */
export function processSteps(p: Process, preserveFds: number, seccomp: Step | null): Step[] {
  const steps: Step[] = [];
  for (const r of p.rlimits ?? []) {
    steps.push(step(Op.Setrlimit, `setrlimit ${r.type}`, RLIMITS[r.type], r.soft, r.hard));
  }
  // No capabilities object means none at all (runc applies empty sets).
  const caps: Capabilities = p.capabilities ?? {};
  steps.push(step(Op.Bounding, "drop bounding capabilities", capMask(caps.bounding)));
  // Without no_new_privs, seccomp must be loaded while CAP_SYS_ADMIN is still held.
  if (seccomp && !p.noNewPrivileges) steps.push(seccomp);
  const groups = p.user.additionalGids ?? [];
  // An unprivileged runtime's user namespace has setgroups(2) denied (runc's RootlessEUID
  // skips it too); extra groups asked for there fail at this step.
  if (groups.length || Deno.uid() === 0) {
    steps.push(step(Op.Setgroups, `setgroups ${JSON.stringify(groups)}`, groups));
  }
  steps.push(step(Op.Setid, `set uid ${p.user.uid} gid ${p.user.gid}`, p.user.uid, p.user.gid));
  steps.push(step(
    Op.Caps,
    "set capabilities",
    capMask(caps.effective),
    capMask(caps.permitted),
    capMask(caps.inheritable),
    capMask(caps.ambient),
  ));
  if (p.noNewPrivileges) steps.push(step(Op.NoNewPrivs, "set no_new_privs"));
  steps.push(step(Op.Chdir, `chdir to cwd ("${p.cwd}") set in config.json failed`, p.cwd));
  steps.push(step(Op.CheckCwd, `check cwd ${p.cwd} is inside the container`));
  steps.push(step(Op.Umask, "set umask", p.user.umask ?? 0o022));
  if (seccomp && p.noNewPrivileges) steps.push(seccomp);
  steps.push(step(Op.CloseFds, "close inherited fds", 3 + preserveFds));
  steps.push(step(Op.Exec, `exec "${p.args[0]}"`, "", p.args, p.env ?? []));
  return steps;
}

/** The lookup of args[0], failing at create time with runc's message when it is missing. */
export function lookpathStep(p: Process): Step {
  return step(Op.Lookpath, `exec: "${p.args[0]}"`, p.args[0], pathOf(p.env));
}

const PROC_ALLOWED = new Set([
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid",
]);

function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function isBind(m: Mount): boolean {
  return m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
}

function mountSteps(m: Mount, o: InitOptions): Step[] {
  const dest = cleanPath(m.destination);
  if (dest.startsWith("/proc/") && !PROC_ALLOWED.has(dest)) {
    throw new Error(`mounts: "${m.destination}" cannot be mounted because it is inside /proc`);
  }
  const { flags, propagation, data, recursiveSet, recursiveClear, copyUp } = parseMountOptions(
    m.options,
  );
  const steps: Step[] = [];
  const type = m.type ?? "";
  const where = `${type || "bind"} ${m.source ?? ""} to ${dest}`;
  if (isBind(m)) {
    const src = m.source?.startsWith("/") ? m.source : `${o.bundle}/${m.source ?? ""}`;
    let make = MakeTarget.Dir;
    try {
      if (!Deno.statSync(src).isDirectory) make = MakeTarget.File;
    } catch {
      throw new Error(`mount ${where}: source "${src}" does not exist`);
    }
    steps.push(
      step(Op.Mount, `mount ${where}`, src, dest, "", MS.BIND | (flags & MS.REC), "", make),
    );
    const remountFlags = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (remountFlags) {
      steps.push(step(Op.Remount, `remount ${dest}`, dest, remountFlags | (flags & MS.REC)));
    }
  } else if (type === "cgroup") {
    steps.push(...cgroupMountSteps(dest, flags, o));
  } else {
    steps.push(
      step(
        Op.Mount,
        `mount ${where}`,
        m.source ?? type,
        dest,
        type,
        flags,
        data,
        copyUp && type === "tmpfs" ? MakeTarget.DirCopyUp : MakeTarget.Dir,
      ),
    );
  }
  if (recursiveSet || recursiveClear) {
    steps.push(
      step(
        Op.MountAttr,
        `set recursive mount attributes of ${dest}`,
        dest,
        recursiveSet,
        recursiveClear,
      ),
    );
  }
  for (const p of propagation) {
    steps.push(step(Op.Mount, `set propagation of ${dest}`, "", dest, "", p, "", MakeTarget.None));
  }
  return steps;
}

/** cgroup v1: a tmpfs holding a read-only bind of each of the container's hierarchies. */
function cgroupMountSteps(dest: string, flags: number, o: InitOptions): Step[] {
  const entries = Object.entries(o.cgroupDirs);
  if (entries.length === 1 && entries[0][0] === "") {
    return [
      step(
        Op.Mount,
        `mount cgroup2 to ${dest}`,
        "cgroup2",
        dest,
        "cgroup2",
        flags,
        "",
        MakeTarget.Dir,
      ),
    ];
  }
  const steps = [
    step(
      Op.Mount,
      `mount tmpfs to ${dest}`,
      "tmpfs",
      dest,
      "tmpfs",
      MS.NOSUID | MS.NODEV | MS.NOEXEC,
      "mode=755",
      MakeTarget.Dir,
    ),
  ];
  for (const [name, hostPath] of entries) {
    const target = `${dest}/${name}`;
    steps.push(
      step(
        Op.Mount,
        `mount cgroup ${name} to ${target}`,
        hostPath,
        target,
        "",
        MS.BIND | MS.REC,
        "",
        MakeTarget.Dir,
      ),
    );
    steps.push(
      step(Op.Remount, `remount ${target}`, target, flags | MS.NOSUID | MS.NODEV | MS.NOEXEC),
    );
    // Co-mounted controllers ("cpu,cpuacct") also appear under each name, as symlinks.
    for (const single of name.split(",")) {
      if (single !== name) {
        steps.push(step(Op.Symlink, `symlink ${dest}/${single}`, name, `${dest}/${single}`));
      }
    }
  }
  // The tmpfs itself stays read-write, as runc leaves it (each hierarchy is read-only).
  return steps;
}

const DEFAULT_DEVICES = [
  { path: "/dev/null", major: 1, minor: 3 },
  { path: "/dev/zero", major: 1, minor: 5 },
  { path: "/dev/full", major: 1, minor: 7 },
  { path: "/dev/random", major: 1, minor: 8 },
  { path: "/dev/urandom", major: 1, minor: 9 },
  { path: "/dev/tty", major: 5, minor: 0 },
];

const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000;

function devNumber(major: number, minor: number): bigint {
  const M = BigInt(major), m = BigInt(minor);
  return ((M & 0xfffn) << 8n) | ((M & ~0xfffn) << 32n) | (m & 0xffn) | ((m & ~0xffn) << 12n);
}

function deviceSteps(spec: Spec, userns: boolean): Step[] {
  const steps: Step[] = [];
  const seen = new Set<string>();
  const devices = [
    ...(spec.linux?.devices ?? []),
    ...DEFAULT_DEVICES.map((d) => ({ ...d, type: "c", fileMode: 0o666, uid: 0, gid: 0 })),
  ];
  for (const d of devices) {
    const path = cleanPath(d.path);
    if (seen.has(path)) continue;
    seen.add(path);
    if (!path.startsWith("/dev/")) throw new Error(`linux.devices: "${d.path}" is not under /dev`);
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent !== "/dev") steps.push(step(Op.Mkdir, `mkdir ${parent}`, parent, 0o755));
    if (userns) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      steps.push(
        step(Op.Mount, `bind device ${path}`, path, path, "", MS.BIND, "", MakeTarget.File),
      );
      continue;
    }
    const kind = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
    const mode = kind | ((d.fileMode ?? 0o666) & 0o7777);
    steps.push(
      step(
        Op.Mknod,
        `create device ${path}`,
        path,
        mode,
        devNumber(d.major ?? 0, d.minor ?? 0),
        d.uid ?? 0,
        d.gid ?? 0,
      ),
    );
  }
  return steps;
}

function devSymlinks(spec: Spec): Step[] {
  const links: [string, string][] = [
    ["/proc/self/fd", "/dev/fd"],
    ["/proc/self/fd/0", "/dev/stdin"],
    ["/proc/self/fd/1", "/dev/stdout"],
    ["/proc/self/fd/2", "/dev/stderr"],
  ];
  try {
    Deno.statSync("/proc/kcore");
    links.push(["/proc/kcore", "/dev/core"]);
  } catch { /* no kcore on this host */ }
  const steps = links.map(([target, link]) => step(Op.Symlink, `symlink ${link}`, target, link));
  if ((spec.mounts ?? []).some((m) => cleanPath(m.destination) === "/dev/pts")) {
    steps.push(step(Op.Symlink, "symlink /dev/ptmx", "pts/ptmx", "/dev/ptmx"));
  }
  return steps;
}

/**
 * OP_HOOK steps running `hooks` with state slot `slot` on their stdin; a failure reads
 * "error running hook #i: …", as runc's.
 */
function hookSteps(hooks: Hook[] | undefined, slot: number): Step[] {
  return (hooks ?? []).map((h, i) =>
    step(
      Op.Hook,
      `error running hook #${i}`,
      -1 - slot,
      h.timeout ?? 0,
      h.path,
      h.args?.length ? h.args : [h.path],
      h.env ?? [],
    )
  );
}

/** The container init's plan: namespaces, rootfs, identity, then the user's process. */
export function compileInit(o: InitOptions): Plan {
  const { spec } = o;
  const proc = spec.process!;
  const ns = namespacePlan(spec);
  const types = new Set((spec.linux?.namespaces ?? []).map((n) => n.type));
  const newNs = (t: string) => (spec.linux?.namespaces ?? []).some((n) => n.type === t && !n.path);
  const userns = types.has("user");
  if (!types.has("mount")) {
    throw new Error("config.json: linux.namespaces: a mount namespace is required");
  }
  const steps: Step[] = [
    ...stdioSteps(o.stdio),
    step(Op.Setsid, "setsid"),
    step(Op.Umask, "set umask 0", 0),
  ];
  // In a new user namespace we start as the overflow id: become its root (mapped by the
  // parent before the go) so mounts and files get a valid owner.
  if (newNs("user")) steps.push(step(Op.Setid, "become root in the user namespace", 0, 0));
  if (newNs("cgroup")) steps.push(step(Op.Unshare, "unshare cgroup namespace", CLONE.cgroup));
  if (o.sessionKeyring) steps.push(keyringStep(o.sessionKeyring, userns ? 0x8 : 0x80000));

  const prop = spec.linux?.rootfsPropagation;
  steps.push(
    step(
      Op.MakePrivate,
      "make / a slave mount",
      prop ? PROPAGATION[prop] | MS.REC : MS.SLAVE | MS.REC,
    ),
  );
  steps.push(step(Op.OpenRoot, `open rootfs ${o.rootfs}`, o.rootfs));
  steps.push(
    step(
      Op.Mount,
      `bind rootfs ${o.rootfs}`,
      o.rootfs,
      "",
      "",
      MS.BIND | MS.REC,
      "",
      MakeTarget.None,
    ),
  );
  steps.push(step(Op.OpenRoot, `open rootfs ${o.rootfs}`, o.rootfs));
  steps.push(step(Op.ExecFifoOpen, "use the exec fifo", o.fifoFd));
  for (const m of spec.mounts ?? []) steps.push(...mountSteps(m, o));
  const devIsBind = (spec.mounts ?? []).some((m) =>
    cleanPath(m.destination) === "/dev" && isBind(m)
  );
  if (!devIsBind) {
    steps.push(...deviceSteps(spec, userns));
    steps.push(...devSymlinks(spec));
  }
  // runc creates a missing cwd (as root, before the pivot).
  if (proc.cwd !== "/") steps.push(step(Op.Mkdir, `mkdir cwd ${proc.cwd}`, proc.cwd, 0o755));
  if (o.pauseForHooks) {
    steps.push(step(Op.Sync, "run prestart and createRuntime hooks", SYNC_HOOKS));
    steps.push(step(Op.RecvState, "receive the container state", 0));
    steps.push(step(Op.RecvState, "receive the container state", 1));
    // createContainer hooks: in the container's namespaces, before pivot_root (host paths).
    steps.push(...hookSteps(spec.hooks?.createContainer, 0));
  }
  steps.push(
    o.noPivot ? step(Op.Chroot, "move rootfs to / (--no-pivot)") : step(Op.PivotRoot, "pivot_root"),
  );
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    steps.push(
      step(Op.WriteFile, `set sysctl ${key}`, `/proc/sys/${key.replaceAll(".", "/")}`, value),
    );
  }
  for (const p of spec.linux?.readonlyPaths ?? []) {
    steps.push(step(Op.Readonly, `make ${p} read-only`, p));
  }
  for (const p of spec.linux?.maskedPaths ?? []) steps.push(step(Op.Mask, `mask ${p}`, p));
  if (spec.root?.readonly) {
    steps.push(step(Op.Remount, "remount rootfs read-only", "/", MS.RDONLY | MS.BIND));
  }
  if (spec.hostname && types.has("uts")) {
    steps.push(step(Op.Sethostname, "sethostname", spec.hostname));
  }
  if (spec.domainname && types.has("uts")) {
    steps.push(step(Op.Setdomainname, "setdomainname", spec.domainname));
  }
  if (proc.oomScoreAdj !== undefined) {
    steps.push(step(Op.OomScore, "set oom_score_adj", String(proc.oomScoreAdj)));
  }
  if (proc.terminal && o.consoleFd !== undefined) {
    const size = proc.consoleSize;
    steps.push(
      step(Op.Console, "set up console", o.consoleFd, size?.height ?? 0, size?.width ?? 0, 1),
    );
  }
  steps.push(lookpathStep(proc));
  steps.push(step(Op.Ready, "report ready"));
  steps.push(step(Op.ExecFifoWait, "wait for start"));
  const process = processSteps(proc, o.preserveFds, seccompStep(spec.linux?.seccomp));
  // startContainer hooks: inside the container after start, right before the user's process.
  process.splice(-1, 0, ...hookSteps(spec.hooks?.startContainer, 1));
  steps.push(...process);
  return { ...ns, steps };
}

export interface ExecOptions {
  process: Process;
  /** /proc/<init pid>/ns/* of the container, joined in order. */
  join: [number, string][];
  consoleFd?: number;
  preserveFds: number;
  stdio?: [number, number, number];
  /** The container's linux.seccomp: exec'd processes get the same filter. */
  seccomp?: Record<string, unknown>;
  /** The container's session keyring to join (runc's setns init), if it has one. */
  sessionKeyring?: string;
}

/** A process joining a running container (`runc exec`). */
export function compileExec(o: ExecOptions): Plan {
  const p = o.process;
  const steps: Step[] = [...stdioSteps(o.stdio), step(Op.Setsid, "setsid")];
  if (o.sessionKeyring) steps.push(keyringStep(o.sessionKeyring));
  if (p.terminal && o.consoleFd !== undefined) {
    const size = p.consoleSize;
    steps.push(
      step(Op.Console, "set up console", o.consoleFd, size?.height ?? 0, size?.width ?? 0, 0),
    );
  }
  steps.push(step(Op.Chdir, "chdir /", "/"));
  steps.push(lookpathStep(p));
  steps.push(step(Op.Ready, "report ready"));
  steps.push(...processSteps(p, o.preserveFds, seccompStep(o.seccomp)));
  return { cloneFlags: 0, join: o.join, steps };
}
