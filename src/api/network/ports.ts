// Published ports: the API's port keys and bindings (Docker's go-connections/nat rules), the
// docker CLI's `-p` spec, and the host port allocator (libnetwork's portallocator: a specific
// port or the first free one of a range, dynamic ports taken in turn from the kernel's
// ephemeral range). IPv4 only.
import { invalidArgument } from "../../lib/errors.ts";

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}
/** "80/tcp" → its bindings (null: exposed, not published), as in HostConfig and inspect. */
export type PortMap = Record<string, PortBinding[] | null>;

export type Proto = "tcp" | "udp" | "sctp";
const PROTOS: readonly string[] = ["tcp", "udp", "sctp"];

export interface PortKey {
  port: number;
  proto: Proto;
}

export interface PortRange {
  start: number;
  end: number;
}

const NUMBER = /^\d{1,5}$/;

function portNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** A port or range ("80", "8000-8010"), as nat.ParsePortRange; "" is no port. */
export function parsePortRange(text: string): PortRange | null {
  if (text === "") return null;
  const dash = text.indexOf("-");
  const start = portNumber(dash < 0 ? text : text.slice(0, dash));
  const end = dash < 0 ? start : portNumber(text.slice(dash + 1));
  if (start === undefined || end === undefined || end < start) {
    throw invalidArgument(`invalid port specification: ${JSON.stringify(text)}`);
  }
  return { start, end };
}

/** A container port key ("80/tcp", "53/udp", "80" meaning tcp). */
export function parsePortKey(key: string): PortKey {
  const slash = key.indexOf("/");
  const portText = slash < 0 ? key : key.slice(0, slash);
  const proto = (slash < 0 ? "tcp" : key.slice(slash + 1)).toLowerCase();
  const port = portNumber(portText);
  if (port === undefined || port === 0) {
    throw invalidArgument(`invalid port specification: ${JSON.stringify(portText)}`);
  }
  if (!PROTOS.includes(proto)) throw invalidArgument(`invalid proto: ${proto}`);
  return { port, proto: proto as Proto };
}

export const portKey = (k: PortKey) => `${k.port}/${k.proto}`;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIPv4 = (s: string) => IPV4.test(s);

/**
 * HostConfig.PortBindings from a create request, checked as dockerd's verifyContainerSettings
 * does: every key a port, every HostPort a port or range, every HostIp an address.
 */
export function validatePortBindings(value: unknown): PortMap {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalidArgument("PortBindings: expected an object");
  }
  const out: PortMap = {};
  for (const [key, list] of Object.entries(value)) {
    const k = parsePortKey(key);
    if (list === null) {
      out[portKey(k)] = null;
      continue;
    }
    if (!Array.isArray(list)) throw invalidArgument(`PortBindings ${key}: expected a list`);
    out[portKey(k)] = list.map((b) => {
      const hostIp = typeof b?.HostIp === "string" ? b.HostIp : "";
      const hostPort = typeof b?.HostPort === "string" ? b.HostPort : "";
      parsePortRange(hostPort);
      if (hostIp !== "" && !isIPv4(hostIp) && !hostIp.includes(":")) {
        throw invalidArgument(`invalid IP address: ${hostIp}`);
      }
      return { HostIp: hostIp, HostPort: hostPort };
    });
  }
  return out;
}

/** Docker's nat.splitParts: ip, host port, container port (the ip may hold colons). */
function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  if (n === 1) return ["", "", parts[0]];
  if (n === 2) return ["", parts[0], parts[1]];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2], parts[n - 1]];
}

/**
 * The docker CLI's `-p [ip:][hostPort:]containerPort[/proto]` (nat.ParsePortSpec): ranges on
 * both sides pair up; a single container port with a host range gets the range, from which
 * the daemon picks a free port.
 */
