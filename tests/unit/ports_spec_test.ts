// Port keys, bindings and `-p` specs as Docker parses them; the host port allocator.
import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import {
  parsePortKey,
  parsePortRange,
  parsePortSpec,
  validatePortBindings,
} from "../../src/lib/ports.ts";
import { PortAllocator, PortUnavailable } from "../../src/api/network/ports.ts";

Deno.test("-p specs as the docker CLI's nat.ParsePortSpec", () => {
  const b = (HostIp: string, HostPort: string) => ({ HostIp, HostPort });
  deepStrictEqual(parsePortSpec("80"), [{ key: "80/tcp", binding: b("", "") }]);
  deepStrictEqual(parsePortSpec("8080:80"), [{ key: "80/tcp", binding: b("", "8080") }]);
  deepStrictEqual(parsePortSpec("127.0.0.1:8080:80/udp"), [
    { key: "80/udp", binding: b("127.0.0.1", "8080") },
  ]);
  deepStrictEqual(parsePortSpec("127.0.0.1::80"), [{ key: "80/tcp", binding: b("127.0.0.1", "") }]);
  deepStrictEqual(parsePortSpec("[::1]:8080:80"), [{ key: "80/tcp", binding: b("::1", "8080") }]);
  deepStrictEqual(parsePortSpec("8000-8010:80"), [{ key: "80/tcp", binding: b("", "8000-8010") }]);
  deepStrictEqual(parsePortSpec("8000-8001:80-81/TCP"), [
    { key: "80/tcp", binding: b("", "8000") },
    { key: "81/tcp", binding: b("", "8001") },
  ]);
  deepStrictEqual(parsePortSpec("80-81").map((p) => p.key), ["80/tcp", "81/tcp"]);
  throws(() => parsePortSpec("8000-8002:80-81"), /invalid ranges specified for container and host/);
  throws(() => parsePortSpec("8080:"), /no port specified: 8080:<empty>/);
  throws(() => parsePortSpec("x:80"), /invalid hostPort: x/);
  throws(() => parsePortSpec("8080:70000"), /invalid containerPort: 70000/);
  throws(() => parsePortSpec("80/icmp"), /invalid proto: icmp/);
  throws(() => parsePortSpec("bad-ip:1:2"), /invalid IP address: bad-ip/);
});

Deno.test("port keys, ranges and the bindings of a create request", () => {
  deepStrictEqual(parsePortKey("80"), { port: 80, proto: "tcp" });
  deepStrictEqual(parsePortKey("53/UDP"), { port: 53, proto: "udp" });
  for (const bad of ["", "0/tcp", "65536/tcp", "80/icmp", "8o/tcp", "80-81/tcp", "-1"]) {
    throws(() => parsePortKey(bad), /invalid (port specification|proto)/, bad);
  }
  deepStrictEqual(parsePortRange(""), null);
  deepStrictEqual(parsePortRange("0"), { start: 0, end: 0 });
  deepStrictEqual(parsePortRange("8000-8010"), { start: 8000, end: 8010 });
  for (const bad of ["8010-8000", "a", "1-", "99999", "1-2-3"]) {
    throws(() => parsePortRange(bad), /invalid port specification/, bad);
  }
  deepStrictEqual(
    validatePortBindings({ "80": [{ HostPort: "8080" }], "53/udp": null, "81/tcp": [] }),
    { "80/tcp": [{ HostIp: "", HostPort: "8080" }], "53/udp": null, "81/tcp": [] },
  );
  deepStrictEqual(validatePortBindings(null), {});
  throws(() => validatePortBindings([]), /expected an object/);
  throws(() => validatePortBindings({ "80/tcp": {} }), /expected a list/);
  throws(() => validatePortBindings({ "80/tcp": [{ HostPort: "x" }] }), /"x"/);
  throws(() => validatePortBindings({ "80/tcp": [{ HostIp: "nope" }] }), /invalid IP address/);
});

const free = () => Promise.resolve();

Deno.test("the allocator: specific ports, 0.0.0.0 overlapping every address, ranges in turn", async () => {
  const a = new PortAllocator({ start: 40000, end: 40002 });
  deepStrictEqual(await a.allocate("0.0.0.0", "tcp", null, free), 40000);
  deepStrictEqual(await a.allocate("0.0.0.0", "tcp", null, free), 40001);
  a.release("0.0.0.0", "tcp", 40000);
  // The search goes on after the last port handed out, then wraps.
  deepStrictEqual(await a.allocate("0.0.0.0", "tcp", null, free), 40002);
  deepStrictEqual(await a.allocate("0.0.0.0", "tcp", null, free), 40000);
  await rejects(a.allocate("0.0.0.0", "tcp", null, free), /all ports are allocated/);
  // Another protocol is another space.
  deepStrictEqual(await a.allocate("0.0.0.0", "udp", { start: 8080, end: 8080 }, free), 8080);
  deepStrictEqual(await a.allocate("127.0.0.1", "tcp", { start: 8080, end: 8080 }, free), 8080);
  await rejects(
    a.allocate("0.0.0.0", "tcp", { start: 8080, end: 8080 }, free),
    /Bind for 0.0.0.0:8080 failed: port is already allocated/,
  );
  deepStrictEqual(await a.allocate("127.0.0.2", "tcp", { start: 8080, end: 8080 }, free), 8080);
  // A port refused by the probe (a host process has it) is skipped in a range, and fails
  // alone; it is not kept.
  const busy = (p: number) =>
    p === 9000 ? Promise.reject(new PortUnavailable("0.0.0.0", p, false, "in use")) : free();
  deepStrictEqual(await a.allocate("0.0.0.0", "tcp", { start: 9000, end: 9001 }, busy), 9001);
  await rejects(a.allocate("0.0.0.0", "tcp", { start: 9000, end: 9000 }, busy), /in use/);
  deepStrictEqual(a.isHeld("0.0.0.0", "tcp", 9000), false);
  // Another error stops the search.
  await rejects(
    a.allocate("0.0.0.0", "tcp", { start: 9100, end: 9101 }, () => Promise.reject(new Error("x"))),
    /^Error: x$/,
  );
  deepStrictEqual(a.isHeld("0.0.0.0", "tcp", 9100), false);
});
