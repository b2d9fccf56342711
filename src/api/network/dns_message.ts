// The DNS wire format (RFC 1035) as far as the embedded resolver needs it: read a query's
// header, question and EDNS payload size; build answers (A, PTR), empty and error replies and
// truncated ones; check that an upstream's response answers the query it was sent. Every read
// is bounds-checked: a hostile packet yields `undefined` or an error reply, never a throw.
import { concatBytes } from "../../lib/bytes.ts";

export const TYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
const CLASS_IN = 1;
const HEADER = 12;
const MAX_NAME = 255;
const MAX_POINTERS = 64;

export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  /** The question's name as sent (labels joined with dots, no trailing dot; "" is the root). */
  name: string;
  type: number;
  qclass: number;
  /** The question section's bytes (header excluded), copied into replies. */
  question: Uint8Array;
  /** The largest UDP reply the client takes (512, or its EDNS payload size up to 4096). */
  udpSize: number;
}

export type Parsed =
  | { kind: "query"; query: Query }
  /** Answer with this error reply (FORMERR, NOTIMP). */
  | { kind: "error"; reply: Uint8Array }
  /** Not a query at all (short, or a response): ignore. */
  | { kind: "drop" };

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

/** Reads a (possibly compressed) name at `off`: its text and where the record goes on. */
export function readName(b: Uint8Array, off: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let len = 0;
  let end = -1;
  for (let jumps = 0; jumps <= MAX_POINTERS;) {
    if (off >= b.length) return undefined;
    const n = b[off];
    if (n === 0) {
      return { name: labels.join("."), end: end < 0 ? off + 1 : end };
    }
    if ((n & 0xc0) === 0xc0) {
      if (off + 1 >= b.length) return undefined;
      const target = ((n & 0x3f) << 8) | b[off + 1];
      if (end < 0) end = off + 2;
      if (target >= off) return undefined; // pointers go backwards only: no loops
      off = target;
      jumps++;
      continue;
    }
    if (n & 0xc0) return undefined; // reserved label types
    if (off + 1 + n > b.length) return undefined;
    len += n + 1;
    if (len > MAX_NAME) return undefined;
    labels.push(String.fromCharCode(...b.subarray(off + 1, off + 1 + n)));
    off += 1 + n;
  }
  return undefined;
}

/** Skips one resource record at `off`; its type and class, and where the next begins. */
function skipRecord(
  b: Uint8Array,
  off: number,
): { type: number; rclass: number; end: number } | undefined {
  const n = readName(b, off);
  if (!n || n.end + 10 > b.length) return undefined;
  const end = n.end + 10 + u16(b, n.end + 8);
  if (end > b.length) return undefined;
  return { type: u16(b, n.end), rclass: u16(b, n.end + 2), end };
}

function header(
  id: number,
  flags: number,
  counts: [number, number, number, number],
): Uint8Array {
  const h = new Uint8Array(HEADER);
  const v = new DataView(h.buffer);
  v.setUint16(0, id);
  v.setUint16(2, flags);
  counts.forEach((c, i) => v.setUint16(4 + 2 * i, c));
  return h;
}

/** An error reply carrying only the query's header fields (no question). */
function errorReply(b: Uint8Array, rcode: number): Uint8Array {
  const opcode = (b[2] >> 3) & 0x0f;
  const rd = b[2] & 1;
  return header(u16(b, 0), 0x8000 | (opcode << 11) | (rd << 8) | 0x80 | rcode, [0, 0, 0, 0]);
}