export function parsePortSpec(raw: string): { key: string; binding: PortBinding }[] {
  const [ipPart, hostPort, containerProto] = splitParts(raw);
  const slash = containerProto.indexOf("/");
  const containerPort = slash < 0 ? containerProto : containerProto.slice(0, slash);
  const proto = (slash < 0 ? "tcp" : containerProto.slice(slash + 1)).toLowerCase();
  const ip = ipPart.replace(/^\[(.*)\]$/, "$1");
  if (ip !== "" && !isIPv4(ip) && !/^[0-9a-fA-F:.]+$/.test(ip)) {
    throw invalidArgument(`invalid IP address: ${ip}`);
  }
  if (containerPort === "") throw invalidArgument(`no port specified: ${raw}<empty>`);
  let ctr: PortRange;
  try {
    ctr = parsePortRange(containerPort)!;
  } catch {
    throw invalidArgument(`invalid containerPort: ${containerPort}`);
  }
  let host: PortRange | null = null;
  try {
    host = parsePortRange(hostPort);
  } catch {
    throw invalidArgument(`invalid hostPort: ${hostPort}`);
  }
  if (host && host.end - host.start !== ctr.end - ctr.start && ctr.end !== ctr.start) {
    throw invalidArgument(
      `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
    );
  }
  if (!PROTOS.includes(proto)) throw invalidArgument(`invalid proto: ${proto}`);
  const out: { key: string; binding: PortBinding }[] = [];
  for (let i = 0; i <= ctr.end - ctr.start; i++) {
    let hp = host ? String(host.start + i) : "";
    if (host && ctr.start === ctr.end && host.start !== host.end) hp = `${hp}-${host.end}`;
    out.push({ key: `${ctr.start + i}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** The kernel's ephemeral port range, where dynamic host ports come from (as Docker's). */
export function ephemeralRange(): PortRange {
  try {
    const [start, end] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range")
      .trim().split(/\s+/).map(Number);
    if (start > 0 && end >= start && end <= 65535) return { start, end };
  } catch { /* not Linux procfs: Docker's defaults */ }
  return { start: 49153, end: 65535 };
}

/** Why a port could not be had: ours already, or refused by `probe` (a host process has it). */
export class PortUnavailable extends Error {
  constructor(readonly hostIp: string, readonly port: number, readonly ours: boolean, msg: string) {
    super(msg);
  }
}

/**
 * Host ports in use, per protocol. 0.0.0.0 overlaps every address: a port held on 0.0.0.0
 * cannot be had on 127.0.0.1 and the other way round.
 */
export class PortAllocator {
  /** "proto/port" → host addresses holding it. */
  #held = new Map<string, Set<string>>();
  /** Per protocol and range, the last port handed out (the next search starts after it). */
  #last = new Map<string, number>();

  constructor(readonly dynamic: PortRange = ephemeralRange()) {}

  isHeld(hostIp: string, proto: Proto, port: number): boolean {
    const ips = this.#held.get(`${proto}/${port}`);
    if (!ips) return false;
    return hostIp === "0.0.0.0" ? ips.size > 0 : ips.has(hostIp) || ips.has("0.0.0.0");
  }

  /**
   * A port of `range` (the dynamic range when null) for hostIp: a single port is taken or
   * refused; from a range, the next free one that `probe` also accepts (a bind test).
   * `probe` throws PortUnavailable (or another error, which stops the search).
   */
  async allocate(
    hostIp: string,
    proto: Proto,
    range: PortRange | null,
    probe: (port: number) => Promise<void>,
  ): Promise<number> {
    const r = range && range.start !== 0 ? range : this.dynamic;
    if (r.start === r.end) {
      if (this.isHeld(hostIp, proto, r.start)) {
        throw new PortUnavailable(
          hostIp,
          r.start,
          true,
          `Bind for ${hostIp}:${r.start} failed: port is already allocated`,
        );
      }
      this.#hold(hostIp, proto, r.start);
      try {
        await probe(r.start);
      } catch (err) {
        this.release(hostIp, proto, r.start);
        throw err;
      }
      return r.start;
    }
    const key = `${proto}/${r.start}-${r.end}`;
    let last = this.#last.get(key) ?? r.start - 1;
    for (let i = 0; i <= r.end - r.start; i++) {
      last = last >= r.end ? r.start : last + 1;
      if (this.isHeld(hostIp, proto, last)) continue;
      this.#hold(hostIp, proto, last);
      this.#last.set(key, last);
      try {
        await probe(last);
        return last;
      } catch (err) {
        this.release(hostIp, proto, last);
        if (!(err instanceof PortUnavailable)) throw err;
      }
    }
    throw new PortUnavailable(
      hostIp,
      0,
      true,
      `Bind for ${hostIp}:${range ? `${r.start}-${r.end}` : 0} failed: all ports are allocated`,
    );
  }

  release(hostIp: string, proto: Proto, port: number): void {
    const k = `${proto}/${port}`;
    const ips = this.#held.get(k);
    ips?.delete(hostIp);
    if (ips && !ips.size) this.#held.delete(k);
  }

  #hold(hostIp: string, proto: Proto, port: number): void {
    const k = `${proto}/${port}`;
    let ips = this.#held.get(k);
    if (!ips) this.#held.set(k, ips = new Set());
    ips.add(hostIp);
  }
}
