// Networks against a real `engine daemon` (its own bridge and address pool, nothing
// masqueraded): network verbs through our CLI and the docker CLIs, hostile input refused,
// containers reaching each other and the host through their bridge, host/none/container
// modes, the generated /etc files, connect/disconnect on a running container, a daemon
// restart keeping networks and allocations, and nothing left behind (bridges, veths, netns).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/local/bin/docker";
const OLD_DOCKER = "/usr/bin/docker";
const ignore = missing(root(), command(OLD_DOCKER));

async function engine(d: TestDaemon, args: string[]) {
  const o = await new Deno.Command(ENGINE, {
    args: ["-H", d.host, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

function linkExists(name: string): boolean {
  try {
    Deno.statSync(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** The host-side veths and bridges the daemon's network records name right now. */
async function kernelObjects(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  const root = `${d.dir}/data/network/networks`;
  for await (const e of Deno.readDir(root)) {
    const f = JSON.parse(await Deno.readTextFile(`${root}/${e.name}`));
    if (f.network.bridge) out.push(f.network.bridge);
    for (const ep of f.endpoints) out.push(ep.hostVeth);
  }
  return out;
}

async function netnsFiles(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${d.dir}/r/netns`)) out.push(e.name);
  return out;
}

function inspect(d: TestDaemon, what: string) {
  return d.curl([`http://127.0.0.1/${what}`]).then((r) => JSON.parse(r.body));
}

Deno.test(
  { name: "network verbs: create, ls, inspect, rm, prune; bad input refused", ignore },
  async (t) => {
    const d = await startDaemon(["--iptables=false"]);
    const bridges: string[] = [];
    try {
      await t.step("the predefined networks are listed as docker lists them", async () => {
        const r = await engine(d, [
          "network",
          "ls",
          "--format",
          "{{.Name}} {{.Driver}} {{.Scope}}",
        ]);
        assertEquals([r.code, r.out], [
          0,
          "bridge bridge local\nhost host local\nnone null local\n",
        ]);
        const br = await inspect(d, "networks/bridge");
        assert(/^10\.\d+\.\d+\.0\/24$/.test(br.IPAM.Config[0].Subnet), JSON.stringify(br.IPAM));
        assertEquals(br.Options["com.docker.network.bridge.name"].startsWith("et"), true);
        bridges.push(br.Options["com.docker.network.bridge.name"]);
        assert(linkExists(bridges[0]));
      });

      await t.step(
        "create with subnet, gateway, ip-range, labels; inspect; ls filters",
        async () => {
          let r = await engine(d, [
            "network",
            "create",
            "--subnet",
            "10.251.3.0/24",
            "--gateway",
            "10.251.3.254",
            "--ip-range",
            "10.251.3.128/25",
            "--label",
            "tier=front",
            "--internal",
            "front",
          ]);
          assertEquals(r.code, 0, r.err);
          const id = r.out.trim();
          assert(/^[0-9a-f]{64}$/.test(id), r.out);
          const n = await inspect(d, `networks/${id.slice(0, 10)}`);
          assertEquals(n.Name, "front");
          assertEquals(n.IPAM.Config, [{
            Subnet: "10.251.3.0/24",
            Gateway: "10.251.3.254",
            IPRange: "10.251.3.128/25",
          }]);
          assertEquals([n.Internal, n.Labels], [true, { tier: "front" }]);
          bridges.push(`br-${id.slice(0, 12)}`);
          assert(linkExists(bridges[1]));
          r = await engine(d, [
            "network",
            "ls",
            "-q",
            "--no-trunc",
            "--filter",
            "label=tier=front",
          ]);
          assertEquals(r.out, `${id}\n`);
          r = await engine(d, [
            "network",
            "ls",
            "--filter",
            "type=custom",
            "--format",
            "{{.Name}}",
          ]);
          assertEquals(r.out, "front\n");
          r = await engine(d, [
            "network",
            "ls",
            "--filter",
            "dangling=true",
            "--format",
            "{{.Name}}",
          ]);
          assertEquals(r.out, "front\n");
        },
      );

      await t.step("the docker CLIs create, list, inspect and remove", async () => {
        for (const bin of [OLD_DOCKER, DOCKER]) {
          if (missing(command(bin))) continue;
          let r = await d.docker(bin, ["network", "create", "back"]);
          assertEquals(r.code, 0, r.err);
          const id = r.out.trim();
          r = await d.docker(bin, ["network", "ls", "--format", "{{.Name}}"]);
          assertEquals(r.out, "back\nbridge\nfront\nhost\nnone\n");
          r = await d.docker(bin, ["network", "inspect", "-f", "{{.Driver}} {{.Scope}}", "back"]);
          assertEquals(r.out, "bridge local\n");
          assert(linkExists(`br-${id.slice(0, 12)}`));
          r = await d.docker(bin, ["network", "rm", "back"]);
          assertEquals([r.code, r.out], [0, "back\n"], r.err);
          assert(!linkExists(`br-${id.slice(0, 12)}`));
        }
      });

      await t.step("hostile names, subnets and options are refused, nothing created", async () => {
        const before = (await inspect(d, "networks")).length;
        for (
          const args of [
            ["bad/name"],
            ["../x"],
            ["--subnet", "10.251.3.0/25", "overlap"],
            ["--subnet", "127.0.0.0/8", "lo"],
            ["--subnet", "10.1.2.3/24", "hostbits"],
            ["--subnet", "10.9.0.0/33", "wide"],
            ["--subnet", "0.0.0.0/0", "all"],
            ["--subnet", "10.9.0.0/24", "--gateway", "10.8.0.1", "gwout"],
            ["-o", "com.docker.network.bridge.name=eth0;rm", "ifname"],
            ["-o", "com.docker.network.driver.mtu=9", "mtu"],
            ["-d", "overlay", "drv"],
            ["front"],
            ["bridge"],
          ]
        ) {
          const r = await engine(d, ["network", "create", ...args]);
          assert(r.code !== 0 && /Error response from daemon/.test(r.err), `${args}: ${r.err}`);
        }
        assertEquals((await inspect(d, "networks")).length, before);
        // Lines smuggled into the generated /etc files are refused at create, nothing kept.
        for (
          const body of [
            { Hostname: "h\n6.6.6.6 evil" },
            { HostConfig: { Dns: ["1.1.1.1\nnameserver 6.6.6.6"] } },
            { HostConfig: { DnsSearch: ["a b"] } },
            { HostConfig: { ExtraHosts: ["x:1.2.3.4\n6.6.6.6 evil"] } },
          ]
        ) {
          const c = await d.curl([
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            JSON.stringify({ Image: "busybox", Cmd: ["true"], ...body }),
            "http://127.0.0.1/containers/create",
          ]);
          assertEquals(c.status, 400, c.body);
        }
        assertEquals(await inspect(d, "containers/json?all=1"), []);
        // An unknown network at run: the daemon's error, no pull attempt by the docker CLI.
        const r = await d.docker(OLD_DOCKER, [
          "run",
          "--rm",
          "--network",
          "nosuch",
          "busybox",
          "true",
        ]);
        assertEquals(r.code, 125);
        assert(
          /network nosuch not found/.test(r.err) && !/Unable to find image/.test(r.err),
          r.err,
        );
      });

      await t.step("a network in use and the predefined ones are not removed", async () => {
        let r = await engine(d, [
          "run",
          "-d",
          "--name",
          "user",
          "--network",
          "front",
          "busybox",
          "sleep",
          "60",
        ]);
        assertEquals(r.code, 0, r.err);
        r = await engine(d, ["network", "rm", "front"]);
        assert(r.code !== 0 && /has active endpoints/.test(r.err), r.err);
        for (const n of ["bridge", "host", "none"]) {
          r = await engine(d, ["network", "rm", n]);
          assert(/pre-defined network and cannot be removed/.test(r.err), r.err);
        }
        r = await engine(d, ["network", "prune", "-f"]);
        assertEquals([r.code, r.out], [0, ""]);
        await engine(d, ["rm", "-f", "user"]);
        r = await engine(d, ["network", "prune", "-f"]);
        assertEquals([r.code, r.out], [0, "Deleted Networks:\nfront\n\n"]);
        assert(!linkExists(bridges[1]));
      });
    } finally {
      await d.close();
    }
    for (const b of bridges) assert(!linkExists(b), `bridge ${b} left`);
  },
);

Deno.test(
  { name: "network containers: bridge, user networks, host, none, container:", ignore },
  async (t) => {
    const d = await startDaemon(["--iptables=false"]);
    const seen = new Set<string>();
    const docker = (args: string[]) => d.docker(OLD_DOCKER, args);
    try {
      let a1 = "";
      await t.step("two containers on a user network reach each other by address", async () => {
        let r = await docker(["network", "create", "--subnet", "10.252.9.0/24", "app"]);
        assertEquals(r.code, 0, r.err);
        r = await docker([
          "run",
          "-d",
          "--name",
          "a1",
          "--network",
          "app",
          "--network-alias",
          "srv",
          "busybox",
          "sleep",
          "60",
        ]);
        assertEquals(r.code, 0, r.err);
        a1 = r.out.trim();
        const c = await inspect(d, `containers/${a1}/json`);
        const ep = c.NetworkSettings.Networks.app;
        assertEquals([ep.IPAddress, ep.IPPrefixLen, ep.Gateway, ep.MacAddress], [
          "10.252.9.2",
          24,
          "10.252.9.1",
          "02:42:0a:fc:09:02",
        ]);
        // dockerd 20.10 adds the short id to a user network's aliases at connect; no DNSNames.
        assertEquals(ep.Aliases, ["srv", a1.slice(0, 12)]);
        assertEquals(ep.DNSNames, undefined);
        assertEquals(c.NetworkSettings.SandboxKey, `${d.dir}/r/netns/${a1}`);
        for (const o of await kernelObjects(d)) seen.add(o);
        r = await docker([
          "run",
          "--rm",
          "--network",
          "app",
          "busybox",
          "sh",
          "-c",
          "ping -c1 -W2 10.252.9.2 >/dev/null && ip addr show eth0 && ip route",
        ]);
        assertEquals(r.code, 0, r.err);
        assert(r.out.includes("inet 10.252.9.3/24"), r.out);
        assert(r.out.includes("default via 10.252.9.1 dev eth0"), r.out);
        const ps = await docker(["ps", "--filter", "network=app", "--format", "{{.Names}}"]);
        assertEquals(ps.out, "a1\n");
        const n = await inspect(d, "networks/app");
        assertEquals(Object.keys(n.Containers), [a1]);
        assertEquals(n.Containers[a1].IPv4Address, "10.252.9.2/24");
      });

      await t.step("by name and alias through the network's embedded DNS", async () => {
        const r = await docker([
          "run",
          "--rm",
          "--network",
          "app",
          "busybox",
          "sh",
          "-c",
          "cat /etc/resolv.conf; ping -c1 -W2 a1 && ping -c1 -W2 srv && ping -c1 -W2 a1.app",
        ]);
        assertEquals(r.code, 0, r.out + r.err);
        // dockerd's resolver address, served in the container's own namespace.
        assert(r.out.startsWith("nameserver 127.0.0.11\noptions ndots:0\n"), r.out);
        assertEquals(r.out.match(/PING \S+ \(10\.252\.9\.2\)/g)?.length, 3, r.out);
        // Over TCP too: a length-prefixed query for "a1" (A, IN); its answer ends in the address.
        const tcp = await docker([
          "run",
          "--rm",
          "--network",
          "app",
          "busybox",
          "sh",
          "-c",
          "printf '\\000\\024\\022\\064\\001\\000\\000\\001\\000\\000\\000\\000\\000\\000" +
          "\\002a1\\000\\000\\001\\000\\001' | nc -w 2 127.0.0.11 53 | od -An -tu1 | tr -s ' \\n' ' '",
        ]);
        assertEquals(tcp.code, 0, tcp.err);
        assert(tcp.out.trimEnd().endsWith("4 10 252 9 2"), tcp.out);
        // The sockets are the container's own: nothing listens there on the host.
        const host = await new Deno.Command("ss", { args: ["-Hlun", "src", "127.0.0.11"] })
          .output();
        assertEquals(new TextDecoder().decode(host.stdout).trim(), "");
      });

      await t.step(
        "the default bridge: address, route, MTU, the host through the bridge",
        async () => {
          const br = await inspect(d, "networks/bridge");
          const gw = br.IPAM.Config[0].Gateway;
          const r = await docker([
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            `ip -o addr show eth0; ip route; cat /sys/class/net/eth0/mtu; ping -c1 -W2 ${gw} >/dev/null && echo reached`,
          ]);
          assertEquals(r.code, 0, r.err);
          const prefix = gw.replace(/\.1$/, ".");
          assert(r.out.includes(`inet ${prefix}2/24`), r.out);
          assert(r.out.includes(`default via ${gw} dev eth0`), r.out);
          assert(r.out.includes("\n1500\n") && r.out.endsWith("reached\n"), r.out);
          // The host reaches a container on the default bridge.
          const s = await docker(["run", "-d", "busybox", "sleep", "60"]);
          try {
            const c = await inspect(d, `containers/${s.out.trim()}/json`);
            const ip = c.NetworkSettings.IPAddress;
            assert(ip.startsWith(prefix), ip);
            const ping = await new Deno.Command("busybox", {
              args: ["ping", "-c1", "-W2", ip],
              stdout: "null",
            }).output();
            assert(ping.success, `host → ${ip}`);
          } finally {
            await docker(["rm", "-f", s.out.trim()]);
          }
        },
      );

      await t.step("--network none has only lo; host sees the host's interfaces", async () => {
        let r = await docker([
          "run",
          "--rm",
          "--network",
          "none",
          "busybox",
          "ls",
          "/sys/class/net",
        ]);
        assertEquals([r.code, r.out], [0, "lo\n"], r.err);
        r = await docker(["run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"]);
        const hostLinks = [...Deno.readDirSync("/sys/class/net")].map((e) => e.name);
        const inside = r.out.trim().split("\n");
        assert(
          inside.includes("lo") && inside.some((l) => l !== "lo" && hostLinks.includes(l)),
          r.out,
        );
      });

      await t.step("container:<name> shares the network namespace", async () => {
        const r = await docker([
          "run",
          "--rm",
          "--network",
          "container:a1",
          "busybox",
          "ip",
          "-o",
          "addr",
          "show",
          "eth0",
        ]);
        assertEquals(r.code, 0, r.err);
        assert(r.out.includes("inet 10.252.9.2/24"), r.out);
        const ours = await engine(d, [
          "run",
          "--rm",
          "--network",
          "container:a1",
          "busybox",
          "ip",
          "-o",
          "addr",
          "show",
          "eth0",
        ]);
        assert(ours.out.includes("inet 10.252.9.2/24"), ours.out + ours.err);
      });

      await t.step("connect and disconnect a running container", async () => {
        let r = await docker(["network", "create", "--subnet", "10.252.10.0/24", "side"]);
        assertEquals(r.code, 0, r.err);
        r = await docker([
          "network",
          "connect",
          "--ip",
          "10.252.10.77",
          "--alias",
          "x",
          "side",
          "a1",
        ]);
        assertEquals(r.code, 0, r.err);
        r = await docker(["exec", "a1", "ip", "-o", "addr", "show", "eth1"]);
        assert(r.out.includes("inet 10.252.10.77/24"), r.out);
        const c = await inspect(d, `containers/a1/json`);
        assertEquals(c.NetworkSettings.Networks.side.IPAddress, "10.252.10.77");
        for (const o of await kernelObjects(d)) seen.add(o);
        r = await docker(["network", "connect", "side", "a1"]);
        assert(r.code !== 0 && /already exists/.test(r.err), r.err);
        r = await docker(["network", "disconnect", "side", "a1"]);
        assertEquals(r.code, 0, r.err);
        r = await docker(["exec", "a1", "ls", "/sys/class/net"]);
        assertEquals(r.out, "eth0\nlo\n");
        r = await docker(["network", "rm", "side"]);
        assertEquals(r.code, 0, r.err);
      });

      await t.step(
        "an internal network has no default route; a stopped container's connect applies at start",
        async () => {
          let r = await docker([
            "network",
            "create",
            "--internal",
            "--subnet",
            "10.252.11.0/24",
            "priv",
          ]);
          assertEquals(r.code, 0, r.err);
          r = await docker([
            "create",
            "--name",
            "two",
            "--network",
            "priv",
            "busybox",
            "sh",
            "-c",
            "ip route; ls /sys/class/net",
          ]);
          assertEquals(r.code, 0, r.err);
          r = await docker(["network", "connect", "app", "two"]);
          assertEquals(r.code, 0, r.err);
          r = await docker(["start", "-a", "two"]);
          assertEquals(r.code, 0, r.err);
          // The route comes from the second, non-internal network.
          assert(/^default via 10\.252\.9\.1 dev eth1/m.test(r.out), r.out);
          assert(r.out.includes("10.252.11.0/24 dev eth0"), r.out);
          assert(r.out.endsWith("eth0\neth1\nlo\n"), r.out);
          await docker(["rm", "two"]);
          r = await docker(["run", "--rm", "--network", "priv", "busybox", "ip", "route"]);
          assertEquals([r.code, r.out.includes("default")], [0, false], r.out);
          r = await docker(["network", "rm", "priv"]);
          assertEquals(r.code, 0, r.err);
        },
      );

      await t.step("/etc/hosts, /etc/hostname, /etc/resolv.conf; --add-host, --dns", async () => {
        const br = await inspect(d, "networks/bridge");
        const gw = br.IPAM.Config[0].Gateway;
        const r = await docker([
          "run",
          "--rm",
          "--hostname",
          "box",
          "--add-host",
          "gw:host-gateway",
          "--add-host",
          "db:10.1.2.3",
          "--dns",
          "10.0.0.53",
          "--dns-search",
          "example.test",
          "--dns-option",
          "ndots:2",
          "busybox",
          "sh",
          "-c",
          "cat /etc/hostname /etc/hosts /etc/resolv.conf; hostname",
        ]);
        assertEquals(r.code, 0, r.err);
        const ip = gw.replace(/\.1$/, ".2");
        assertEquals(
          r.out,
          "box\n" +
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n" +
            `ff02::2\tip6-allrouters\n${gw}\tgw\n10.1.2.3\tdb\n${ip}\tbox\n` +
            "search example.test\nnameserver 10.0.0.53\noptions ndots:2\nbox\n",
        );
        const none = await docker([
          "run",
          "--rm",
          "--network",
          "none",
          "busybox",
          "cat",
          "/etc/hosts",
        ]);
        assert(!/\tbox|\d+\.\d+\.\d+\.\d+\t[0-9a-f]{12}/.test(none.out), none.out);
      });

      await t.step("stopped: endpoints released, no veth nor netns left", async () => {
        const r = await docker(["rm", "-f", "a1"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(await netnsFiles(d), []);
        const n = await inspect(d, "networks/app");
        assertEquals(n.Containers, {});
        for (const o of seen) if (o.startsWith("veth")) assert(!linkExists(o), `${o} left`);
      });
    } finally {
      await d.close();
    }
    for (const o of seen) assert(!linkExists(o), `${o} left`);
  },
);

Deno.test({
  name: "network restart: networks and allocations kept, live-restore keeps a container's network",
  ignore,
}, async () => {
  const d = await startDaemon(["--iptables=false", "--live-restore"]);
  const docker = (args: string[]) => d.docker(OLD_DOCKER, args);
  try {
    let r = await docker(["network", "create", "--subnet", "10.253.4.0/24", "keep"]);
    assertEquals(r.code, 0, r.err);
    const netId = r.out.trim();
    r = await docker([
      "run",
      "-d",
      "--name",
      "live",
      "--network",
      "keep",
      "busybox",
      "sleep",
      "120",
    ]);
    assertEquals(r.code, 0, r.err);
    r = await docker([
      "run",
      "-d",
      "--name",
      "gone",
      "--network",
      "keep",
      "busybox",
      "sleep",
      "120",
    ]);
    const before = await inspect(d, "networks/keep");
    await d.stop();
    // "gone" dies while the daemon is down: its endpoint is released at the next start.
    const gone = JSON.parse(
      await Deno.readTextFile(`${d.dir}/data/containers/${r.out.trim()}/config.v2.json`),
    );
    await new Deno.Command("kill", { args: ["-9", String(gone.State.Pid)] }).output();
    await d.restart();
    for (let i = 0; i < 200; i++) {
      if ((await d.curl(["http://127.0.0.1/_ping"])).status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await inspect(d, "networks/keep");
    assertEquals(after.Id, netId);
    const ips = Object.values(
      after.Containers as Record<string, { Name: string; IPv4Address: string }>,
    )
      .map((c) => `${c.Name} ${c.IPv4Address}`);
    const live = Object.values(
      before.Containers as Record<string, { Name: string; IPv4Address: string }>,
    )
      .find((c) => c.Name === "live")!;
    assertEquals(ips, [`live ${live.IPv4Address}`]);
    r = await docker(["exec", "live", "ip", "-o", "addr", "show", "eth0"]);
    assert(r.out.includes(`inet ${live.IPv4Address}`), r.out);
    // A new container takes the released address, not the live one's.
    r = await docker([
      "run",
      "--rm",
      "--network",
      "keep",
      "busybox",
      "ping",
      "-c1",
      "-W2",
      live.IPv4Address.split("/")[0],
    ]);
    assertEquals(r.code, 0, r.err);
    r = await docker(["rm", "-f", "live", "gone"]);
    assertEquals(r.code, 0, r.err);
    assertEquals(await netnsFiles(d), []);
  } finally {
    // --live-restore: containers outlive the daemon's stop, so none may remain.
    await docker(["rm", "-f", "live", "gone"]).catch(() => {});
    await d.close();
  }
});
