// The network store: networks and endpoints persisted per network, found as Docker finds
// them (id, name, unique prefix), reloaded as they were.
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { NetworkStore } from "../../src/api/network/store.ts";
import type { EndpointRecord, NetworkRecord } from "../../src/api/network/types.ts";

function net(id: string, name: string): NetworkRecord {
  return {
    Id: id,
    Name: name,
    Driver: "bridge",
    Scope: "local",
    Internal: false,
    Attachable: false,
    Labels: {},
    Options: {},
    Created: "2026-01-01T00:00:00Z",
    bridge: `br-${id.slice(0, 12)}`,
    subnet: "10.9.0.0/24",
    gateway: "10.9.0.1",
  };
}

function ep(networkId: string, containerId: string, ip: string): EndpointRecord {
  return {
    containerId,
    containerName: "c",
    networkId,
    endpointId: "e".repeat(64),
    ip,
    prefixLen: 24,
    mac: "02:42:0a:09:00:02",
    ifname: "eth0",
    aliases: [],
  };
}

Deno.test("network store: save, find, endpoints, reload", async () => {
  const root = await Deno.makeTempDir();
  try {
    const a = "a".repeat(63) + "1", b = "a".repeat(63) + "2";
    const s = new NetworkStore(root);
    await s.load();
    await s.save(net(a, "front"));
    await s.save(net(b, "back"));
    assertEquals(s.get("front").Id, a);
    assertEquals(s.get(b).Name, "back");
    throws(() => s.get("aaaa"), /ambiguous/);
    throws(() => s.get("nope"), /network nope not found/);
    await s.addEndpoint(ep(a, "c1", "10.9.0.2"));
    await s.addEndpoint(ep(a, "c2", "10.9.0.3"));
    await s.removeEndpoint(a, "c1");
    const again = new NetworkStore(root);
    await again.load();
    assertEquals(again.all().map((n) => n.Name).sort(), ["back", "front"]);
    assertEquals(again.endpoints(a).map((e) => e.ip), ["10.9.0.3"]);
    assertEquals(again.endpointsOf("c2").length, 1);
    await again.remove(b);
    const third = new NetworkStore(root);
    await third.load();
    assertEquals(third.all().map((n) => n.Name), ["front"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
