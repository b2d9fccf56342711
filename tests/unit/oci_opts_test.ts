// Capability add/drop rules (moby oci/caps/utils.go TweakCapabilities), the Entrypoint/Cmd
// merge table (moby daemon/commit.go merge + getEntrypointAndArgs), env merge, sysctl
// allowlist against namespaces, namespace modes.

import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import {
  applyOpts,
  DEFAULT_CAPABILITIES,
  defaultSpec,
  mergeConfig,
  type Spec,
  tweakCapabilities,
  validateSpec,
  withCapabilities,
  withCapAdd,
  withCapDrop,
  withHostname,
  withImageConfig,
  withIpcMode,
  withNetworkMode,
  withPidMode,
  withSysctls,
  withTTY,
  withUtsMode,
} from "../../src/containerd/oci/mod.ts";

const ID = "abcdef0123456789";
const caps = (s: Spec) => s.process!.capabilities!;

Deno.test("caps: names with or without CAP_, any case; drop then add", () => {
  const out = tweakCapabilities(DEFAULT_CAPABILITIES, ["net_admin", "CAP_SYS_TIME"], [
    "mknod",
    "Cap_Net_Raw",
  ]);
  assertEquals(out.includes("CAP_MKNOD"), false);
  assertEquals(out.includes("CAP_NET_RAW"), false);
  assertEquals(out.slice(-2), ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
  assertEquals(out.length, DEFAULT_CAPABILITIES.length);
  assertEquals(tweakCapabilities(DEFAULT_CAPABILITIES, [], []), [...DEFAULT_CAPABILITIES]);
  throws(
    () => tweakCapabilities(DEFAULT_CAPABILITIES, ["bogus"], []),
    /unknown capability: "CAP_BOGUS"/,
  );
});

Deno.test("caps: ALL rules", () => {
  const allButMknod = tweakCapabilities(DEFAULT_CAPABILITIES, ["ALL"], ["MKNOD"]);
  assertEquals(allButMknod.length, 40);
  assertEquals(allButMknod.includes("CAP_MKNOD"), false);
  assertEquals(tweakCapabilities(DEFAULT_CAPABILITIES, ["chown"], ["all"]), ["CAP_CHOWN"]);
  assertEquals(tweakCapabilities(DEFAULT_CAPABILITIES, [], ["ALL"]), []);
  // add ALL wins over drop ALL, as in Docker
  assertEquals(tweakCapabilities(DEFAULT_CAPABILITIES, ["ALL"], ["ALL"]).length, 41);
});

Deno.test("cap options set bounding/effective/permitted, never inheritable", async () => {
  const s = await applyOpts(
    defaultSpec(ID),
    withCapabilities({ add: ["SYS_ADMIN"], drop: ["ALL"] }),
  );
  assertEquals(caps(s), {
    bounding: ["CAP_SYS_ADMIN"],
    effective: ["CAP_SYS_ADMIN"],
    permitted: ["CAP_SYS_ADMIN"],
  });
  const t = await applyOpts(defaultSpec(ID), withCapDrop(["ALL"]), withCapAdd(["kill"]));
  assertEquals(caps(t).effective, ["CAP_KILL"]);
  assertEquals(caps(t).inheritable, undefined);
  await rejects(applyOpts(defaultSpec(ID), withCapAdd(["CAP_NOPE"])), /unknown capability/);
});

Deno.test("entrypoint/cmd merge table", () => {
  const image = { Entrypoint: ["/ep", "-x"], Cmd: ["default"] };
  const rows: [string, Parameters<typeof mergeConfig>[1], string[]][] = [
    ["nothing given: image entrypoint + cmd", {}, ["/ep", "-x", "default"]],
    ["cmd given: image entrypoint + caller cmd", { Cmd: ["a", "b"] }, ["/ep", "-x", "a", "b"]],
    ["entrypoint given: image cmd dropped", { Entrypoint: ["/mine"] }, ["/mine"]],
    ["both given", { Entrypoint: ["/mine"], Cmd: ["c"] }, ["/mine", "c"]],
    ['entrypoint [""] resets: caller cmd alone', { Entrypoint: [""], Cmd: ["ls"] }, ["ls"]],
    ['entrypoint [""] without cmd: nothing', { Entrypoint: [""] }, []],
    ["entrypoint []: image entrypoint dropped, image cmd kept", { Entrypoint: [] }, ["default"]],
    ["null fields count as not given", { Entrypoint: null, Cmd: null }, ["/ep", "-x", "default"]],
  ];
  for (const [name, container, args] of rows) {
    assertEquals(mergeConfig(image, container).args, args, name);
  }
  assertEquals(mergeConfig({ Cmd: ["sh"] }, {}).args, ["sh"]);
  assertEquals(mergeConfig({ Cmd: ["sh"] }, { Cmd: ["ls"] }).args, ["ls"]);
});

Deno.test("image config: env by key, user/workdir fallbacks, no command → error", async () => {
  const merged = mergeConfig(
    { Env: ["PATH=/img", "A=image", "B=image"], User: "app", WorkingDir: "/img" },
    { Env: ["A=mine"], WorkingDir: "/mine" },
  );
  assertEquals(merged.env, ["A=mine", "PATH=/img", "B=image"]);
  assertEquals(merged.user, "app");
  assertEquals(merged.workingDir, "/mine");

  const s = await applyOpts(
    defaultSpec(ID),
    withImageConfig({ Env: ["PATH=/img"], Cmd: ["sh"], User: "7:8" }, { Env: ["X=1"] }),
    withTTY(),
  );
  assertEquals(s.process!.env, [`PATH=/img`, `HOSTNAME=${ID.slice(0, 12)}`, "TERM=xterm", "X=1"]);
  assertEquals(s.process!.user, { uid: 7, gid: 8, additionalGids: [8] });
  await rejects(applyOpts(defaultSpec(ID), withImageConfig({}, {})), /no command specified/);
  await rejects(
    applyOpts(defaultSpec(ID), withImageConfig({ Cmd: ["sh"], WorkingDir: "rel" })),
    /needs to be an absolute path/,
  );
  await rejects(
    applyOpts(defaultSpec(ID), withImageConfig({ Cmd: ["sh"], User: "nobody" })),
    /unable to find user nobody/,
  );
});

Deno.test("sysctls: allowlist checked against namespaces", async () => {
  const ok = await applyOpts(
    defaultSpec(ID),
    withSysctls({ "kernel.shmmax": "1", "fs.mqueue.msg_max": "10", "net.ipv4.ip_forward": "1" }),
  );
  assertEquals(ok.linux!.sysctl!["kernel.shmmax"], "1");
  assertEquals(ok.linux!.sysctl!["net.ipv4.ip_unprivileged_port_start"], "0");
  const refuse = async (opts: Parameters<typeof applyOpts>[1][], re: RegExp) => {
    await rejects(applyOpts(defaultSpec(ID), ...opts), re);
  };
  await refuse([withSysctls({ "kernel.hostname": "x" })], /not allowed: only namespaced/);
  await refuse([withSysctls({ "vm.swappiness": "1" })], /not allowed/);
  await refuse([withSysctls({ "kernel.msgmaxx": "1" })], /not allowed/);
  await refuse(
    [withNetworkMode("host"), withSysctls({ "net.core.somaxconn": "1" })],
    /network namespace/,
  );
  await refuse([withIpcMode("host"), withSysctls({ "kernel.sem": "1 2 3 4" })], /IPC namespace/);
  await refuse([withSysctls({ "../etc": "1" })], /invalid sysctl name/);
  await refuse([withSysctls({ "net.x": "a\nb" })], /invalid value/);
  // joined namespaces are not the host's
  await applyOpts(
    defaultSpec(ID),
    withNetworkMode("container:/proc/42/ns/net"),
    withSysctls({ "net.core.somaxconn": "1" }),
  );
  // option order cannot dodge the check: validateSpec repeats it
  const late = await applyOpts(
    defaultSpec(ID),
    withSysctls({ "net.core.somaxconn": "1" }),
    withNetworkMode("host"),
  );
  late.process!.args = ["sh"];
  throws(() => validateSpec(late), /host's network namespace/);
});

Deno.test("namespace modes", async () => {
  const ns = (s: Spec) => s.linux!.namespaces!.map((n) => n.path ? `${n.type}=${n.path}` : n.type);
  const host = await applyOpts(
    defaultSpec(ID),
    withNetworkMode("host"),
    withPidMode("host"),
    withIpcMode("host"),
    withUtsMode("host"),
  );
  assertEquals(ns(host), ["mount"]);
  assertEquals(host.hostname, undefined);
  assertEquals(host.linux!.sysctl, {});
  assertEquals(host.mounts!.at(-1), {
    destination: "/dev/shm",
    type: "bind",
    source: "/dev/shm",
    options: ["rbind", "rprivate"],
  });

  const joined = await applyOpts(
    defaultSpec(ID),
    withNetworkMode("/run/engine/netns/abc"),
    withPidMode("container:/proc/9/ns/pid"),
    withIpcMode("container:/proc/9/ns/ipc", "/var/lib/engine/containers/x/mounts/shm"),
  );
  assertEquals(ns(joined), [
    "mount",
    "network=/run/engine/netns/abc",
    "uts",
    "pid=/proc/9/ns/pid",
    "ipc=/proc/9/ns/ipc",
  ]);
  assertEquals(joined.mounts!.at(-1)!.source, "/var/lib/engine/containers/x/mounts/shm");

  // A shareable container binds its host-side tmpfs; a private one keeps the spec's tmpfs.
  const shm = "/var/lib/engine/containers/y/mounts/shm";
  const shareable = await applyOpts(defaultSpec(ID), withIpcMode("shareable", shm));
  assertEquals(shareable.mounts!.filter((m) => m.destination === "/dev/shm"), [
    { destination: "/dev/shm", type: "bind", source: shm, options: ["rbind", "rprivate"] },
  ]);
  const own = await applyOpts(defaultSpec(ID), withIpcMode("private", shm));
  assertEquals(own.mounts!.find((m) => m.destination === "/dev/shm")!.source, "shm");

  const none = await applyOpts(defaultSpec(ID), withIpcMode("none"), withNetworkMode("none"));
  assertEquals(none.mounts!.some((m) => m.destination === "/dev/shm"), false);
  assertEquals(ns(none), ["mount", "network", "uts", "pid", "ipc"]);

  await rejects(applyOpts(defaultSpec(ID), withPidMode("bogus")), /invalid PID mode/);
  await rejects(applyOpts(defaultSpec(ID), withNetworkMode("container:rel")), /network mode/);
  await rejects(applyOpts(defaultSpec(ID), withUtsMode("x")), /invalid UTS mode/);
});

Deno.test("hostname: sets HOSTNAME too; refused with the host's UTS namespace", async () => {
  const s = await applyOpts(defaultSpec(ID), withHostname("web-1"));
  assertEquals(s.hostname, "web-1");
  assertEquals(s.process!.env![1], "HOSTNAME=web-1");
  await rejects(applyOpts(defaultSpec(ID), withHostname("bad_name!")), /invalid hostname/);
  await rejects(applyOpts(defaultSpec(ID), withUtsMode("host"), withHostname("a")), /UTS mode/);
});
