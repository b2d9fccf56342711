// IPv4 address management: CIDR parsing, subnet choice from the daemon's default address
// pools (skipping subnets routed on the host or used by other networks), and address
// allocation inside a network (gateway = first address unless given, no collisions).
import { invalidArgument } from "../../lib/errors.ts";
import type { AddressPool } from "../daemon.ts";

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw invalidArgument(`invalid IPv4 address: ${JSON.stringify(ip.slice(0, 64))}`);
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) {
    throw invalidArgument(`invalid IPv4 address: ${JSON.stringify(ip.slice(0, 64))}`);
  }
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

const size = (c: Cidr) => 2 ** (32 - c.prefix);

/** "a.b.c.d/n"; with `strict`, host bits must be zero (Docker's "invalid subnet"). */
export function parseCidr(s: string, strict = true): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m || Number(m[2]) > 32) {
    throw invalidArgument(`invalid CIDR address: ${JSON.stringify(s.slice(0, 64))}`);
  }
  const prefix = Number(m[2]);
  const ip = ipToInt(m[1]);
  const base = prefix === 0 ? 0 : (ip - (ip % 2 ** (32 - prefix))) >>> 0;
  if (strict && base !== ip) {
    throw invalidArgument(`invalid subnet ${s}: it should be ${formatCidr({ base, prefix })}`);
  }
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c);
}

/** The first subnet of the pools that overlaps none of `taken`. */
export function chooseSubnet(pools: AddressPool[], taken: Cidr[]): Cidr {
  for (const pool of pools) {
    const p = parseCidr(pool.base, false);
    if (pool.size < p.prefix || pool.size > 30) continue;
    const step = 2 ** (32 - pool.size);
    for (let base = p.base; base < p.base + size(p); base += step) {
      const c = { base, prefix: pool.size };
      if (!taken.some((t) => overlaps(t, c))) return c;
    }
  }
  throw invalidArgument(
    "could not find an available, non-overlapping IPv4 address pool among the defaults to " +
      "assign to the network",
  );
}

/**
 * The next free address of `subnet` (inside `range` when given): never the network or
 * broadcast address, the gateway, nor one in `used`.
 */
export function allocateIp(
  subnet: Cidr,
  range: Cidr | undefined,
  used: Set<string>,
): string {
  const r = range ?? subnet;
  const first = Math.max(r.base, subnet.base + 1);
  const last = Math.min(r.base + size(r), subnet.base + size(subnet) - 1);
  for (let n = first; n < last; n++) {
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  throw invalidArgument(`no available IPv4 addresses on network ${formatCidr(subnet)}`);
}

/** A requested address: inside the subnet, not its network/broadcast address, and free. */
export function checkRequestedIp(subnet: Cidr, ip: string, used: Set<string>): string {
  const n = ipToInt(ip);
  if (!contains(subnet, n) || n === subnet.base || n === subnet.base + size(subnet) - 1) {
    throw invalidArgument(`invalid address ${ip}: it does not belong to ${formatCidr(subnet)}`);
  }
  if (used.has(ip)) throw invalidArgument(`Address already in use: ${ip}`);
  return ip;
}

/** Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address. */
export function macFor(ip: string): string {
  const n = ipToInt(ip);
  return ["02", "42", ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, "0"))]
    .join(":");
}
