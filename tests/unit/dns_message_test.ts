// The DNS wire format of the embedded resolver: queries read, hostile packets refused without
// a throw, replies built.
import { deepStrictEqual, ok } from "node:assert/strict";
import { dnsQuery as query } from "../helpers/dns.ts";
import {
  answers,
  encodeName,
  parseQuery,
  type Query,
  RCODE,
  readName,
  reply,
  reverseV4,
  truncated,
  TYPE,
  withId,
} from "../../src/api/network/dns_message.ts";

function parsed(b: Uint8Array): Query {
  const p = parseQuery(b);
  if (p.kind !== "query") throw new Error(`not a query: ${p.kind}`);
  return p.query;
}

Deno.test("a query: id, flags, name, type, class and the EDNS size", () => {
  const q = parsed(query("Web.App", TYPE.A));
  deepStrictEqual([q.id, q.opcode, q.rd, q.name, q.type, q.qclass], [
    0x1234,
    0,
    true,
    "Web.App",
    1,
    1,
  ]);
  deepStrictEqual(q.udpSize, 512);
  deepStrictEqual(parsed(query("x", TYPE.AAAA, 1, 1232)).udpSize, 1232);
  deepStrictEqual(parsed(query("x", TYPE.AAAA, 1, 65000)).udpSize, 4096);
  deepStrictEqual(parsed(query("", TYPE.A)).name, "");
});

Deno.test("hostile and short packets: dropped or FORMERR/NOTIMP, never a throw", () => {
  const good = query("web", TYPE.A);
  deepStrictEqual(parseQuery(new Uint8Array()).kind, "drop");
  deepStrictEqual(parseQuery(good.subarray(0, 11)).kind, "drop");
  const response = good.slice();
  response[2] |= 0x80;
  deepStrictEqual(parseQuery(response).kind, "drop", "a response is never answered");
  const rcode = (b: Uint8Array) => {
    const p = parseQuery(b);
    return p.kind === "error"
      ? [p.reply[0], p.reply[1], p.reply[2] & 0x80, p.reply[3] & 0xf]
      : p.kind;
  };
  deepStrictEqual(rcode(good.subarray(0, 14)), [0x12, 0x34, 0x80, RCODE.FORMERR], "cut name");
  deepStrictEqual(rcode(good.subarray(0, good.length - 1)), [0x12, 0x34, 0x80, RCODE.FORMERR]);
  const twoQuestions = good.slice();
  twoQuestions[5] = 2;
  deepStrictEqual(rcode(twoQuestions), [0x12, 0x34, 0x80, RCODE.FORMERR]);
  const noQuestion = good.slice(0, 12);
  noQuestion[5] = 0;
  deepStrictEqual(rcode(noQuestion), [0x12, 0x34, 0x80, RCODE.FORMERR]);
  const update = good.slice();
  update[2] = 5 << 3;
  deepStrictEqual(rcode(update), [0x12, 0x34, 0x80, RCODE.NOTIMP]);
  // A pointer to itself, forward, or out of the packet; reserved label bits; a name past 255.
  const header = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const name of [[0xc0, 12], [0xc0, 20], [0xc0, 0xff], [0x40, 1, 65, 0]]) {
    deepStrictEqual(rcode(new Uint8Array([...header, ...name, 0, 1, 0, 1])), [0, 1, 0x80, 1]);
  }
  const long = Array.from({ length: 5 }, () => [63, ...new Array(63).fill(97)]).flat();
  deepStrictEqual(rcode(new Uint8Array([...header, ...long, 0, 0, 1, 0, 1])), [0, 1, 0x80, 1]);
  // Random bytes never throw.
  for (let i = 0; i < 2000; i++) {
    const b = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 80)));
    parseQuery(b);
  }
});

Deno.test("names with compression pointers (backwards only)", () => {
  // "web" at 12, then "a.<pointer to 12>" at 17.
  const b = new Uint8Array([...new Array(12).fill(0), 3, 119, 101, 98, 0, 1, 97, 0xc0, 12]);
  deepStrictEqual(readName(b, 12), { name: "web", end: 17 });
  deepStrictEqual(readName(b, 17), { name: "a.web", end: 21 });
  deepStrictEqual(readName(b, 19), { name: "web", end: 21 });
  deepStrictEqual(readName(new Uint8Array([0xc0]), 0), undefined);
});

Deno.test("replies: answers through a pointer to the question, truncation, ids", () => {
  const q = parsed(query("web", TYPE.A));
  const r = reply(q, RCODE.NOERROR, [{
    type: TYPE.A,
    ttl: 600,
    rdata: new Uint8Array([10, 0, 0, 2]),
  }]);
  deepStrictEqual([...r.subarray(0, 12)], [0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  deepStrictEqual([...r.subarray(12, 12 + q.question.length)], [...q.question]);
  deepStrictEqual(
    [...r.subarray(12 + q.question.length)],
    [0xc0, 12, 0, 1, 0, 1, 0, 0, 2, 0x58, 0, 4, 10, 0, 0, 2],
  );
  ok(answers(r, 0x1234, q.question));
  ok(answers(r, 0x1234, parsed(query("WEB", TYPE.A)).question), "case-insensitive");
  ok(!answers(r, 0x1235, q.question));
  ok(!answers(r, 0x1234, parsed(query("wec", TYPE.A)).question));
  ok(!answers(query("web", TYPE.A), 0x1234, q.question), "a query is no answer");
  const t = truncated(q, r);
  deepStrictEqual(t.length, 12 + q.question.length);
  deepStrictEqual([t[2] & 0x02, t[7]], [0x02, 0]);
  deepStrictEqual([...withId(r, 7).subarray(0, 2)], [0, 7]);
  deepStrictEqual([...reply(q, RCODE.NXDOMAIN).subarray(2, 4)], [0x85, 0x83]);
});

Deno.test("names and reverse names", () => {
  deepStrictEqual([...encodeName("a.bc.")], [1, 97, 2, 98, 99, 0]);
  deepStrictEqual(reverseV4("2.0.18.172.in-addr.arpa"), "172.18.0.2");
  deepStrictEqual(reverseV4("2.0.18.172.IN-ADDR.ARPA"), "172.18.0.2");
  deepStrictEqual(reverseV4("0.18.172.in-addr.arpa"), undefined);
  deepStrictEqual(reverseV4("256.0.18.172.in-addr.arpa"), undefined);
});
