// rtnetlink message encoding and decoding (no socket): headers, nested attributes, padding.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  broadcastOf,
  decodeAttrs,
  decodeMessages,
  encodeAttrs,
  encodeMessage,
  ifinfomsg,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_REQUEST,
  RTM_NEWLINK,
  strAttr,
  u32Attr,
} from "../../src/sys/netlink.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("netlink: attributes are length-prefixed, typed and padded to 4 bytes", () => {
  assertEquals(hex(encodeAttrs([strAttr(IFLA_IFNAME, "br0")])), "0800030062723000");
  assertEquals(hex(encodeAttrs([strAttr(IFLA_IFNAME, "eth0")])), "090003006574683000000000");
  assertEquals(hex(encodeAttrs([u32Attr(IFLA_MTU, 1500)])), "08000400dc050000");
  const nested = encodeAttrs([{ type: IFLA_LINKINFO, data: [strAttr(IFLA_INFO_KIND, "veth")] }]);
  assertEquals(hex(nested), "10001200" + "0900010076657468" + "00000000");
  const back = decodeAttrs(nested);
  assertEquals(hex(decodeAttrs(back.get(IFLA_LINKINFO)!).get(IFLA_INFO_KIND)!), "7665746800");
});

Deno.test("netlink: a message's header carries its length, type, flags and sequence", () => {
  const m = encodeMessage(
    RTM_NEWLINK,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
    7,
    ifinfomsg(3, 1, 1),
    [u32Attr(IFLA_MTU, 1400)],
  );
  assertEquals(m.length, 16 + 16 + 8);
  const v = new DataView(m.buffer);
  assertEquals([v.getUint32(0, true), v.getUint16(4, true), v.getUint16(6, true)], [40, 16, 0x405]);
  assertEquals([v.getUint32(8, true), v.getInt32(20, true), v.getUint32(24, true)], [7, 3, 1]);
  const [d] = decodeMessages(m);
  assertEquals([d.type, d.seq, d.body.length], [RTM_NEWLINK, 7, 24]);
  // Two messages back to back, then a truncated one that is ignored.
  const two = new Uint8Array([...m, ...m, 1, 2, 3]);
  assertEquals(decodeMessages(two).length, 2);
});

Deno.test("netlink: broadcast address of a prefix", () => {
  assertEquals(broadcastOf("172.17.0.1", 16), "172.17.255.255");
  assertEquals(broadcastOf("10.1.2.3", 24), "10.1.2.255");
  assertEquals(broadcastOf("10.1.2.3", 30), "10.1.2.3");
});
