// Legacy links (`docker run --link name:alias`) on the default bridge, through Debian's docker
// CLI against our daemon: the parent's /etc/hosts and <ALIAS>_* variables as dockerd 20.10's
// links.ToEnv and buildSandboxOptions make them, the link names in ps and inspect,
// rm --link, and dockerd's errors (unknown child, child not running, the default name).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { dockerOk, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/bin/docker";

const docker = (d: TestDaemon, args: string[]) => dockerOk(d, DOCKER, args);

async function refused(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.docker(DOCKER, args);
  assert(r.code !== 0, `docker ${args.join(" ")} succeeded: ${r.out}`);
  return r.err;
}

Deno.test({
  name: "links: hosts, variables, names, rm --link, errors",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  const d = await startDaemon();
  try {
    await docker(d, [
      "run",
      "-d",
      "--name",
      "srv",
      "--hostname",
      "srvhost",
      "-e",
      "FOO=bar",
      "-e",
      "HOME=/skipped",
      "--expose",
      "80",
      "--expose",
      "81",
      "--expose",
      "53/udp",
      "busybox",
      "sleep",
      "120",
    ]);
    const ip = (await docker(d, [
      "inspect",
      "-f",
      "{{.NetworkSettings.Networks.bridge.IPAddress}}",
      "srv",
    ])).trim();
    assert(/^\d+\.\d+\.\d+\.\d+$/.test(ip), ip);

    const out = await docker(d, [
      "run",
      "--rm",
      "--name",
      "app",
      "--link",
      "srv:my-db",
      "-e",
      "MY_DB_NAME=mine",
      "busybox",
      "sh",
      "-c",
      "env | grep ^MY_DB | sort; echo ---; tail -n 2 /etc/hosts",
    ]);
    const [env, hosts] = out.split("---\n");
    const p = `MY_DB_PORT`;
    assertEquals(
      env.trim().split("\n"),
      [
        "MY_DB_ENV_FOO=bar",
        "MY_DB_NAME=mine", // the container's own Env wins over the link's
        `${p}=udp://${ip}:53`,
        `${p}_53_UDP=udp://${ip}:53`,
        `${p}_53_UDP_ADDR=${ip}`,
        `${p}_53_UDP_PORT=53`,
        `${p}_53_UDP_PROTO=udp`,
        `${p}_80_TCP=tcp://${ip}:80`,
        `${p}_80_TCP_ADDR=${ip}`,
        `${p}_80_TCP_END=tcp://${ip}:81`,
        `${p}_80_TCP_PORT=80`,
        `${p}_80_TCP_PORT_END=81`,
        `${p}_80_TCP_PORT_START=80`,
        `${p}_80_TCP_PROTO=tcp`,
        `${p}_80_TCP_START=tcp://${ip}:80`,
        `${p}_81_TCP=tcp://${ip}:81`,
        `${p}_81_TCP_ADDR=${ip}`,
        `${p}_81_TCP_PORT=81`,
        `${p}_81_TCP_PROTO=tcp`,
      ],
    );
    assertEquals(hosts.split("\n")[0], `${ip}\tmy-db srvhost srv`);

    // Without an alias the link's name is the child's, which the hosts line names once.
    await docker(d, [
      "create",
      "--name",
      "c2",
      "--link",
      "srv",
      "busybox",
      "sh",
      "-c",
      "sleep 120",
    ]);
    assertEquals(
      await docker(d, ["inspect", "-f", "{{json .HostConfig.Links}}", "c2"]),
      '["/srv:/c2/srv"]\n',
    );
    await docker(d, ["start", "c2"]);
    assertEquals(
      (await docker(d, ["exec", "c2", "sh", "-c", "echo $SRV_NAME; tail -n 2 /etc/hosts"]))
        .split("\n").slice(0, 2),
      ["/c2/srv", `${ip}\tsrv srvhost`],
    );
    assertEquals(
      await docker(d, ["ps", "--no-trunc", "--filter", "name=srv", "--format", "{{.Names}}"]),
      "c2/srv,srv\n",
    );
    assertEquals(
      await docker(d, ["ps", "--filter", "name=srv", "--format", "{{.Names}}"]),
      "srv\n",
    );

    // rm --link forgets the link and keeps both containers.
    assertEquals(await docker(d, ["rm", "--link", "c2/srv"]), "c2/srv\n");
    assertEquals(await docker(d, ["inspect", "-f", "{{json .HostConfig.Links}}", "c2"]), "null\n");
    assert(
      (await refused(d, ["rm", "--link", "srv"])).includes(
        "Conflict, cannot remove the default link name of the container",
      ),
    );
    assertEquals(
      await docker(d, ["ps", "--no-trunc", "--filter", "name=srv", "--format", "{{.Names}}"]),
      "srv\n",
    );

    // dockerd's errors: an unknown child at create, a stopped one at start.
    assert(
      (await refused(d, ["create", "--link", "nosuch:x", "busybox", "true"])).includes(
        "could not get container for nosuch: No such container: nosuch",
      ),
    );
    assert(
      (await refused(d, ["create", "--link", "srv:a:b", "busybox", "true"])).includes(
        "bad format for links: srv:a:b",
      ),
    );
    await docker(d, ["create", "--name", "c3", "--link", "srv:db", "busybox", "true"]);
    await docker(d, ["stop", "-t", "0", "srv"]);
    assert(
      (await refused(d, ["start", "c3"])).includes(
        "Cannot link to a non running container: /srv AS /c3/db",
      ),
    );
    // A removed child ends the link: the parent starts without it.
    await docker(d, ["rm", "srv"]);
    assertEquals(await docker(d, ["inspect", "-f", "{{json .HostConfig.Links}}", "c3"]), "null\n");
    await docker(d, ["start", "-a", "c3"]);
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "srv", "app", "c2", "c3"]).catch(() => {});
    await d.close();
  }
});

