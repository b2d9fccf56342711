// `engine daemon`'s flags and daemon.json, merged into DaemonOptions (flags win).
import { parseArgs } from "node:util";
import { invalidArgument } from "../lib/errors.ts";
import type { AddressPool, DaemonOptions } from "./daemon.ts";

export const USAGE = `Usage:  engine daemon [OPTIONS]

The daemon (dockerd's role): the Docker Engine API for containers, exec, logs and events.

Options:
      --data-root string        Root of persisted state (default "/var/lib/engine")
      --exec-root string        Root of runtime state (default "/run/engine")
  -H, --host list               Sockets to listen on: unix://PATH or tcp://ADDR (loopback
                                only without TLS) (default unix:///run/engine/engine.sock)
      --containerd string       containerd's socket (default <exec-root>/containerd/containerd.sock)
      --add-runtime list        Register an OCI runtime: NAME=PATH
      --default-runtime string  Default OCI runtime for containers (default "engine")
      --live-restore            Keep containers running while the daemon is down
      --tls                     Serve TLS on tcp listeners (implied by --tlsverify)
      --tlsverify               Serve TLS and require client certificates signed by --tlscacert
      --tlscacert string        CA that client certificates must chain to
      --tlscert string          Server certificate
      --tlskey string           Server key
      --registry-mirror list    Mirror of docker.io to try first
      --insecure-registry list  Registry reached over http or with unverified TLS
      --log-driver string       Default log driver for containers (default "json-file")
      --log-opt list            Default log driver options (KEY=VALUE)
  -b, --bridge string           Linux bridge of the default network (default "engine0")
      --bip string              Address and prefix of the default bridge (e.g. 172.17.0.1/16)
      --default-address-pool list
                                Pools for networks' subnets: base=CIDR,size=PREFIX
      --iptables                Manage netfilter rules (default true)
      --ip-masq                 Masquerade traffic leaving bridge networks (default true)
      --userland-proxy          Publish ports through a userland proxy (default false)
      --ip string               Default host address for published ports (default "0.0.0.0")
      --mtu int                 MTU of container interfaces (default 1500)
      --dns list                DNS servers for containers
      --dns-search list         DNS search domains for containers
      --dns-opt list            DNS options for containers
      --config-file string      Daemon configuration file (default "/etc/engine/daemon.json")
  -l, --log-level string        debug, info, warn, error (default "info")
  -h, --help                    Print usage
`;

/** Boolean flags that also take =true/=false (Docker's --iptables=false). */
const VALUED_BOOLEANS = ["--iptables", "--ip-masq", "--userland-proxy"];

export interface ParsedArgs {
  help: boolean;
  opts: DaemonOptions;
}

