// `engine daemon`'s flags and daemon.json, merged into DaemonOptions (flags win).
import { parseArgs } from "node:util";
import { invalidArgument } from "../lib/errors.ts";
import type { DaemonOptions } from "./daemon.ts";

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
      --config-file string      Daemon configuration file (default "/etc/engine/daemon.json")
  -l, --log-level string        debug, info, warn, error (default "info")
  -h, --help                    Print usage
`;

export interface ParsedArgs {
  help: boolean;
  opts: DaemonOptions;
}

export async function parseDaemonArgs(args: string[]): Promise<ParsedArgs> {
  const { values } = parseArgs({
    args,
    options: {
      "data-root": { type: "string" },
      "exec-root": { type: "string" },
      host: { type: "string", short: "H", multiple: true },
      containerd: { type: "string" },
      "add-runtime": { type: "string", multiple: true },
      "default-runtime": { type: "string" },
      "live-restore": { type: "boolean" },
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
    },
  };
}
