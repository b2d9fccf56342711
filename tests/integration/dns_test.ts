// The embedded DNS on a loopback address, with a loopback stub as its upstream (no query
// leaves the machine): names and aliases resolve, other names are forwarded (NXDOMAIN passes
// through, a truncated UDP answer is fetched again over TCP), hostile packets are ignored,
// clients outside the network get nothing; busybox nslookup resolves through it.
import { deepStrictEqual, ok } from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { EmbeddedDns } from "../../src/api/network/dns.ts";
import {
  parseQuery,
  RCODE,
  readName,
  reply,
  truncated,
  TYPE,
} from "../../src/api/network/dns_message.ts";
import { dnsQuery } from "../helpers/dns.ts";
import { command, missing, root } from "../helpers/require.ts";

const skip = missing(root(), command("/bin/busybox"));

/** Two loopback addresses of our own: the resolver's and the stub upstream's. */
function addresses(): [string, string] {
  const b = 1 + Math.floor(Math.random() * 250);
  const c = 1 + Math.floor(Math.random() * 250);
  return [`127.53.${b}.${c}`, `127.54.${b}.${c}`];
}

/**
 * A stub upstream on address:53 (UDP and TCP): outside.test → 192.0.2.99, big.test → many
 * (truncated over UDP), silent.test → no answer, anything else NXDOMAIN.
 */
async function stub(address: string): Promise<AsyncDisposable & { asked: string[] }> {
  const asked: string[] = [];
  const answer = (msg: Uint8Array, tcp: boolean): Uint8Array | undefined => {
    const p = parseQuery(msg);
    if (p.kind !== "query") return undefined;
    const q = p.query;
    asked.push(`${tcp ? "tcp" : "udp"} ${q.name}`);
    const a = (ip: string) => ({
      type: TYPE.A,
      ttl: 5,
      rdata: new Uint8Array(ip.split(".").map(Number)),
    });
    if (q.name === "silent.test") return undefined;
    if (q.name === "outside.test") return reply(q, RCODE.NOERROR, [a("192.0.2.99")]);
    if (q.name === "big.test") {
      const r = reply(
        q,
        RCODE.NOERROR,
        Array.from({ length: 60 }, (_, i) => a(`192.0.2.${i + 1}`)),
      );
      return tcp ? r : truncated(q, r);
    }
    return reply(q, RCODE.NXDOMAIN);
  };
  const udp = dgram.createSocket("udp4");
  udp.on("message", (m, r) => {
    const out = answer(new Uint8Array(m), false);
    if (out) udp.send(out, r.port, r.address);
  });
  await new Promise<void>((res) => udp.bind(53, address, () => res()));
  const tcp = net.createServer((s) => {
    s.on("error", () => {});
    s.on("data", (d: Uint8Array) => {
      const out = answer(d.subarray(2), true);
      if (out) s.end(new Uint8Array([out.length >> 8, out.length & 0xff, ...out]));
    });
  });
  await new Promise<void>((res) => tcp.listen(53, address, () => res()));
  return {
    asked,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/** One UDP exchange from `from` (a loopback address); undefined when nothing comes back. */
async function ask(
  server: string,
  msg: Uint8Array,
  from = "127.0.0.1",
): Promise<Uint8Array | undefined> {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, from, () => r()));
  try {
    return await new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1500);
      sock.on("message", (m) => {
        clearTimeout(t);
        resolve(new Uint8Array(m));
      });
      sock.send(msg, 53, server);
    });
  } finally {
    sock.close();
  }
}

async function askTcp(server: string, msg: Uint8Array): Promise<Uint8Array> {
  const sock = net.connect(53, server);
  try {
    return await new Promise((resolve, reject) => {
      let buf = new Uint8Array(0);
      sock.on("error", reject);
      sock.on(
        "connect",
        () => sock.write(new Uint8Array([msg.length >> 8, msg.length & 0xff, ...msg])),
      );
      sock.on("data", (d: Uint8Array) => {
        buf = new Uint8Array([...buf, ...d]);
        if (buf.length >= 2 && buf.length >= 2 + ((buf[0] << 8) | buf[1])) resolve(buf.subarray(2));
      });
    });
  } finally {
    sock.destroy();
  }
}

/** rcode, the A records and the first PTR target of a reply. */
function decode(r: Uint8Array | undefined) {
  if (!r) return undefined;
  const rcode = r[3] & 0xf;
  // Error replies to unreadable queries carry no question.
  let off = r[5] ? readName(r, 12)!.end + 4 : 12;
  const a: string[] = [];
  let ptr: string | undefined;
  for (let i = 0; i < ((r[6] << 8) | r[7]); i++) {
    const n = readName(r, off)!;
    const type = (r[n.end] << 8) | r[n.end + 1];
    const len = (r[n.end + 8] << 8) | r[n.end + 9];
    const data = n.end + 10;
    if (type === TYPE.A) a.push([...r.subarray(data, data + 4)].join("."));
    if (type === TYPE.PTR) ptr = readName(r, data)!.name;
    off = data + len;
  }
  return { rcode, a: a.sort(), ptr, tc: (r[2] & 2) !== 0 };
}

const RECORDS = [
  { ip: "10.9.0.2", names: ["web", "www-alias"], id: "c1" },
  { ip: "10.9.0.3", names: ["db"], id: "c2" },
];

