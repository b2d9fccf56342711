// Netfilter with real iptables: a bridge and a network namespace of our own stand for a
// container on a bridge network (busybox httpd inside), another namespace stands for a client
// outside the host. Published ports are reached from the host through 127.0.0.1, the host's
// address and the bridge's, and from outside; unpublish leaves no rule; conflicts fail
// clearly; init() drops what a previous run left. No NAT to the outside (ipMasq off).
import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
import dgram from "node:dgram";
import type { NetworkOptions } from "../../src/api/daemon.ts";
import { Netfilter } from "../../src/api/network/netfilter.ts";
import type { NetworkRecord } from "../../src/api/network/types.ts";
import { removeRulesOf } from "../helpers/netfilter.ts";
import { command, missing, root } from "../helpers/require.ts";

const skip = missing(root(), command("/usr/sbin/iptables-restore"), command("/bin/busybox"));

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** curl's body, or "" when the connection fails (within `seconds`: dropped packets). */
async function get(url: string, netns?: string, seconds = 3): Promise<string> {
  const args = ["-s", "-m", String(seconds), url];
  const out = await new Deno.Command(netns ? "ip" : "curl", {
    args: netns ? ["netns", "exec", netns, "curl", ...args] : args,
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.success ? new TextDecoder().decode(out.stdout) : "";
}

const opts = (over: Partial<NetworkOptions> = {}): NetworkOptions => ({
  bridgeName: "engine0",
  defaultAddressPools: [],
  iptables: true,
  ipMasq: false,
  userlandProxy: false,
  defaultBindIp: "0.0.0.0",
  mtu: 1500,
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
  ...over,
});

/** Our rules in iptables-save, by their comment's daemon mark. */
async function ourRules(nf: Netfilter): Promise<string[]> {
  return (await sh("iptables-save")).split("\n").filter((l) => l.includes(`engine/${nf.owner}`));
}

/**
 * A bridge network with one "container" (a netns running httpd) and an outside netns (routed
 * back to the bridge networks, running httpd too).
 */
class Lab implements AsyncDisposable {
  readonly id = crypto.randomUUID().replaceAll("-", "").slice(0, 6);
  constructor(
    readonly octet = 1 + Math.floor(Math.random() * 250),
    readonly internal = false,
  ) {}
  readonly bridge = `ntb${this.id}`;
  readonly ctr = `ntc${this.id}`;
  readonly out = `nto${this.id}`;
  get ip() {
    return `10.213.${this.octet}.2`;
  }
  get gateway() {
    return `10.213.${this.octet}.1`;
  }
  /** The host's address on the link to the outside namespace. */
  get hostAddr() {
    return `10.214.${this.octet}.1`;
  }
  get outAddr() {
    return `10.214.${this.octet}.2`;
  }
  readonly www = Deno.makeTempDirSync({ prefix: "engine-nf-" });
  httpd: Deno.ChildProcess[] = [];

  network(): NetworkRecord {
    return {
      Id: `${this.id}`.padEnd(64, "0"),
      Name: `net${this.id}`,
      Driver: "bridge",
      Scope: "local",
      Internal: this.internal,
      Attachable: false,
      Labels: {},
      Options: {},
      Created: new Date().toISOString(),
      bridge: this.bridge,
      subnet: `10.213.${this.octet}.0/24`,
      gateway: this.gateway,
    };
  }

  async up(): Promise<void> {
    await sh("ip", "link", "add", this.bridge, "type", "bridge");
    await sh("ip", "addr", "add", `${this.gateway}/24`, "dev", this.bridge);
    await sh("ip", "link", "set", this.bridge, "up");
    for (const ns of [this.ctr, this.out]) await sh("ip", "netns", "add", ns);
    await sh(
      "ip",
      "link",
      "add",
      `${this.ctr}h`,
      "type",
      "veth",
      "peer",
      "eth0",
      "netns",
      this.ctr,
    );
    await sh("ip", "link", "set", `${this.ctr}h`, "master", this.bridge, "up");
    await sh("ip", "-n", this.ctr, "addr", "add", `${this.ip}/24`, "dev", "eth0");
    await sh("ip", "-n", this.ctr, "link", "set", "eth0", "up");
    await sh("ip", "-n", this.ctr, "link", "set", "lo", "up");
    await sh("ip", "-n", this.ctr, "route", "add", "default", "via", this.gateway);
    await sh(
      "ip",
      "link",
      "add",
      `${this.out}h`,
      "type",
      "veth",
      "peer",
      "eth0",
      "netns",
      this.out,
    );
    await sh("ip", "addr", "add", `${this.hostAddr}/30`, "dev", `${this.out}h`);
    await sh("ip", "link", "set", `${this.out}h`, "up");
    await sh("ip", "-n", this.out, "addr", "add", `${this.outAddr}/30`, "dev", "eth0");
    await sh("ip", "-n", this.out, "link", "set", "eth0", "up");
    await sh("ip", "-n", this.out, "route", "add", "10.213.0.0/16", "via", this.hostAddr);
    await Deno.writeTextFile(`${this.www}/index.html`, `hello from ${this.id}\n`);
    for (const ns of [this.ctr, this.out]) {
      this.httpd.push(
        new Deno.Command("ip", {
          args: ["netns", "exec", ns, "busybox", "httpd", "-f", "-p", "80", "-h", this.www],
          stdout: "null",
          stderr: "null",
        }).spawn(),
      );
    }
    for (let i = 0; i < 50 && !(await get(`http://${this.ip}/`)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const p of this.httpd) {
      try {
        p.kill("SIGKILL");
        await p.status;
      } catch { /* gone */ }
    }
    for (const ns of [this.ctr, this.out]) {
      await sh("ip", "netns", "del", ns).catch(() => {});
    }
    await sh("ip", "link", "del", this.bridge).catch(() => {});
    await Deno.remove(this.www, { recursive: true }).catch(() => {});
  }
}

/** Closes a test's Netfilter and removes every rule it left, even on failure. */
async function scrub(nf: Netfilter, owner: string): Promise<void> {
  nf.close();
  await removeRulesOf(owner);
}

const CID = "c".repeat(60);

Deno.test({
  name:
    "a published port is reached through 127.0.0.1, the host's and the bridge's addresses, and from outside; unpublish removes it",
  ignore: skip,
  async fn() {
    await using lab = new Lab();
    await lab.up();
    const owner = `/tmp/netfilter-test-${lab.id}`;
    const nf = new Netfilter(opts(), owner);
    try {
      await nf.init();
      await nf.addNetwork(lab.network());
      const id = `${CID}${lab.id.slice(0, 4)}`;
      const ports = await nf.publish(
        id,
        { ip: lab.ip, bridge: lab.bridge },
        {
          "80/tcp": [{ HostIp: "", HostPort: "" }],
        },
        ["80/tcp", "443/tcp"],
        false,
      );
      deepStrictEqual(Object.keys(ports).sort(), ["443/tcp", "80/tcp"]);
      deepStrictEqual(ports["443/tcp"], null);
      const [b] = ports["80/tcp"]!;
      deepStrictEqual(b.HostIp, "0.0.0.0");
      const port = Number(b.HostPort);
      ok(port >= 1024, `dynamic port ${port}`);
      const want = `hello from ${lab.id}\n`;
      for (const addr of ["127.0.0.1", lab.hostAddr, lab.gateway]) {
        deepStrictEqual(await get(`http://${addr}:${port}/`), want, `through ${addr}`);
      }
      deepStrictEqual(await get(`http://${lab.hostAddr}:${port}/`, lab.out), want, "from outside");
      ok((await ourRules(nf)).some((l) => l.includes(`c:${id}`)));

      await nf.unpublish(id);
      deepStrictEqual(await get(`http://127.0.0.1:${port}/`), "");
      deepStrictEqual(await get(`http://${lab.hostAddr}:${port}/`, lab.out), "");
      deepStrictEqual((await ourRules(nf)).filter((l) => l.includes(`c:${id}`)), []);

      await nf.removeNetwork(lab.network());
      deepStrictEqual(await ourRules(nf), []);
    } finally {
      await scrub(nf, owner);
    }
  },
});

Deno.test({
  name: "a host port taken by another container or a host process is a clear conflict",
  ignore: skip,
  async fn() {
    await using lab = new Lab();
    await lab.up();
    const owner = `/tmp/netfilter-test-${lab.id}`;
    const nf = new Netfilter(opts(), owner);
    const host = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await nf.init();
      await nf.addNetwork(lab.network());
      const a = `a${CID}${lab.id.slice(0, 3)}`;
      const b = `b${CID}${lab.id.slice(0, 3)}`;
      const got = await nf.publish(
        a,
        { ip: lab.ip, bridge: lab.bridge },
        {
          "80/tcp": [{ HostIp: "", HostPort: "" }],
        },
        [],
        false,
      );
      const port = got["80/tcp"]![0].HostPort;
      await rejects(
        nf.publish(
          b,
          { ip: lab.ip, bridge: lab.bridge, name: "web2", endpointId: "e".repeat(64) },
          {
            "80/tcp": [{ HostIp: "127.0.0.1", HostPort: port }],
          },
          [],
          false,
        ),
        (err: Error) => {
          deepStrictEqual(
            err.message,
            `driver failed programming external connectivity on endpoint web2 (${
              "e".repeat(64)
            }): Bind for 127.0.0.1:${port} failed: port is already allocated`,
          );
          return true;
        },
      );
      const taken = (host.addr as Deno.NetAddr).port;
      await rejects(
        nf.publish(
          b,
          { ip: lab.ip, bridge: lab.bridge },
          {
            "80/tcp": [{ HostIp: "", HostPort: String(taken) }],
          },
          [],
          false,
        ),
        (err: Error) => {
          match(err.message, new RegExp(`0\\.0\\.0\\.0:${taken}: bind: address already in use`));
          return true;
        },
      );
      // Nothing of b was applied; a range skips the taken port.
      deepStrictEqual((await ourRules(nf)).filter((l) => l.includes(`c:${b}`)), []);
      const ranged = await nf.publish(
        b,
        { ip: lab.ip, bridge: lab.bridge },
        {
          "80/tcp": [{ HostIp: "", HostPort: `${taken}-${taken + 1}` }],
        },
        [],
        false,
      );
      deepStrictEqual(ranged["80/tcp"]![0].HostPort, String(taken + 1));
      deepStrictEqual(await get(`http://127.0.0.1:${taken + 1}/`), `hello from ${lab.id}\n`);
      await nf.unpublish(a);
      await nf.unpublish(b);
      await nf.removeNetwork(lab.network());
    } finally {
      host.close();
      await scrub(nf, owner);
    }
  },
});

Deno.test({
  name: "init() drops the rules a previous run left, except those it is told to keep",
  ignore: skip,
  async fn() {
    await using lab = new Lab();
    await lab.up();
    const owner = `/tmp/netfilter-test-${lab.id}`;
    const before = new Netfilter(opts(), owner);
    const other = new Netfilter(opts(), `${owner}-other`);
    const after = new Netfilter(opts(), owner);
    try {
      await before.init();
      await before.addNetwork(lab.network());
      const kept = `k${CID}${lab.id.slice(0, 3)}`;
      const gone = `g${CID}${lab.id.slice(0, 3)}`;
      const ep = { ip: lab.ip, bridge: lab.bridge };
      const p1 = await before.publish(kept, ep, { "80/tcp": null }, [], false);
      await before.publish(gone, ep, { "81/tcp": null }, [], false);
      const o = await other.publish(gone, ep, { "80/tcp": null }, [], false);
      before.close(); // the daemon went away, its rules stayed

      await after.init(new Set([kept, lab.network().Id]));
      const left = await ourRules(after);
      ok(left.some((l) => l.includes(`c:${kept}`)), "kept container");
      ok(left.some((l) => l.includes(`n:${lab.network().Id}`)), "kept network");
      ok(!left.some((l) => l.includes(`c:${gone}`)), "stale container");
      ok((await ourRules(other)).some((l) => l.includes(`c:${gone}`)), "another daemon's rules");
      deepStrictEqual(
        await get(`http://127.0.0.1:${o["80/tcp"]![0].HostPort}/`),
        `hello from ${lab.id}\n`,
      );
      const port = p1["80/tcp"]![0].HostPort;
      deepStrictEqual(await get(`http://127.0.0.1:${port}/`), `hello from ${lab.id}\n`);
      // Publishing the kept container again (live-restore) replaces its rules.
      await after.publish(kept, ep, { "80/tcp": [{ HostIp: "", HostPort: port }] }, [], false);
      deepStrictEqual(
        (await ourRules(after)).filter((l) => l.includes(`c:${kept}`) && l.includes("DNAT")).length,
        1,
      );
      await after.unpublish(kept);
      await after.removeNetwork(lab.network());
      deepStrictEqual(await ourRules(after), []);
      await other.unpublish(gone);
    } finally {
      after.close();
      await scrub(before, owner);
      await scrub(other, `${owner}-other`);
    }
  },
});

Deno.test({
  name: "bridge networks are isolated from each other; an internal one reaches nothing off it",
  ignore: skip,
  async fn() {
    const octet = 1 + Math.floor(Math.random() * 240);
    await using a = new Lab(octet);
    await using b = new Lab(octet + 1);
    await using i = new Lab(octet + 2, true);
    await Promise.all([a.up(), b.up(), i.up()]);
    const owner = `/tmp/netfilter-test-${a.id}`;
    const nf = new Netfilter(opts(), owner);
    // Without our rules (FORWARD accepting, as here) the networks reach each other: what
    // isolates them below is the rules.
    const accepting = (await sh("iptables-save", "-t", "filter")).includes(":FORWARD ACCEPT");
    const hello = (l: Lab) => `hello from ${l.id}\n`;
    try {
      if (accepting) {
        deepStrictEqual(await get(`http://${b.ip}/`, a.ctr), hello(b), "before: a → b");
        deepStrictEqual(await get(`http://${i.outAddr}/`, i.ctr), hello(i), "before: internal");
      }
      await nf.init();
      for (const l of [a, b, i]) await nf.addNetwork(l.network());
      deepStrictEqual(await get(`http://${b.ip}/`, a.ctr, 1), "", "a → b");
      deepStrictEqual(await get(`http://${a.ip}/`, b.ctr, 1), "", "b → a");
      deepStrictEqual(await get(`http://${a.outAddr}/`, a.ctr), hello(a), "a → outside");
      deepStrictEqual(await get(`http://${i.outAddr}/`, i.ctr, 1), "", "internal → outside");
      deepStrictEqual(await get(`http://${i.ip}/`, i.out, 1), "", "outside → internal");
      for (const l of [a, b, i]) await nf.removeNetwork(l.network());
      deepStrictEqual(await ourRules(nf), []);
      if (accepting) deepStrictEqual(await get(`http://${b.ip}/`, a.ctr), hello(b), "after");
    } finally {
      await scrub(nf, owner);
    }
  },
});

/** A UDP echo server on port 5353 inside `netns` (Deno's node:dgram). */
function udpEcho(netns: string): Deno.ChildProcess {
  const code = `import dgram from "node:dgram";
    const s = dgram.createSocket("udp4");
    s.on("message", (m, r) => s.send(m, r.port, r.address));
    s.bind(5353);`;
  return new Deno.Command("ip", {
    args: ["netns", "exec", netns, Deno.execPath(), "eval", code],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** One UDP exchange from the host: the reply's text, or "" when none comes. */
async function udp(host: string, port: number, text: string): Promise<string> {
  const sock = dgram.createSocket("udp4");
  try {
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(""), 1000);
      sock.on("message", (m) => {
        clearTimeout(timer);
        resolve(new TextDecoder().decode(m));
      });
      sock.send(text, port, host);
    });
  } finally {
    sock.close();
  }
}

Deno.test({
  name: "UDP ports, and the userland proxy for loopback (DNAT for the other addresses)",
  ignore: skip,
  async fn() {
    await using lab = new Lab();
    await lab.up();
    const echo = udpEcho(lab.ctr);
    const owner = `/tmp/netfilter-test-${lab.id}`;
    const dnat = new Netfilter(opts(), owner);
    const proxied = new Netfilter(opts({ userlandProxy: true }), `${owner}-proxy`);
    const ep = { ip: lab.ip, bridge: lab.bridge };
    const hello = `hello from ${lab.id}\n`;
    try {
      await dnat.init();
      await dnat.addNetwork(lab.network());
      const a = `u${CID}${lab.id.slice(0, 3)}`;
      const p = await dnat.publish(a, ep, { "5353/udp": null }, [], false);
      const up = Number(p["5353/udp"]![0].HostPort);
      let got = "";
      for (let i = 0; i < 20 && !got; i++) got = await udp("127.0.0.1", up, "ping");
      deepStrictEqual(got, "ping", "udp through 127.0.0.1 (DNAT)");
      await dnat.unpublish(a);

      const b = `p${CID}${lab.id.slice(0, 3)}`;
      const q = await proxied.publish(b, ep, { "80/tcp": null, "5353/udp": null }, [], false);
      const tp = q["80/tcp"]![0].HostPort, upp = Number(q["5353/udp"]![0].HostPort);
      ok(
        (await ourRules(proxied)).some((l) => l.includes("! -d 127.0.0.0/8") && l.includes("DNAT")),
        "no DNAT for loopback",
      );
      deepStrictEqual(await get(`http://127.0.0.1:${tp}/`), hello, "tcp through the proxy");
      deepStrictEqual(await get(`http://${lab.hostAddr}:${tp}/`), hello, "tcp, host address");
      deepStrictEqual(await get(`http://${lab.hostAddr}:${tp}/`, lab.out), hello, "from outside");
      deepStrictEqual(await udp("127.0.0.1", upp, "pong"), "pong", "udp through the proxy");
      await proxied.unpublish(b);
      deepStrictEqual(await get(`http://127.0.0.1:${tp}/`, undefined, 1), "");
      await dnat.removeNetwork(lab.network());
    } finally {
      echo.kill("SIGKILL");
      await echo.status;
      await scrub(dnat, owner);
      await scrub(proxied, `${owner}-proxy`);
    }
  },
});

Deno.test({
  name: "with iptables off only the host ports are allocated and held",
  ignore: skip,
  async fn() {
    const owner = `/tmp/netfilter-test-off-${crypto.randomUUID().slice(0, 6)}`;
    const nf = new Netfilter(opts({ iptables: false }), owner);
    try {
      await nf.init();
      const ep = { ip: "10.213.0.2", bridge: "ntbnone" };
      const a = await nf.publish(`a${CID}off`, ep, { "80/tcp": null }, [], false);
      const port = a["80/tcp"]![0].HostPort;
      ok(Number(port) > 0);
      await rejects(
        nf.publish(`b${CID}off`, ep, { "80/tcp": [{ HostIp: "", HostPort: port }] }, [], false),
        /port is already allocated/,
      );
      deepStrictEqual(await ourRules(nf), []);
      await nf.unpublish(`a${CID}off`);
      const b = await nf.publish(
        `b${CID}off`,
        ep,
        {
          "80/tcp": [{ HostIp: "", HostPort: port }],
        },
        [],
        false,
      );
      deepStrictEqual(b["80/tcp"]![0].HostPort, port);
      await nf.unpublish(`b${CID}off`);
    } finally {
      await scrub(nf, owner);
    }
  },
});
