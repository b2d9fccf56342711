// Reads the host: /proc, /sys, the kernel config, PATH, /etc/group, df. Never throws for
// a missing file: an unreadable source becomes null and the check says so.
import { detectCgroups } from "./cgroups.ts";
import { isStaticElf } from "./elf.ts";
import type { BinaryInfo, HostFacts, ProbeResult } from "./facts.ts";
import { parseKernelConfig } from "./kernel_config.ts";
import { mountOf, parseMountinfo } from "./mountinfo.ts";

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

async function readKernelConfig(paths: string[]): Promise<HostFacts["kernelConfig"]> {
  for (const path of paths) {
    try {
      const bytes = await Deno.readFile(path);
      const text = path.endsWith(".gz") ? await gunzip(bytes) : new TextDecoder().decode(bytes);
      return { source: path, config: parseKernelConfig(text) };
    } catch {
      // unreadable or absent: try the next one
    }
  }
  return null;
}

function kernelRelease(): string {
  return readText("/proc/sys/kernel/osrelease")?.trim() ?? Deno.osRelease();
}

function listNamespaces(): string[] | null {
  try {
    return [...Deno.readDirSync("/proc/self/ns")].map((e) => e.name).sort();
  } catch {
    return null;
  }
}

function seccompMode(): string | null {
  const status = readText("/proc/self/status");
  const m = status ? /^Seccomp:\s*(\d+)/m.exec(status) : null;
  return m ? m[1] : null;
}

function errnoNameOf(e: unknown): string {
  const err = e as { errno?: number; message?: string };
  return typeof err.errno === "number" ? `errno ${err.errno}` : String(err.message ?? e);
}

/** Calls openat2 and pidfd_open once each (libc only; no C library of ours). */
async function probeSyscalls(): Promise<HostFacts["syscalls"]> {
  const out: { openat2: ProbeResult; pidfd_open: ProbeResult } = {
    openat2: null,
    pidfd_open: null,
  };
  let libc;
  try {
    libc = await import("../sys/libc.ts");
  } catch {
    return out;
  }
  const name = (e: unknown) => {
    const n = (e as { errno?: number }).errno;
    return typeof n === "number" ? libc.errnoName(n) : errnoNameOf(e);
  };
  try {
    libc.close(libc.openat2("/", ".", libc.O_RDONLY | libc.O_DIRECTORY, 0));
    out.openat2 = "ok";
  } catch (e) {
    out.openat2 = name(e);
  }
  try {
    const { pidfdOpen } = await import("../sys/process.ts");
    libc.close(pidfdOpen(Deno.pid));
    out.pidfd_open = "ok";
  } catch (e) {
    out.pidfd_open = name(e);
  }
  return out;
}

const EXTRA_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function elfStatic(path: string): boolean | null {
  try {
    const file = Deno.openSync(path);
    try {
      const buf = new Uint8Array(65536);
      const n = file.readSync(buf) ?? 0;
      return isStaticElf(buf.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return null;
  }
}

/** A program by name (searched in PATH and the sbin dirs) or by absolute path. */
export function findBinary(name: string): BinaryInfo | null {
  const dirs = name.startsWith("/")
    ? [""]
    : [...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d), ...EXTRA_PATH];
  for (const dir of dirs) {
    const path = dir ? `${dir}/${name}` : name;
    try {
      const st = Deno.statSync(path);
      if (!st.isFile || ((st.mode ?? 0) & 0o111) === 0) continue;
      return { path, static: elfStatic(path) };
    } catch {
      // not here
    }
  }
  return null;
}

/** Free bytes for `path` from `df -P -B1` (Deno has no statfs). */
async function freeBytes(path: string): Promise<number | null> {
  try {
    const out = await new Deno.Command("df", { args: ["-P", "-B1", path], stderr: "null" })
      .output();
    if (!out.success) return null;
    return parseDfAvailable(new TextDecoder().decode(out.stdout));
  } catch {
    return null;
  }
}

/** The "Available" column of `df -P`'s data line. */
export function parseDfAvailable(text: string): number | null {
  const lines = text.trim().split("\n");
  if (lines.length < 2) return null;
  const fields = lines[lines.length - 1].trim().split(/\s+/);
  const avail = Number(fields[3]);
  return fields.length >= 6 && Number.isFinite(avail) ? avail : null;
}

function nearestExisting(path: string): string {
  let p = path;
  while (p !== "/" && !exists(p)) p = p.slice(0, p.lastIndexOf("/")) || "/";
  return p;
}

/** The docker group from an /etc/group text. */
export function parseGroup(text: string, name: string): HostFacts["dockerGroup"] {
  for (const line of text.split("\n")) {
    const [gname, , gid, members] = line.split(":");
    if (gname === name) {
      return {
        exists: true,
        gid: Number.isFinite(Number(gid)) ? Number(gid) : null,
        members: (members ?? "").split(",").map((m) => m.trim()).filter((m) => m),
      };
    }
  }
  return { exists: false, gid: null, members: [] };
}

export const BINARIES = ["iptables", "ip6tables", "nft", "busybox", "/usr/bin/tini-static"];

export async function gatherFacts(opts: { dataRoot: string }): Promise<HostFacts> {
  const release = kernelRelease();
  const configPaths = ["/proc/config.gz", `/boot/config-${release}`];
  const mounts = parseMountinfo(readText("/proc/self/mountinfo") ?? "");
  const filesystems = readText("/proc/filesystems");
  const maxUserNs = readText("/proc/sys/user/max_user_namespaces");
  const measured = nearestExisting(opts.dataRoot);
  const binaries: Record<string, BinaryInfo | null> = {};
  for (const b of BINARIES) binaries[b] = findBinary(b);
  return {
    kernelRelease: release,
    kernelConfig: await readKernelConfig(configPaths),
    kernelConfigPaths: configPaths,
    namespaces: listNamespaces(),
    maxUserNamespaces: maxUserNs === null ? null : Number(maxUserNs.trim()),
    filesystems: filesystems === null
      ? null
      : filesystems.split("\n").map((l) => l.trim().split(/\s+/).pop() ?? "").filter((f) => f),
    overlayModule: exists(`/lib/modules/${release}/kernel/fs/overlayfs`),
    mounts,
    cgroups: detectCgroups(mounts, (mp) => readText(`${mp}/cgroup.controllers`)),
    seccompMode: seccompMode(),
    syscalls: await probeSyscalls(),
    binaries,
    dataRoot: {
      path: opts.dataRoot,
      measured,
      freeBytes: await freeBytes(measured),
      fsType: mountOf(mounts, measured)?.fsType ?? null,
    },
    dockerGroup: parseGroup(readText("/etc/group") ?? "", "docker"),
  };
}
