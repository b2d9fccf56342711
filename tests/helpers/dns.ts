// DNS queries for tests of the embedded resolver.
import { encodeName } from "../../src/api/network/dns_message.ts";

/** A query for name/type (RD set), with an EDNS OPT record announcing `edns` bytes if given. */
export function dnsQuery(name: string, type: number, id = 0x1234, edns?: number): Uint8Array {
  const q = [...encodeName(name), type >> 8, type & 0xff, 0, 1];
  const opt = edns ? [0, 0, 41, edns >> 8, edns & 0xff, 0, 0, 0, 0, 0, 0] : [];
  return new Uint8Array([
    id >> 8,
    id & 0xff,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    edns ? 1 : 0,
    ...q,
    ...opt,
  ]);
}
