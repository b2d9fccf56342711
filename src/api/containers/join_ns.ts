// --ipc, --pid and --network container:<ref>: the other container is named by its full ID
// from create on (as dockerd stores it; an unknown --network one stays as given and fails at
// start), and its namespaces are joined at each start, from the process it runs then
// (dockerd's getIpcContainer, getPidContainer, getNetworkedContainer).
import {
  conflict,
  EngineError,
  type ErrorKind,
  errorKind,
  errorMessage,
  internal,
  invalidArgument,
  notFound,
} from "../../lib/errors.ts";
import {
  withHostname,
  withIpcMode,
  withNetworkMode,
  withPidMode,
} from "../../containerd/oci/mod.ts";
import type { Spec } from "../../containerd/oci/mod.ts";
import type { Daemon } from "../daemon.ts";
import { hasMountFor } from "./shm.ts";
import type { Container } from "./store.ts";

const PREFIX = "container:";

/**
 * Create: "container:<ref>" → "container:<full id>"; other modes unchanged (an empty ref too:
 * it fails at start, as dockerd's).
 */
export function namespaceOwner(d: Daemon, mode: string): string {
  if (!mode.startsWith(PREFIX)) return mode;
  const ref = mode.slice(PREFIX.length);
  if (!ref) return mode;
  const other = d.store.find(ref);
  if (!other) throw invalidArgument(`No such container: ${ref}`);
  return PREFIX + other.rec.ID;
}

/** dockerd's GetContainer: a container by name or ID, and its word for an empty ref. */
function findContainer(d: Daemon, ref: string): Container | undefined {
  if (!ref) throw invalidArgument('invalid name or ID supplied: ""');
  return d.store.find(ref);
}

/** `fn`'s failure with `context` before its words (and of `kind`, if given). */
function within<T>(context: string, fn: () => T, kind?: ErrorKind): T {
  try {
    return fn();
  } catch (e) {
    throw new EngineError(kind ?? errorKind(e), context + errorMessage(e));
  }
}

/** dockerd's checkContainer(containerIsRunning, containerIsNotRestarting). */
function checkRunning(other: Container, ref: string, context = ""): void {
  const s = other.rec.State;
  if (s.Restarting) {
    throw conflict(
      `${context}Container ${ref} is restarting, wait until the container is running`,
    );
  }
  if (!s.Running || !s.Pid) throw conflict(`${context}container ${ref} is not running`);
}

function isDirectory(path: string | undefined): boolean {
  try {
    return !!path && Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The IPC donor: running, and with a /dev/shm to share (a shareable, host or joiner one). */
function ipcDonor(d: Daemon, id: string): Container {
  const context = `can't join IPC of container ${id}: `;
  const other = within(context, () => findContainer(d, id));
  if (!other) throw notFound(`${context}No such container: ${id}`);
  checkRunning(other, id, context);
  if (!isDirectory(other.rec.ShmPath)) {
    throw invalidArgument(
      `${context}non-shareable IPC (hint: use IpcMode:shareable for the donor container)`,
    );
  }
  return other;
}

function pidDonor(d: Daemon, id: string): Container {
  const context = `cannot join PID of a non running container: ${id}: `;
  const other = within(context, () => findContainer(d, id));
  if (!other) throw notFound(`${context}No such container: ${id}`);
  checkRunning(other, id);
  return other;
}

function networkDonor(d: Daemon, c: Container, ref: string): Container {
  const other = d.store.find(ref);
  if (!other) throw notFound(`No such container: ${ref}`);
  if (other.rec.ID === c.rec.ID) throw internal("cannot join own network");
  if (!other.rec.State.Running && !other.rec.State.Restarting) {
    throw conflict(`cannot join network of a non running container: ${ref}`);
  }
  checkRunning(other, ref);
  return other;
}

/**
 * The donor's network namespace, and its hostname, domain name and /etc files as the
 * joiner's (dockerd's initializeNetworking for a container network): the record's paths
 * point at the donor's files, and the spec's binds of them follow (a user's own bind stays).
 */
async function joinNetwork(c: Container, other: Container, spec: Spec): Promise<void> {
  await withNetworkMode(`${PREFIX}/proc/${other.rec.State.Pid}/ns/net`)(spec);
  c.rec.Config.Hostname = other.rec.Config.Hostname;
  c.rec.Config.Domainname = other.rec.Config.Domainname;
  if (c.host.UTSMode !== "host") {
    await withHostname(other.rec.Config.Hostname)(spec); // HOSTNAME in the env too
    spec.domainname = other.rec.Config.Domainname || undefined;
  }
  for (const f of ["HostnamePath", "HostsPath", "ResolvConfPath"] as const) {
    const m = spec.mounts?.find((m) => m.source === c.rec[f] && m.type === "bind");
    if (m && other.rec[f]) m.source = other.rec[f];
    c.rec[f] = other.rec[f];
  }
}

/** Start: the spec joins the namespaces (and /dev/shm, /etc files) of the containers it names. */
export async function joinNamespaces(d: Daemon, c: Container): Promise<void> {
  const { IpcMode: ipc, PidMode: pid, NetworkMode: net } = c.host;
  if (![ipc, pid, net].some((m) => m.startsWith(PREFIX))) return;
  // dockerd's order: the network first (initializeNetworking), then IPC (setupIpcDirs),
  // then the PID namespace (the spec's).
  const netOwner = net.startsWith(PREFIX)
    ? networkDonor(d, c, net.slice(PREFIX.length))
    : undefined;
  // dockerd finds these building the spec, whose failures are all system errors (500).
  const ipcOwner = ipc.startsWith(PREFIX)
    ? within("", () => ipcDonor(d, ipc.slice(PREFIX.length)), "internal")
    : undefined;
  const pidOwner = pid.startsWith(PREFIX)
    ? within("", () => pidDonor(d, pid.slice(PREFIX.length)), "internal")
    : undefined;
  const rec = await d.containerd.containers.get(c.rec.ID);
  const spec = rec.spec as unknown as Spec;
  if (netOwner) await joinNetwork(c, netOwner, spec);
  if (ipcOwner) {
    c.rec.ShmPath = ipcOwner.rec.ShmPath;
    // The joiner's own /dev/shm mount, if any, stays (dockerd's IpcMounts).
    const shm = hasMountFor(c, "/dev/shm") ? undefined : c.rec.ShmPath;
    await withIpcMode(`${PREFIX}/proc/${ipcOwner.rec.State.Pid}/ns/ipc`, shm)(spec);
  }
  if (pidOwner) await withPidMode(`${PREFIX}/proc/${pidOwner.rec.State.Pid}/ns/pid`)(spec);
  await d.containerd.containers.update(c.rec.ID, {
    spec: spec as unknown as Record<string, unknown>,
  });
}
