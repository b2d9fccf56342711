import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseNetDev } from "../../src/api/stats/net.ts";

Deno.test("stats networks: /proc/net/dev rows by interface, loopback left out, sorted", () => {
  const text = "Inter-|   Receive                                                |  Transmit\n" +
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
    "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n" +
    "  eth1:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0\n" +
    "  eth0:     700       7    0    0    0     0          0         0      600       6    0    0    0     0       0          0\n";
  const got = parseNetDev(text);
  assertEquals(Object.keys(got), ["eth0", "eth1"]);
  assertEquals(got.eth1, {
    rx_bytes: 5000,
    rx_packets: 40,
    rx_errors: 1,
    rx_dropped: 2,
    tx_bytes: 3000,
    tx_packets: 30,
    tx_errors: 3,
    tx_dropped: 4,
  });
  assertEquals(parseNetDev(""), {});
});
