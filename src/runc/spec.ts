// `engine runc spec`: the starter config.json that runc 1.1.5 writes, byte for byte
// (same keys, same order, tab-indented, no trailing newline). Plain TypeScript: this
// file is on the runc start-up path and imports nothing heavy.

import { alreadyExists, wrap } from "../lib/errors.ts";

/** The OCI version runc 1.1.5 writes (specs-go 1.0.2-dev). */
export const SPEC_VERSION = "1.0.2-dev";

export interface DefaultSpecOptions {
  /** Generate a rootless spec (`runc spec --rootless`). */
  rootless?: boolean;
  /** Host uid/gid mapped to root in a rootless spec; defaults to the effective ids. */
  uid?: number;
  gid?: number;
}

// deno-lint-ignore no-explicit-any
export type Spec = Record<string, any>;

const CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

/** The config.json `runc spec [--rootless]` writes, as an object (key order preserved). */
export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const rootless = opts.rootless ?? false;
  const devpts = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"];
  if (!rootless) devpts.push("gid=5");
  const sysfs = rootless
    ? {
      destination: "/sys",
      type: "none",
      source: "/sys",
      options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
    }
    : {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", "ro"],
    };
  const namespaces = rootless
    ? ["pid", "ipc", "uts", "mount", "user"]
    : ["pid", "network", "ipc", "uts", "mount"];

  const linux: Spec = {};
  if (rootless) {
    const uid = opts.uid ?? Deno.uid() ?? 0;
    const gid = opts.gid ?? Deno.gid() ?? 0;
    linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  } else {
    linux.resources = { devices: [{ allow: false, access: "rwm" }] };
  }
  linux.namespaces = namespaces.map((type) => ({ type }));
  linux.maskedPaths = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
  ];
  linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: [...CAPS],
        effective: [...CAPS],
        permitted: [...CAPS],
        ambient: [...CAPS],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "runc",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: devpts },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      {
        destination: "/dev/mqueue",
        type: "mqueue",
        source: "mqueue",
        options: ["nosuid", "noexec", "nodev"],
      },
      sysfs,
      {
        destination: "/sys/fs/cgroup",
        type: "cgroup",
        source: "cgroup",
        options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
      },
    ],
    linux,
  };
}

/**
 * Serializes a spec the way runc does (Go's json.MarshalIndent with a tab, no trailing
 * newline). Go escapes <, > and & in strings; so do we.
 */
export function specToJson(spec: Spec): string {
  return JSON.stringify(spec, null, "\t")
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026");
}

export interface WriteSpecOptions extends DefaultSpecOptions {
  /** Bundle directory (`--bundle`); the current directory when absent. */
  bundle?: string;
}

/**
 * `engine runc spec [--bundle DIR] [--rootless]`: writes DIR/config.json, refusing to
 * overwrite one (runc's message). Returns the path written.
 */
export async function writeSpec(opts: WriteSpecOptions = {}): Promise<string> {
  const dir = opts.bundle ?? ".";
  const path = `${dir.replace(/\/+$/, "") || "/"}/config.json`.replace(/^\/\//, "/");
  const data = new TextEncoder().encode(specToJson(defaultSpec(opts)));
  try {
    // createNew: the existence check and the write are one step (O_EXCL), like a
    // careful `runc spec` would be; mode 0666 before umask, as Go's os.WriteFile.
    await Deno.writeFile(path, data, { createNew: true, mode: 0o666 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw alreadyExists("File config.json exists. Remove it first");
    }
    throw wrap(err, `write ${path}`);
  }
  return path;
}
