// Which URL serves a registry domain: docker.io is served by registry-1.docker.io; plain
// HTTP only for loopback (127.0.0.0/8, ::1, localhost) and registries configured insecure.

import { DEFAULT_DOMAIN } from "../../lib/reference.ts";

export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The key Docker uses for Docker Hub in config.json `auths`. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

export function hostname(hostPort: string): string {
  if (hostPort.startsWith("[")) return hostPort.slice(1, hostPort.indexOf("]"));
  const i = hostPort.lastIndexOf(":");
  return i === -1 ? hostPort : hostPort.slice(0, i);
}

export function isLoopback(hostPort: string): boolean {
  const h = hostname(hostPort).toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The API host for a reference domain ("docker.io" → "registry-1.docker.io"). */
export function apiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/**
 * Base URL ("https://host[:port]") of a registry domain. `insecure` lists domains (host or
 * host:port) to reach over plain HTTP, as dockerd's --insecure-registry; `secure` lists
 * loopback domains to reach over HTTPS all the same.
 */
export function baseUrl(
  domain: string,
  insecure: readonly string[] = [],
  secure: readonly string[] = [],
): string {
  const host = apiHost(domain);
  const listed = (l: readonly string[]) =>
    l.includes(domain) || l.includes(host) || l.includes(hostname(host));
  const plain = (isLoopback(host) && !listed(secure)) || listed(insecure);
  return `${plain ? "http" : "https"}://${host}`;
}
