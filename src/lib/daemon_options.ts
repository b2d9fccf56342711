// `engine daemon`'s option table: each option's flag, its daemon.json key, its type and its
// help line. The daemon parses its arguments and daemon.json with it (src/api/config.ts);
// the CLI's completion offers its flags.

/**
 * string, bool and int as themselves; list: a repeatable flag, a JSON array of strings;
 * map: a repeatable KEY=VALUE flag, a JSON object of strings; runtimes: NAME=PATH flags,
 * {"name": {"path": …}} in the file; pools: base=CIDR,size=N flags, [{base, size}] in the file.
 */
export type OptionKind = "string" | "bool" | "int" | "list" | "map" | "runtimes" | "pools";

export interface OptionSpec {
  flag: string;
  short?: string;
  /** The daemon.json key (the flag's name unless given); null: a flag only. */
  key?: string | null;
  kind: OptionKind;
  /** The word after the flag in the usage (string, list, int, …). */
  arg?: string;
  help: string;
}

export const OPTIONS: OptionSpec[] = [
  {
    flag: "add-runtime",
    key: "runtimes",
    kind: "runtimes",
    help: "Register an OCI runtime: NAME=PATH",
  },
  {
    flag: "bip",
    kind: "string",
    help: "Address and prefix of the default bridge (e.g. 172.17.0.1/16)",
  },
  {
    flag: "bridge",
    short: "b",
    kind: "string",
    help: 'Linux bridge of the default network (default "engine0")',
  },
  {
    flag: "config-file",
    key: null,
    kind: "string",
    help: 'Daemon configuration file (default "/etc/engine/daemon.json")',
  },
  {
    flag: "containerd",
    kind: "string",
    help: "containerd's socket (default <exec-root>/containerd/containerd.sock)",
  },
  {
    flag: "data-root",
    kind: "string",
    help: 'Root of persisted state (default "/var/lib/engine")',
  },
  { flag: "debug", short: "D", kind: "bool", help: "Enable debug mode" },
  {
    flag: "default-address-pool",
    key: "default-address-pools",
    kind: "pools",
    help: "Pools for networks' subnets: base=CIDR,size=PREFIX",
  },
  {
    flag: "default-ipc-mode",
    kind: "string",
    help: 'IPC mode of containers that name none: "private" or "shareable" (default "private")',
  },
  {
    flag: "default-runtime",
    kind: "string",
    help: 'Default OCI runtime for containers (default "engine")',
  },
  {
    flag: "default-shm-size",
    kind: "string",
    arg: "bytes",
    help: "Size of /dev/shm of containers that name none (default 64MiB)",
  },
  { flag: "dns", kind: "list", help: "DNS servers for containers" },
  { flag: "dns-opt", key: "dns-opts", kind: "list", help: "DNS options for containers" },
  { flag: "dns-search", kind: "list", help: "DNS search domains for containers" },
  { flag: "exec-root", kind: "string", help: 'Root of runtime state (default "/run/engine")' },
  { flag: "help", short: "h", key: null, kind: "bool", help: "Print usage" },
  {
    flag: "host",
    short: "H",
    key: "hosts",
    kind: "list",
    help:
      "Sockets to listen on: unix://PATH or tcp://ADDR (loopback only without TLS) (default unix:///run/engine/engine.sock)",
  },
  {
    flag: "insecure-registry",
    key: "insecure-registries",
    kind: "list",
    help: "Registry reached over http or with unverified TLS",
  },
  {
    flag: "ip",
    kind: "string",
    help: 'Default host address for published ports (default "0.0.0.0")',
  },
  {
    flag: "ip-masq",
    kind: "bool",
    help: "Masquerade traffic leaving bridge networks (default true)",
  },
  { flag: "iptables", kind: "bool", help: "Manage netfilter rules (default true)" },
  { flag: "label", key: "labels", kind: "list", help: "Labels of the daemon (KEY=VALUE)" },
  { flag: "live-restore", kind: "bool", help: "Keep containers running while the daemon is down" },
  {
    flag: "log-driver",
    kind: "string",
    help: 'Default log driver for containers (default "json-file")',
  },
  {
    flag: "log-format",
    kind: "string",
    help: 'Format of the daemon\'s logs: "text" or "json" (default "text")',
  },
  {
    flag: "log-level",
    short: "l",
    kind: "string",
    help: 'Logging level: "debug", "info", "warn", "error", "fatal" (default "info")',
  },
  {
    flag: "log-opt",
    key: "log-opts",
    kind: "map",
    help:
      "Default log driver options (KEY=VALUE); json-file and local logs are capped at max-size=20m, max-file=5 unless set",
  },
  {
    flag: "max-concurrent-downloads",
    kind: "int",
    help: "Layers pulled at once per pull (default 3)",
  },
  {
    flag: "max-concurrent-uploads",
    kind: "int",
    help: "Layers pushed at once per push (default 5)",
  },
  { flag: "mtu", kind: "int", help: "MTU of container interfaces (default 1500)" },
  {
    flag: "registry-mirror",
    key: "registry-mirrors",
    kind: "list",
    help: "Mirror of docker.io to try first",
  },
  {
    flag: "shutdown-timeout",
    kind: "int",
    help: "Seconds to wait for containers to stop at shutdown (default 15)",
  },
  { flag: "tls", kind: "bool", help: "Serve TLS on tcp listeners (implied by --tlsverify)" },
  { flag: "tlscacert", kind: "string", help: "CA that client certificates must chain to" },
  { flag: "tlscert", kind: "string", help: "Server certificate" },
  { flag: "tlskey", kind: "string", help: "Server key" },
  {
    flag: "tlsverify",
    kind: "bool",
    help: "Serve TLS and require client certificates signed by --tlscacert",
  },
  {
    flag: "userland-proxy",
    kind: "bool",
    help: "Publish ports through a userland proxy (default false)",
  },
  { flag: "validate", key: null, kind: "bool", help: "Validate the daemon configuration and exit" },
];
