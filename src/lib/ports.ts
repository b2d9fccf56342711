// Published ports as Docker's go-connections/nat parses them: the API's port keys and
// bindings (the daemon) and the docker CLI's `-p` spec (the CLI). IPv4 only.
import { invalidArgument } from "./errors.ts";

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
