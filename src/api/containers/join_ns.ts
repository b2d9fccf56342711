// --ipc container:<ref> and --pid container:<ref>: the other container is named by its full
// ID from create on (as dockerd stores it), and its namespaces are joined at each start,
// from the process it runs then (dockerd's getIpcContainer/getPidContainer).
import { conflict, invalidArgument, notFound } from "../../lib/errors.ts";
import { withIpcMode, withPidMode } from "../../containerd/oci/mod.ts";
import type { Spec } from "../../containerd/oci/mod.ts";
import type { Daemon } from "../daemon.ts";
import type { Container } from "./store.ts";

const PREFIX = "container:";

/** Create: "container:<ref>" → "container:<full id>"; other modes unchanged. */
export function namespaceOwner(d: Daemon, mode: string, what: "IPC" | "PID"): string {
  if (!mode.startsWith(PREFIX)) return mode;
  const ref = mode.slice(PREFIX.length);
  if (!ref) throw invalidArgument(`invalid ${what} mode: ${mode}`);
  const other = d.store.find(ref);
  if (!other) throw invalidArgument(`No such container: ${ref}`);
  return PREFIX + other.rec.ID;
}

/**
 * The running process of the container `mode` names, with dockerd's errors (getIpcContainer,
 * getPidContainer): a conflict when it does not run.
 */
function ownerPid(d: Daemon, mode: string, what: "IPC" | "PID"): number {
  const id = mode.slice(PREFIX.length);
  const context = what === "IPC"
    ? `can't join IPC of container ${id}: `
    : `cannot join PID of a non running container: ${id}: `;
  const other = d.store.find(id);
  if (!other) throw notFound(`${context}No such container: ${id}`);
  const s = other.rec.State;
  if (!s.Running || s.Restarting || !s.Pid) {
    throw conflict(`${what === "IPC" ? context : ""}container ${id} is not running`);
  }
  if (what === "IPC" && !["shareable", "host"].includes(other.host.IpcMode)) {
    throw invalidArgument(
      `${context}non-shareable IPC (hint: use IpcMode:shareable for the donor container)`,
    );
  }
  return s.Pid;
}

/** Start: the spec joins the namespaces (and /dev/shm) of the containers it names. */
export async function joinNamespaces(d: Daemon, c: Container): Promise<void> {
  const { IpcMode: ipc, PidMode: pid } = c.host;
  if (!ipc.startsWith(PREFIX) && !pid.startsWith(PREFIX)) return;
  const rec = await d.containerd.containers.get(c.rec.ID);
  const spec = rec.spec as unknown as Spec;
  if (ipc.startsWith(PREFIX)) {
    const p = ownerPid(d, ipc, "IPC");
    // Its /dev/shm is a mount in its own mount namespace, which a bind cannot take (dockerd
    // binds a host-side tmpfs): SysV IPC is shared, the joiner keeps its own /dev/shm.
    await withIpcMode(`${PREFIX}/proc/${p}/ns/ipc`)(spec);
  }
  if (pid.startsWith(PREFIX)) {
    await withPidMode(`${PREFIX}/proc/${ownerPid(d, pid, "PID")}/ns/pid`)(spec);
  }
  await d.containerd.containers.update(c.rec.ID, {
    spec: spec as unknown as Record<string, unknown>,
  });
}
