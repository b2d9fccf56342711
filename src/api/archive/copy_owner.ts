// `docker cp -a` into a container (PUT archive with copyUIDGID): dockerd 20.10's
// tarCopyOptions gives every extracted entry the owner of the container's Config.User,
// looked up on the host (idtools.LookupUser: the host's passwd by name, then
// `getent passwd <user>`, so "1000" or "nobody" resolve through the host's NSS and a
// "user:group" form is not found). Without a configured user the archive's owners stay.
import { internal } from "../../lib/errors.ts";

export interface Owner {
  uid: number;
  gid: number;
}

/** The owner for `user` (a container's Config.User), or undefined when it is empty. */
export async function copyOwner(user: string | undefined): Promise<Owner | undefined> {
  if (!user) return undefined;
  const out = await new Deno.Command("getent", {
    args: ["passwd", user],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  const f = out?.success ? new TextDecoder().decode(out.stdout).split("\n")[0].split(":") : [];
  if (f.length < 4 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) {
    throw internal(`getent unable to find entry ${JSON.stringify(user)} in passwd database`);
  }
  return { uid: Number(f[2]), gid: Number(f[3]) };
}
