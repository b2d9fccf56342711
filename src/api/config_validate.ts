// The daemon's option values checked as dockerd checks them (moby daemon/config Validate,
// registry ValidateMirror, the log drivers' ValidateLogOpt), with dockerd's messages.
import { invalidArgument } from "../lib/errors.ts";
import { parseSize } from "./containers/units.ts";
import type { DaemonOptions } from "./daemon.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"];

/** Runtimes every daemon has; daemon.json may not redefine them. */
export const BUILTIN_RUNTIMES = ["engine", "runc", "crun"];

/** The options each log driver takes. */
const LOG_OPTS: Record<string, string[]> = {
  "json-file": [
    "max-size",
    "max-file",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
  ],
  local: ["max-size", "max-file", "compress"],
  none: [],
};

export const LOG_DRIVERS = Object.keys(LOG_OPTS);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIp = (s: string) => IPV4.test(s) || (/^[0-9a-f:.]+$/i.test(s) && s.includes(":"));

/** The driver's options, as `docker run --log-opt` and daemon.json's log-opts are checked. */
export function validateLogOpts(driver: string, opts: Record<string, string>): void {
  const known = LOG_OPTS[driver];
  if (!known) throw invalidArgument(`logger: no log driver named '${driver}' is registered`);
  for (const [k, v] of Object.entries(opts)) {
    if (!known.includes(k)) {
      throw invalidArgument(`unknown log opt '${k}' for ${driver} log driver`);
    }
    if (k === "max-size" && !(parseSize(v) > 0)) {
      throw invalidArgument(`invalid max-size ${JSON.stringify(v)}: must be a positive size`);
    }
    if (k === "max-file" && !(Number.isInteger(Number(v)) && Number(v) >= 1)) {
      throw invalidArgument(`max-file cannot be less than 1: ${JSON.stringify(v)}`);
    }
    if (k === "compress" && !["true", "false", "1", "0"].includes(v)) {
      throw invalidArgument(`invalid value for compress: ${JSON.stringify(v)}`);
    }
  }
}

/** Go's ValidateMirror: an http(s) URL without path, query, fragment or credentials. */
export function validateMirror(m: string): void {
  let u: URL;
  try {
    u = new URL(m);
  } catch {
    throw invalidArgument(`invalid mirror: ${JSON.stringify(m)} is not a valid URI`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw invalidArgument(
      `invalid mirror: unsupported scheme ${JSON.stringify(u.protocol.slice(0, -1))} in ` +
        JSON.stringify(m),
    );
  }
  if (u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) {
    throw invalidArgument(
      `invalid mirror: path, query, or fragment at end of the URI ${JSON.stringify(m)}`,
    );
  }
  if (u.username || u.password) {
    throw invalidArgument(
      `invalid mirror: username/password not allowed in URI ${JSON.stringify(m)}`,
    );
  }
}

/** The labels (KEY=VALUE, a key given twice must keep its value). */
export function validateLabels(labels: string[]): void {
  const seen = new Map<string, string>();
  for (const l of labels) {
    const i = l.indexOf("=");
    if (i <= 0) throw invalidArgument(`invalid label '${l}': expected KEY=VALUE`);
    const [k, v] = [l.slice(0, i), l.slice(i + 1)];
    if (seen.has(k) && seen.get(k) !== v) {
      throw invalidArgument(`conflict labels for ${k}=${v} and ${k}=${seen.get(k)}`);
    }
    seen.set(k, v);
  }
}

export function validateOptions(o: DaemonOptions): void {
  if (!LOG_LEVELS.includes(o.logLevel.toLowerCase())) {
    throw invalidArgument(`invalid logging level: ${o.logLevel}`);
  }
  if (o.logFormat !== "text" && o.logFormat !== "json") {
    throw invalidArgument(`invalid log format: ${o.logFormat}`);
  }
  validateLabels(o.labels);
  for (const m of o.registryMirrors) validateMirror(m);
  for (const r of o.insecureRegistries) {
    if (r.includes("://")) throw invalidArgument(`insecure registry ${r} should not contain '://'`);
  }
  for (
    const [name, value] of [
      ["max concurrent downloads", o.maxConcurrentDownloads],
      ["max concurrent uploads", o.maxConcurrentUploads],
      ["shutdown timeout", o.shutdownTimeout],
    ] as const
  ) {
    if (value < 0) throw invalidArgument(`invalid ${name}: ${value}`);
  }
  validateLogOpts(o.logDriver, o.logOpts);
  for (const [name, path] of Object.entries(o.runtimes)) {
    if (BUILTIN_RUNTIMES.includes(name)) {
      throw invalidArgument(`runtime name '${name}' is reserved`);
    }
    if (!/^[\w.-]+$/.test(name) || !path.startsWith("/")) {
      throw invalidArgument(`invalid runtime ${name}=${path}: expected NAME=/absolute/path`);
    }
  }
  if (!BUILTIN_RUNTIMES.includes(o.defaultRuntime) && !(o.defaultRuntime in o.runtimes)) {
    throw invalidArgument(`specified default runtime '${o.defaultRuntime}' does not exist`);
  }
  const n = o.network;
  if (!/^[\w.-]{1,15}$/.test(n.bridgeName)) {
    throw invalidArgument(`invalid bridge name ${JSON.stringify(n.bridgeName)}`);
  }
  if (n.bip !== undefined) {
    const [addr, prefix] = n.bip.split("/");
    if (!IPV4.test(addr) || !/^\d+$/.test(prefix ?? "") || Number(prefix) > 30) {
      throw invalidArgument(`invalid bip ${JSON.stringify(n.bip)}: expected A.B.C.D/N`);
    }
  }
  if (!isIp(n.defaultBindIp)) throw invalidArgument(`${n.defaultBindIp} is not an ip address`);
  if (n.mtu <= 0 || n.mtu > 65535) throw invalidArgument(`invalid default MTU: ${n.mtu}`);
  for (const s of n.dns) if (!isIp(s)) throw invalidArgument(`${s} is not an ip address`);
  for (const s of n.dnsSearch) {
    if (
      s !== "." && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(s)
    ) {
      throw invalidArgument(`${s} is not a valid domain`);
    }
  }
}
