// IPAM: CIDR parsing, subnet choice from pools around taken subnets, address allocation,
// Docker's MAC derivation; and the /etc/hosts and resolv.conf generators.
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  allocateIp,
  checkRequestedIp,
  chooseSubnet,
  formatCidr,
  macFor,
  overlaps,
  parseCidr,
} from "../../src/api/network/ipam.ts";
import { extraHostLines, hostsFile, resolvConf } from "../../src/api/network/files.ts";

Deno.test("ipam: CIDRs are parsed strictly, host bits and bad prefixes refused", () => {
  assertEquals(formatCidr(parseCidr("172.18.0.0/16")), "172.18.0.0/16");
  assertEquals(formatCidr(parseCidr("10.1.2.3/24", false)), "10.1.2.0/24");
  assertEquals(formatCidr(parseCidr("0.0.0.0/0")), "0.0.0.0/0");
  throws(() => parseCidr("10.1.2.3/24"), /it should be 10\.1\.2\.0\/24/);
  for (const bad of ["10.0.0.0/33", "10.0.0/8", "300.0.0.0/8", "10.0.0.0", "a/8", "1.2.3.4/-1"]) {
    throws(() => parseCidr(bad), /invalid/, bad);
  }
  assertEquals(overlaps(parseCidr("10.0.0.0/8"), parseCidr("10.200.0.0/16")), true);
  assertEquals(overlaps(parseCidr("10.0.0.0/24"), parseCidr("10.0.1.0/24")), false);
});

Deno.test("ipam: the first pool subnet that overlaps nothing taken", () => {
  const pools = [{ base: "172.17.0.0/16", size: 16 }, { base: "172.18.0.0/15", size: 24 }];
  assertEquals(formatCidr(chooseSubnet(pools, [])), "172.17.0.0/16");
  const taken = [parseCidr("172.17.5.0/24"), parseCidr("172.18.0.0/23")];
  assertEquals(formatCidr(chooseSubnet(pools, taken)), "172.18.2.0/24");
  throws(() => chooseSubnet(pools, [parseCidr("172.16.0.0/12")]), /non-overlapping/);
});

Deno.test("ipam: addresses skip network, gateway, broadcast and used ones; ranges honoured", () => {
  const s = parseCidr("10.0.0.0/29"); // .0 network, .7 broadcast
  const used = new Set(["10.0.0.1"]);
  const got: string[] = [];
  for (let i = 0; i < 5; i++) {
    const ip = allocateIp(s, undefined, used);
    used.add(ip);
    got.push(ip);
  }
  assertEquals(got, ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
  throws(() => allocateIp(s, undefined, used), /no available IPv4 addresses/);
  assertEquals(
    allocateIp(parseCidr("10.0.0.0/24"), parseCidr("10.0.0.128/25"), new Set()),
    "10.0.0.128",
  );
  assertEquals(checkRequestedIp(s, "10.0.0.6", new Set()), "10.0.0.6");
  throws(() => checkRequestedIp(s, "10.0.0.6", new Set(["10.0.0.6"])), /already in use/);
  throws(() => checkRequestedIp(s, "10.0.0.7", new Set()), /does not belong/);
  throws(() => checkRequestedIp(s, "10.0.1.2", new Set()), /does not belong/);
});

Deno.test("ipam: Docker's MAC from the address", () => {
  assertEquals(macFor("172.17.0.2"), "02:42:ac:11:00:02");
  assertEquals(macFor("10.255.1.254"), "02:42:0a:ff:01:fe");
});

Deno.test("files: hosts lines, host-gateway, hostile extra hosts refused", () => {
  assertEquals(extraHostLines(["a:1.2.3.4", "b=::1", "gw:host-gateway"], "172.17.0.1"), [
    "1.2.3.4\ta",
    "::1\tb",
    "172.17.0.1\tgw",
  ]);
  throws(() => extraHostLines(["x:1.2.3.4\nevil"], ""), /invalid/);
  throws(() => extraHostLines(["nohost"], ""), /invalid extra host/);
  const h = hostsFile([{ ip: "172.17.0.2", names: ["abc"] }], ["1.2.3.4\ta"]);
  assertEquals(h.split("\n").slice(-3), ["1.2.3.4\ta", "172.17.0.2\tabc", ""]);
});

Deno.test("files: resolv.conf as libnetwork writes it", () => {
  const host = "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n";
  // No overrides: the host's file less loopback and IPv6 servers.
  assertEquals(
    resolvConf({ host: host + "nameserver fe80::1\n", dns: [], search: [], options: [] }),
    "# comment\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n",
  );
  assertEquals(
    resolvConf({ host: "nameserver 127.0.0.1\n", dns: [], search: [], options: [] }),
    "nameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
  assertEquals(
    resolvConf({ host, dns: ["9.9.9.9"], search: ["x.y"], options: ["ndots:2"] }),
    "search x.y\nnameserver 9.9.9.9\noptions ndots:2\n",
  );
  assertEquals(
    resolvConf({ host, dns: [], search: ["x.y"], options: [] }),
    "search x.y\nnameserver 10.0.0.2\noptions edns0\n",
  );
  assertEquals(
    resolvConf({ host, dns: ["9.9.9.9"], search: [], options: [], embedded: "127.0.0.11" }),
    "search lan\nnameserver 127.0.0.11\noptions edns0 ndots:0\n",
  );
  assertEquals(
    resolvConf({ host, dns: [], search: [], options: ["ndots:2"], embedded: "127.0.0.11" }),
    "search lan\nnameserver 127.0.0.11\noptions ndots:2\n",
  );
  const base = { host, dns: [], search: [], options: [] };
  throws(() => resolvConf({ ...base, dns: ["1.1.1.1\nnameserver 6.6.6.6"] }), /invalid DNS server/);
  throws(() => resolvConf({ ...base, search: ["a\nnameserver 6.6.6.6"] }), /invalid DNS search/);
  throws(() => resolvConf({ ...base, options: ["ndots:1 x"] }), /invalid DNS search/);
});
