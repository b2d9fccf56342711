// The container's /etc/hosts and /etc/resolv.conf as dockerd writes them (libnetwork's
// etchosts and resolvconf packages).
import { invalidArgument } from "../../lib/errors.ts";

const DEFAULT_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
  "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n" +
  "ff02::2\tip6-allrouters\n";

/** --add-host entries ("name:ip", "name=ip"; "host-gateway" → `hostGateway`) as hosts lines. */
export function extraHostLines(extra: string[], hostGateway: string): string[] {
  return extra.map((e) => {
    const m = /^([^:=\s]+)[:=](.+)$/.exec(e);
    if (!m) throw invalidArgument(`invalid extra host ${JSON.stringify(e)}: expected NAME:IP`);
    let ip = m[2].replace(/^\[(.*)\]$/, "$1");
    if (ip === "host-gateway") {
      if (!hostGateway) throw invalidArgument(`host-gateway has no address (no default bridge)`);
      ip = hostGateway;
    }
    if (!/^[\d.]+$/.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) {
      throw invalidArgument(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
    }
    return `${ip}\t${m[1]}`;
  });
}

/** A name for a hosts line: one word, no comment. */
export function checkHostName(n: string): void {
  if (!/^[^\s#]{1,253}$/.test(n)) {
    throw invalidArgument(`invalid hostname ${JSON.stringify(n.slice(0, 64))}`);
  }
}

/** Docker's layout: the defaults, the extra hosts, then the container's own address(es). */
export function hostsFile(own: { ip: string; names: string[] }[], extra: string[]): string {
  for (const n of own.flatMap((o) => o.names)) checkHostName(n);
  return DEFAULT_HOSTS + extra.map((l) => l + "\n").join("") +
    own.map((o) => `${o.ip}\t${o.names.join(" ")}\n`).join("");
}

export interface ResolvOptions {
  /** The host's resolv.conf text. */
  host: string;
  dns: string[];
  search: string[];
  options: string[];
  /** The embedded resolver's address (user-defined networks: 127.0.0.11, or the gateway's). */
  embedded?: string;
}

const LOOPBACK_NS = /^(127\.|::1$)/;
/** libnetwork's servers when the host has none a container can use. */
const DEFAULT_SERVERS = ["8.8.8.8", "8.8.4.4"];

/**
 * libnetwork's rules: without overrides, the host's file less the servers a container cannot
 * use; otherwise nameservers given or the host's usable ones (8.8.8.8 and 8.8.4.4 when none
 * remain), on user networks the embedded resolver instead (it forwards to the others);
 * search and options given replace the host's.
 */
export function resolvConf(o: ResolvOptions): string {
  for (const n of o.dns) {
    if (!/^[\d.]+$/.test(n) && !/^[0-9a-fA-F:]+$/.test(n)) {
      throw invalidArgument(
        `invalid DNS server ${JSON.stringify(n.slice(0, 64))}: not an IP address`,
      );
    }
  }
  for (const w of [...o.search, ...o.options]) {
    if (!/^[^\s#;]{1,253}$/.test(w)) {
      throw invalidArgument(
        `invalid DNS search domain or option ${JSON.stringify(w.slice(0, 64))}`,
      );
    }
  }
  if (!o.embedded && !o.dns.length && !o.search.length && !o.options.length) {
    return filteredHostFile(o.host);
  }
  const hostNs: string[] = [], hostSearch: string[] = [], hostOpts: string[] = [];
  for (const line of o.host.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[0] === "nameserver" && f[1]) hostNs.push(f[1]);
    else if (f[0] === "search" || f[0] === "domain") hostSearch.splice(0, Infinity, ...f.slice(1));
    else if (f[0] === "options") hostOpts.push(...f.slice(1));
  }
  let ns = o.embedded ? [o.embedded] : o.dns.length ? o.dns : hostNs.filter(usableHostServer);
  if (!ns.length) ns = DEFAULT_SERVERS;
  const search = o.search.length ? o.search : hostSearch;
  const options = o.options.length ? o.options : [...hostOpts];
  // The embedded resolver answers container names: ndots:0 sends every name to it as given
  // before the search list is tried (libnetwork's resolver option, unless ndots was chosen).
  if (o.embedded && !options.some((x) => x.startsWith("ndots:"))) options.push("ndots:0");
  let out = "";
  // libnetwork's order: search, nameservers, options.
  if (search.length && !(search.length === 1 && search[0] === ".")) {
    out += `search ${search.join(" ")}\n`;
  }
  out += ns.map((n) => `nameserver ${n}\n`).join("");
  if (options.length) out += `options ${options.join(" ")}\n`;
  return out;
}

/** A host server a container can use: not loopback, not IPv6 (containers have no IPv6 here). */
function usableHostServer(n: string): boolean {
  return !LOOPBACK_NS.test(n) && !n.includes(":");
}

/**
 * Without overrides libnetwork copies the host's file as it is (comments, sortlist, …)
 * less the nameservers a container cannot use, with the defaults when none remain.
 */
function filteredHostFile(host: string): string {
  const server = (line: string) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
  const kept = host.split("\n").filter((line) => {
    const n = server(line);
    return n === undefined || usableHostServer(n);
  });
  let out = kept.join("\n").replace(/\n*$/, "\n").replace(/^\n$/, "");
  if (!kept.some((line) => server(line) !== undefined)) {
    out += DEFAULT_SERVERS.map((n) => `nameserver ${n}\n`).join("");
  }
  return out;
}

/** Upstream servers for the embedded resolver: the non-loopback ones resolvConf would use. */
export function upstreamServers(host: string, dns: string[]): string[] {
  if (dns.length) return dns;
  return host.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) =>
    f[0] === "nameserver" && f[1] && !LOOPBACK_NS.test(f[1])
  ).map((f) => f[1]);
}

export async function readHostResolvConf(): Promise<string> {
  try {
    return await Deno.readTextFile("/etc/resolv.conf");
  } catch {
    return "";
  }
}