Deno.test({
  name: "links on a user-defined network: an alias only the linking container resolves",
  ignore: missing(root(), command(DOCKER)),
}, async () => {
  // Names the resolver does not know go to a loopback address where nothing listens: no
  // query leaves the machine.
  const d = await startDaemon(["--dns", "127.0.0.9"]);
  try {
    await docker(d, ["network", "create", "--subnet", "10.251.7.0/24", "lnet"]);
    await docker(d, [
      "run",
      "-d",
      "--name",
      "usrv",
      "--network",
      "lnet",
      "busybox",
      "sleep",
      "120",
    ]);
    const resolve = "nslookup db 2>&1 | grep -A1 '^Name:' | tail -n 1; true";
    const linked = await docker(d, [
      "run",
      "--rm",
      "--name",
      "uapp",
      "--network",
      "lnet",
      "--link",
      "usrv:db",
      "busybox",
      "sh",
      "-c",
      resolve,
    ]);
    assertEquals(linked, "Address: 10.251.7.2\n");
    const other = await docker(d, [
      "run",
      "--rm",
      "--network",
      "lnet",
      "busybox",
      "sh",
      "-c",
      resolve,
    ]);
    assert(!other.includes("10.251.7.2"), other);
    await docker(d, [
      "create",
      "--name",
      "uc",
      "--network",
      "lnet",
      "--link",
      "usrv:db",
      "busybox",
      "true",
    ]);
    assertEquals(
      await docker(d, ["inspect", "-f", "{{json .NetworkSettings.Networks.lnet.Links}}", "uc"]),
      '["usrv:db"]\n',
    );
  } finally {
    await d.docker(DOCKER, ["rm", "-f", "usrv", "uapp", "uc"]).catch(() => {});
    await d.docker(DOCKER, ["network", "rm", "lnet"]).catch(() => {});
    await d.close();
  }
});