Deno.test({
  name: "embedded DNS: names, aliases, PTR, forwarding, NXDOMAIN, TCP fallback, hostile packets",
  ignore: skip,
  async fn() {
    const [addr, upstream] = addresses();
    await using up = await stub(upstream);
    const dns = new EmbeddedDns([upstream], { timeoutMs: 1000 });
    try {
      await dns.listen("net1", addr, { subnet: "127.0.0.0/8", domain: "app" });
      dns.setRecords("net1", RECORDS);
      const q = (name: string, type: number = TYPE.A) => ask(addr, dnsQuery(name, type));

      deepStrictEqual(decode(await q("web")), {
        rcode: 0,
        a: ["10.9.0.2"],
        ptr: undefined,
        tc: false,
      });
      deepStrictEqual(decode(await q("WWW-Alias"))?.a, ["10.9.0.2"]);
      deepStrictEqual(decode(await q("db.app."))?.a, ["10.9.0.3"]);
      deepStrictEqual(decode(await q("web", TYPE.AAAA)), {
        rcode: 0,
        a: [],
        ptr: undefined,
        tc: false,
      });
      deepStrictEqual(decode(await q("3.0.9.10.in-addr.arpa", TYPE.PTR))?.ptr, "db.app");
      deepStrictEqual(up.asked.length, 0, "own names never go upstream");

      deepStrictEqual(decode(await q("outside.test"))?.a, ["192.0.2.99"]);
      deepStrictEqual(decode(await q("nothing.test"))?.rcode, RCODE.NXDOMAIN);
      deepStrictEqual(decode(await q("silent.test"))?.rcode, RCODE.SERVFAIL, "upstream timeout");
      // The upstream's UDP answer is truncated: fetched over TCP, too big for the client's
      // 512 bytes, so the client gets TC and asks over TCP, where it gets everything.
      const big = decode(await q("big.test"));
      deepStrictEqual([big?.tc, big?.a.length], [true, 0]);
      deepStrictEqual(decode(await ask(addr, dnsQuery("big.test", TYPE.A, 9, 4096)))?.a.length, 60);
      deepStrictEqual(decode(await askTcp(addr, dnsQuery("big.test", TYPE.A)))?.a.length, 60);
      deepStrictEqual(decode(await askTcp(addr, dnsQuery("web", TYPE.A)))?.a, ["10.9.0.2"]);
      ok(up.asked.includes("tcp big.test"));

      // Hostile packets: nothing or an error back, and the resolver keeps answering.
      deepStrictEqual(await ask(addr, new Uint8Array([1, 2, 3])), undefined);
      const cut = dnsQuery("web", TYPE.A).subarray(0, 15);
      deepStrictEqual(decode(await ask(addr, cut))?.rcode, RCODE.FORMERR);
      for (let i = 0; i < 200; i++) {
        dgram.createSocket("udp4").send(
          crypto.getRandomValues(new Uint8Array(i % 60)),
          53,
          addr,
          function (this: dgram.Socket) {
            this.close();
          },
        );
      }
      const garbage = net.connect(53, addr);
      garbage.on("error", () => {});
      garbage.write(new Uint8Array([0, 5, 1, 2]));
      garbage.destroy();
      deepStrictEqual(decode(await q("web"))?.a, ["10.9.0.2"]);

      // busybox nslookup against it.
      const out = await new Deno.Command("busybox", {
        args: ["nslookup", "web", addr],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      ok(text.includes("10.9.0.2"), text + new TextDecoder().decode(out.stderr));
    } finally {
      await dns.closeAll();
    }
  },
});

Deno.test({
  name:
    "embedded DNS: clients outside the subnet get no answer; records replaced; internal networks",
  ignore: skip,
  async fn() {
    const [addr, upstream] = addresses();
    await using up = await stub(upstream);
    const dns = new EmbeddedDns([upstream], { timeoutMs: 1000 });
    try {
      await dns.listen("net1", addr, { subnet: "10.9.0.0/16" });
      dns.setRecords("net1", RECORDS);
      deepStrictEqual(await ask(addr, dnsQuery("web", TYPE.A)), undefined);
      await dns.close("net1");
      // Without a subnet only the records' addresses may ask: here none of them.
      await dns.listen("net1", addr);
      dns.setRecords("net1", [{ ip: "127.0.0.1", names: ["me"] }]);
      deepStrictEqual(decode(await ask(addr, dnsQuery("me", TYPE.A)))?.a, ["127.0.0.1"]);
      dns.setRecords("net1", [{ ip: "127.0.0.1", names: ["other"] }]);
      deepStrictEqual(decode(await ask(addr, dnsQuery("me", TYPE.A)))?.rcode, RCODE.NXDOMAIN);
      // An internal network forwards nothing.
      const asked = up.asked.length;
      await dns.close("net1");
      await dns.listen("net1", addr, { subnet: "127.0.0.0/8", internal: true });
      dns.setRecords("net1", [{ ip: "127.0.0.1", names: ["me"] }]);
      deepStrictEqual(decode(await ask(addr, dnsQuery("me", TYPE.A)))?.a, ["127.0.0.1"]);
      deepStrictEqual(
        decode(await ask(addr, dnsQuery("outside.test", TYPE.A)))?.rcode,
        RCODE.SERVFAIL,
      );
      deepStrictEqual(up.asked.length, asked, "nothing went upstream");
    } finally {
      await dns.closeAll();
    }
  },
});
