// The containerd the daemon talks to: the one answering on the socket, or `engine
// containerd` started detached (dockerd's managed containerd), waited for until it answers.
import { ContainerdClient } from "../containerd/client/mod.ts";
import { unavailable } from "../lib/errors.ts";
import { selfPath } from "../lib/self.ts";
import { effectiveLogLevel } from "./config.ts";
import type { DaemonOptions } from "./daemon.ts";
import { log } from "./log.ts";

const START_TIMEOUT_MS = 20_000;

export interface Managed {
  client: ContainerdClient;
  /** The process we started (undefined when one was already running). */
  child?: Deno.ChildProcess;
}

export async function ensureContainerd(o: DaemonOptions): Promise<Managed> {
  const client = new ContainerdClient(o.containerdSocket);
  if (await client.ping()) {
    log("info", "using the running containerd", { address: o.containerdSocket });
    return { client };
  }
  const args = [
    "containerd",
    "--root",
    `${o.dataRoot}/containerd`,
    "--state",
    `${o.execRoot}/containerd`,
    "--address",
    o.containerdSocket,
  ];
  for (const [n, p] of Object.entries(o.runtimes)) args.push("--runtime", `${n}=${p}`);
  args.push("--log-level", effectiveLogLevel(o), "--log-format", o.logFormat);
  const child = new Deno.Command(selfPath(), {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
    detached: true,
  }).spawn();
  log("info", "started containerd", { pid: child.pid, address: o.containerdSocket });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.status.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    if (await client.ping()) return { client, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  throw unavailable(`containerd did not answer on ${o.containerdSocket}`);
}
