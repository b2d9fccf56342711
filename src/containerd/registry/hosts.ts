// Which endpoints serve a registry domain, as dockerd's lookupV2Endpoints: docker.io is
// served by its mirrors (in order) then registry-1.docker.io; a secure registry by HTTPS
// verified against the system CAs and its certs.d directory; an insecure one (listed by
// host, host:port or CIDR, and 127.0.0.0/8 always) by HTTPS without verification, then
// plain HTTP. Names are not resolved (DNS may stall here): only "localhost" counts as
// loopback, other names are insecure when listed by name.

import { invalidArgument } from "../../lib/errors.ts";
import { DEFAULT_DOMAIN } from "../../lib/reference.ts";

export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The key Docker uses for Docker Hub in config.json `auths`. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/** TLS of an endpoint: verified, unverified (insecure registry), or plain HTTP. */
export type TlsMode = "verify" | "skip" | "none";

export interface Endpoint {
  /** "https://host[:port]" */
  base: string;
  /** host[:port] of the endpoint: its certs.d directory name. */
  host: string;
  tls: TlsMode;
  /** A docker.io mirror: any failure there falls back to the next endpoint. */
  mirror: boolean;
}

export interface HostsConfig {
  /** Mirrors of docker.io ("https://mirror.example", "http://127.0.0.1:5001"). */
  mirrors?: readonly string[];
  /** Insecure registries: host, host:port or CIDR (dockerd --insecure-registry). */
  insecure?: readonly string[];
  /** Loopback domains treated as secure all the same (tests of verified TLS on 127.0.0.1). */
  secure?: readonly string[];
}

export function hostname(hostPort: string): string {
  if (hostPort.startsWith("[")) return hostPort.slice(1, hostPort.indexOf("]"));
  const i = hostPort.lastIndexOf(":");
  return i === -1 ? hostPort : hostPort.slice(0, i);
}

/** The API host for a reference domain ("docker.io" → "registry-1.docker.io"). */
export function apiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/** An IPv4 or IPv6 literal as bytes, else undefined. */
function ipBytes(text: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? b : undefined;
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const [head, tail, more] = text.split("::");
  if (more !== undefined) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = groups(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array(Math.max(0, fill)).fill("0"), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
}

function inCidr(ip: number[], cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const base = ipBytes(net);
  const bits = Number(bitsText);
  if (!base || base.length !== ip.length || !Number.isInteger(bits)) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((base[i >> 3] & mask) !== (ip[i >> 3] & mask)) return false;
  }
  return true;
}

/** Checks an --insecure-registry entry: host, host:port or a CIDR. */
export function validateInsecureEntry(entry: string): string {
  const e = entry.trim().replace(/^https?:\/\//, "").replace(/\/$/, "");
  if (e.includes("/")) {
    const [net, bits] = e.split("/");
    const ip = ipBytes(net);
    if (!ip || !/^\d+$/.test(bits) || Number(bits) > ip.length * 8) {
      throw invalidArgument(`insecure registry ${JSON.stringify(entry)}: invalid CIDR`);
    }
    return e;
  }
  if (!e || !/^[A-Za-z0-9.\-\[\]:]+$/.test(e)) {
    throw invalidArgument(`insecure registry ${JSON.stringify(entry)}: not a host[:port]`);
  }
  return e.toLowerCase();
}

/** Whether `hostPort` is an insecure registry (127.0.0.0/8 always is, as in dockerd). */
export function isInsecure(hostPort: string, cfg: HostsConfig = {}): boolean {
  const hp = hostPort.toLowerCase();
  const host = hostname(hp);
  if (cfg.secure?.some((s) => s.toLowerCase() === hp || s.toLowerCase() === host)) return false;
  const ip = ipBytes(host === "localhost" ? "127.0.0.1" : host);
  for (const raw of ["127.0.0.0/8", ...(cfg.insecure ?? [])]) {
    const e = raw.trim().replace(/^https?:\/\//, "").replace(/\/$/, "").toLowerCase();
    if (e.includes("/")) {
      if (ip && inCidr(ip, e)) return true;
    } else if (e === hp || e === host) return true;
  }
  return false;
}

/** A mirror URL → its endpoint (path ignored: the v2 API is at the root). */
export function mirrorEndpoint(url: string, cfg: HostsConfig = {}): Endpoint {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    throw invalidArgument(`registry mirror ${JSON.stringify(url)}: not a URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw invalidArgument(`registry mirror ${JSON.stringify(url)}: not http or https`);
  }
  const plain = u.protocol === "http:";
  return {
    base: u.origin,
    host: u.host,
    tls: plain ? "none" : isInsecure(u.host, cfg) ? "skip" : "verify",
    mirror: true,
  };
}

/** The endpoints to try, in order, for a registry domain. */
export function endpoints(domain: string, cfg: HostsConfig = {}): Endpoint[] {
  const host = apiHost(domain);
  const out: Endpoint[] = [];
  if (domain === DEFAULT_DOMAIN) {
    out.push(...(cfg.mirrors ?? []).map((m) => mirrorEndpoint(m, cfg)));
  }
  if (isInsecure(host, cfg)) {
    out.push({ base: `https://${host}`, host, tls: "skip", mirror: false });
    out.push({ base: `http://${host}`, host, tls: "none", mirror: false });
  } else out.push({ base: `https://${host}`, host, tls: "verify", mirror: false });
  return out;
}
