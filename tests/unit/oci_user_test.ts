// User and group resolution from a fake rootfs (runc libcontainer/user GetExecUser and
// GetAdditionalGroups, as dockerd's getUser uses them), with Docker's error messages.

import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  applyOpts,
  defaultSpec,
  parsePasswd,
  resolveAdditionalGroups,
  resolveUser,
  withAdditionalGids,
  withUser,
} from "../../src/containerd/oci/mod.ts";

const FILES: Record<string, string> = {
  "/etc/passwd": [
    "root:x:0:0:root:/root:/bin/sh",
    "# a comment",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
    "huge:x:99999999999:0::/:/bin/sh",
    "wrap:x:4294967295:0::/:/bin/sh",
    "bad:x:notanumber:0::/:/bin/sh",
    "app:x:1000:1000:App:/home/app:/bin/sh",
  ].join("\n"),
  "/etc/group": [
    "root:x:0:",
    "daemon:x:1:",
    "www-data:x:33:",
    "audio:x:29:app,www-data",
    "video:x:44:app",
    "app:x:1000:",
    "staff:x:50:",
  ].join("\n"),
};
const rootfs = (path: string) => FILES[path] ?? null;
const empty = () => null;

Deno.test("user by name: passwd gid, groups listing the user", async () => {
  assertEquals(await resolveUser("app", rootfs), {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000, 29, 44],
  });
  assertEquals(await resolveUser("www-data", rootfs), {
    uid: 33,
    gid: 33,
    additionalGids: [33, 29],
  });
  assertEquals(await resolveUser("", rootfs), { uid: 0, gid: 0, additionalGids: [0] });
});

Deno.test("user by number: passwd entry when there is one, bare uid otherwise", async () => {
  assertEquals(await resolveUser("1000", rootfs), {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000, 29, 44],
  });
  assertEquals(await resolveUser("4242", rootfs), { uid: 4242, gid: 0, additionalGids: [0] });
  assertEquals(await resolveUser("4242:4343", empty), {
    uid: 4242,
    gid: 4343,
    additionalGids: [4343],
  });
});

Deno.test("explicit group: by name or number, no supplementary groups", async () => {
  assertEquals(await resolveUser("app:staff", rootfs), {
    uid: 1000,
    gid: 50,
    additionalGids: [50],
  });
  assertEquals(await resolveUser("app:29", rootfs), { uid: 1000, gid: 29, additionalGids: [29] });
  assertEquals(await resolveUser("app:777", rootfs), {
    uid: 1000,
    gid: 777,
    additionalGids: [777],
  });
  assertEquals(await resolveUser("0:0", rootfs), { uid: 0, gid: 0, additionalGids: [0] });
});

Deno.test("missing user or group: Docker's messages", async () => {
  await rejects(resolveUser("x", rootfs), {
    message: "unable to find user x: no matching entries in passwd file",
  });
  await rejects(resolveUser("app:nogroup", rootfs), {
    message: "unable to find group nogroup: no matching entries in group file",
  });
  await rejects(resolveUser("app", empty), /unable to find user app/);
});

Deno.test("ids are bounds-checked; malformed passwd lines never become uid 0", async () => {
  await rejects(resolveUser("4294967295", rootfs), /must be in range 0-4294967294/);
  await rejects(resolveUser("-1", rootfs), /must be in range/);
  await rejects(resolveUser("1:99999999999999999999", rootfs), /must be in range/);
  await rejects(resolveUser("huge", rootfs), /unable to find user huge/);
  await rejects(resolveUser("wrap", rootfs), /unable to find user wrap/);
  await rejects(resolveUser("bad", rootfs), /unable to find user bad/);
  assertEquals(parsePasswd("a:x:1:2:g:/h:/s\nb:x::3\n").map((u) => u.name), ["a"]);
  assertEquals((await resolveUser("4294967294", empty)).uid, 4294967294);
  await rejects(resolveUser("a", () => "x".repeat(5 * 1024 * 1024)), /larger than/);
});

Deno.test("withUser and withAdditionalGids (--group-add) edit process.user", async () => {
  const spec = await applyOpts(
    defaultSpec("c1"),
    withUser("app", rootfs),
    withAdditionalGids(["staff", "1234", "audio"], rootfs),
  );
  assertEquals(spec.process!.user, {
    uid: 1000,
    gid: 1000,
    additionalGids: [1000, 29, 44, 50, 1234],
  });
  assertEquals(await resolveAdditionalGroups(["50", "video"], rootfs), [50, 44]);
  await rejects(resolveAdditionalGroups(["nope"], rootfs), /Unable to find group nope/);
  await rejects(resolveAdditionalGroups(["4294967295"], rootfs), /range/);
});
