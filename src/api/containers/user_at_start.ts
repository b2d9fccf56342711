// --user and --group-add name entries of the container's own /etc/passwd and /etc/group.
// dockerd looks them up at each start (createSpec), in the rootfs as it is then: a container
// created before its user exists (create, docker cp the passwd file in, start) starts, and a
// user that is missing fails the start ("unable to find user …"), not the create.
import { type Spec, withAdditionalGids, withUser } from "../../containerd/oci/mod.ts";
import type { Daemon } from "../daemon.ts";
import { snapshotReader } from "./rootfs_reader.ts";
import type { Container } from "./store.ts";

/** Start: the spec's process.user from Config.User and HostConfig.GroupAdd. */
export async function resolveUserAtStart(d: Daemon, c: Container): Promise<void> {
  const user = c.rec.Config.User;
  const groups = c.host.GroupAdd ?? [];
  if (!user && !groups.length) return;
  const id = c.rec.ID;
  const spec = (await d.containerd.containers.get(id)).spec as unknown as Spec;
  const read = snapshotReader((await d.containerd.containers.snapshot(id)).mounts);
  if (user) await withUser(user, read)(spec);
  if (groups.length) await withAdditionalGids(groups, read)(spec);
  await d.containerd.containers.update(id, { spec: spec as unknown as Record<string, unknown> });
}