export async function parseDaemonArgs(args: string[]): Promise<ParsedArgs> {
  const { values } = parseArgs({
    args: args.map((a) => (VALUED_BOOLEANS.includes(a) ? `${a}=true` : a)),
    options: {
      "data-root": { type: "string" },
      "exec-root": { type: "string" },
      host: { type: "string", short: "H", multiple: true },
      containerd: { type: "string" },
      "add-runtime": { type: "string", multiple: true },
      "default-runtime": { type: "string" },
      "live-restore": { type: "boolean" },
      tls: { type: "boolean" },
      tlsverify: { type: "boolean" },
      tlscacert: { type: "string" },
      tlscert: { type: "string" },
      tlskey: { type: "string" },
      "registry-mirror": { type: "string", multiple: true },
      "insecure-registry": { type: "string", multiple: true },
      "log-driver": { type: "string" },
      "log-opt": { type: "string", multiple: true },
      bridge: { type: "string", short: "b" },
      bip: { type: "string" },
      "default-address-pool": { type: "string", multiple: true },
      iptables: { type: "string" },
      "ip-masq": { type: "string" },
      "userland-proxy": { type: "string" },
      ip: { type: "string" },
      mtu: { type: "string" },
      dns: { type: "string", multiple: true },
      "dns-search": { type: "string", multiple: true },
      "dns-opt": { type: "string", multiple: true },
      "config-file": { type: "string" },
      "log-level": { type: "string", short: "l" },
      help: { type: "boolean", short: "h" },
    },
  });
  let file: Record<string, unknown> = {};
  const cfgPath = values["config-file"] ?? "/etc/engine/daemon.json";
  try {
    file = JSON.parse(await Deno.readTextFile(cfgPath));
  } catch (e) {
    if (values["config-file"] || !(e instanceof Deno.errors.NotFound)) {
      throw invalidArgument(
        `unable to configure the daemon from ${cfgPath}: ${(e as Error).message}`,
      );
    }
  }
  const str = (k: string) => (typeof file[k] === "string" ? file[k] as string : undefined);
  const runtimes: Record<string, string> = {};
  const fileRuntimes = file["runtimes"];
  if (fileRuntimes && typeof fileRuntimes === "object") {
    for (const [n, v] of Object.entries(fileRuntimes as Record<string, { path?: string }>)) {
      if (typeof v?.path === "string") runtimes[n] = v.path;
    }
  }
  for (const r of values["add-runtime"] ?? []) {
    const i = r.indexOf("=");
    if (i <= 0 || !/^[\w.-]+$/.test(r.slice(0, i))) {
      throw invalidArgument(`invalid --add-runtime ${JSON.stringify(r)}: expected NAME=PATH`);
    }
    runtimes[r.slice(0, i)] = r.slice(i + 1);
  }
  const execRoot = values["exec-root"] ?? str("exec-root") ?? "/run/engine";
  const fileHosts = Array.isArray(file["hosts"]) ? (file["hosts"] as string[]) : undefined;
  return {
    help: values.help ?? false,
    opts: {
      dataRoot: values["data-root"] ?? str("data-root") ?? "/var/lib/engine",
      execRoot,
      hosts: values.host ?? fileHosts ?? ["unix:///run/engine/engine.sock"],
      containerdSocket: values.containerd ?? str("containerd") ??
        `${execRoot}/containerd/containerd.sock`,
      runtimes,
      defaultRuntime: values["default-runtime"] ?? str("default-runtime") ?? "engine",
      liveRestore: values["live-restore"] ?? (file["live-restore"] === true),
      logLevel: values["log-level"] ?? str("log-level") ?? "info",
      tls: values.tls ?? values.tlsverify ?? (file["tls"] === true || file["tlsverify"] === true),
      tlsVerify: values.tlsverify ?? (file["tlsverify"] === true),
      tlsCaCert: values.tlscacert ?? str("tlscacert"),
      tlsCert: values.tlscert ?? str("tlscert"),
      tlsKey: values.tlskey ?? str("tlskey"),
      registryMirrors: values["registry-mirror"] ?? strings(file, "registry-mirrors"),
      insecureRegistries: values["insecure-registry"] ?? strings(file, "insecure-registries"),
      logDriver: values["log-driver"] ?? str("log-driver") ?? "json-file",
      logOpts: values["log-opt"]
        ? keyValues(values["log-opt"], "--log-opt")
        : stringMap(file, "log-opts"),
      network: {
        bridgeName: values.bridge ?? str("bridge") ?? "engine0",
        bip: values.bip ?? str("bip"),
        defaultAddressPools: values["default-address-pool"]
          ? values["default-address-pool"].map(parsePool)
          : Array.isArray(file["default-address-pools"])
          ? (file["default-address-pools"] as unknown[]).map(filePool)
          : DEFAULT_ADDRESS_POOLS,
        iptables: flagBool(values.iptables, "--iptables") ?? (file["iptables"] !== false),
        ipMasq: flagBool(values["ip-masq"], "--ip-masq") ?? (file["ip-masq"] !== false),
        userlandProxy: flagBool(values["userland-proxy"], "--userland-proxy") ??
          (file["userland-proxy"] === true),
        defaultBindIp: values.ip ?? str("ip") ?? "0.0.0.0",
        mtu: values.mtu !== undefined
          ? positiveInt(values.mtu, "--mtu")
          : typeof file["mtu"] === "number"
          ? file["mtu"]
          : 1500,
        dns: values.dns ?? strings(file, "dns"),
        dnsSearch: values["dns-search"] ?? strings(file, "dns-search"),
        dnsOptions: values["dns-opt"] ?? strings(file, "dns-opts"),
      },
    },
  };
}

/** dockerd's default pools: 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s. */
export const DEFAULT_ADDRESS_POOLS: AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: "192.168.0.0/16", size: 20 },
];

function strings(file: Record<string, unknown>, key: string): string[] {
  const v = file[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw invalidArgument(`daemon.json: ${key} must be a list of strings`);
  }
  return v as string[];
}

function stringMap(file: Record<string, unknown>, key: string): Record<string, string> {
  const v = file[key];
  if (v === undefined) return {};
  if (!v || typeof v !== "object" || Object.values(v).some((x) => typeof x !== "string")) {
    throw invalidArgument(`daemon.json: ${key} must be an object of strings`);
  }
  return v as Record<string, string>;
}

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw invalidArgument(`invalid ${flag} ${JSON.stringify(kv)}: expected KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** A boolean flag given as --flag, --flag=true or --flag=false. */
function flagBool(v: string | undefined, flag: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === "" || v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalidArgument(`invalid ${flag} value ${JSON.stringify(v)}: expected true or false`);
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw invalidArgument(`invalid ${flag} ${JSON.stringify(v)}`);
  return n;
}

function parsePool(text: string): AddressPool {
  const kv = keyValues(text.split(","), "--default-address-pool");
  return checkPool({ base: kv.base, size: Number(kv.size) }, text);
}

function filePool(v: unknown): AddressPool {
  const p = v as { base?: unknown; size?: unknown };
  return checkPool({ base: String(p?.base ?? ""), size: Number(p?.size) }, JSON.stringify(v));
}

function checkPool(p: AddressPool, text: string): AddressPool {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(p.base ?? "");
  if (!m || !Number.isInteger(p.size) || p.size < Number(m[2]) || p.size > 30) {
    throw invalidArgument(`invalid default address pool ${text}: expected base=A.B.C.D/N,size=M`);
  }
  return p;
}