export function parseQuery(b: Uint8Array): Parsed {
  if (b.length < HEADER || b[2] & 0x80) return { kind: "drop" };
  const opcode = (b[2] >> 3) & 0x0f;
  if (opcode !== 0) return { kind: "error", reply: errorReply(b, RCODE.NOTIMP) };
  if (u16(b, 4) !== 1) return { kind: "error", reply: errorReply(b, RCODE.FORMERR) };
  const q = readName(b, HEADER);
  if (!q || q.end + 4 > b.length) return { kind: "error", reply: errorReply(b, RCODE.FORMERR) };
  const qEnd = q.end + 4;
  let udpSize = 512;
  // EDNS: an OPT record among the additional ones raises the reply size limit.
  let off = qEnd;
  const records = u16(b, 6) + u16(b, 8) + u16(b, 10);
  for (let i = 0; i < records && i < 16; i++) {
    const r = skipRecord(b, off);
    if (!r) break;
    if (r.type === TYPE.OPT) udpSize = Math.min(Math.max(r.rclass, 512), 4096);
    off = r.end;
  }
  return {
    kind: "query",
    query: {
      id: u16(b, 0),
      opcode,
      rd: (b[2] & 1) === 1,
      name: q.name,
      type: u16(b, q.end),
      qclass: u16(b, q.end + 2),
      question: b.slice(HEADER, qEnd),
      udpSize,
    },
  };
}

export interface Answer {
  type: number;
  ttl: number;
  rdata: Uint8Array;
}

/** A reply to `q` with `answers` (each owned by the question's name, through a pointer). */
export function reply(q: Query, rcode: number, answers: Answer[] = []): Uint8Array {
  // QR, the query's RD, RA; authoritative for the names it answers itself.
  const flags = 0x8000 | (q.rd ? 0x100 : 0) | 0x80 | 0x400 | rcode;
  const parts = [header(q.id, flags, [1, answers.length, 0, 0]), q.question];
  for (const a of answers) {
    const rr = new Uint8Array(12 + a.rdata.length);
    const v = new DataView(rr.buffer);
    v.setUint16(0, 0xc000 | HEADER);
    v.setUint16(2, a.type);
    v.setUint16(4, CLASS_IN);
    v.setUint32(6, a.ttl);
    v.setUint16(10, a.rdata.length);
    rr.set(a.rdata, 12);
    parts.push(rr);
  }
  return concatBytes(parts);
}

/** `resp` cut to its header and the question, with TC set: the client retries over TCP. */
export function truncated(q: Query, resp: Uint8Array): Uint8Array {
  const h = header(u16(resp, 0), u16(resp, 2) | 0x200, [1, 0, 0, 0]);
  return concatBytes([h, q.question]);
}

export const isTruncated = (resp: Uint8Array) => resp.length >= HEADER && (resp[2] & 0x02) !== 0;

/** Whether `resp` is the response to a query with this id and question section. */
export function answers(resp: Uint8Array, id: number, question: Uint8Array): boolean {
  if (resp.length < HEADER + question.length || u16(resp, 0) !== id || !(resp[2] & 0x80)) {
    return false;
  }
  if (u16(resp, 4) !== 1) return false;
  // Names compare case-insensitively (a server may answer in another case, RFC 4343).
  for (let i = 0; i < question.length; i++) {
    if (lower(resp[HEADER + i]) !== lower(question[i])) return false;
  }
  return true;
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** The same message with another id. */
export function withId(msg: Uint8Array, id: number): Uint8Array {
  const out = msg.slice();
  out[0] = id >> 8;
  out[1] = id & 0xff;
  return out;
}

export function ipv4Rdata(ip: string): Uint8Array {
  return new Uint8Array(ip.split(".").map(Number));
}

/** A name in wire format, uncompressed ("web.app" → 3web3app0). */
export function encodeName(name: string): Uint8Array {
  const labels = name.split(".").filter((l) => l !== "");
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const l of labels) {
    const bytes = enc.encode(l).subarray(0, 63);
    parts.push(new Uint8Array([bytes.length]), bytes);
  }
  parts.push(new Uint8Array([0]));
  return concatBytes(parts);
}

/** "2.0.18.172.in-addr.arpa" → "172.18.0.2"; undefined for anything else. */
export function reverseV4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/i.exec(name);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return [m[4], m[3], m[2], m[1]].map(Number).join(".");
}
