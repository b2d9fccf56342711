// `engine daemon`: dockerd's role. Starts (or finds) containerd, loads the containers,
// restores them, serves the Engine API on its listeners, and shuts down cleanly on
// SIGTERM/SIGINT (stopping containers unless --live-restore).
import { errorMessage } from "../lib/errors.ts";
import { trimMemoryPeriodically } from "../lib/trim_memory.ts";
import { setChildSubreaper } from "../sys/libc.ts";
import { effectiveLogLevel, parseDaemonArgs, USAGE } from "./config.ts";
import { ensureContainerd } from "./containerd_process.ts";
import { Daemon } from "./daemon.ts";
import { ExecStore } from "./exec/store.ts";
import { Router } from "./http/router.ts";
import { createApiServer } from "./http/server.ts";
import { checkHost, listen, type Listener } from "./listen.ts";
import { log, setLogFormat, setLogLevel } from "./log.ts";
import { reloadConfig } from "./reload.ts";
import { restoreContainers, stopAll } from "./restore.ts";
import { serverTlsOptions } from "./tls.ts";
import { ROUTE_MODULES } from "./routes/mod.ts";

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = await parseDaemonArgs(args);
  } catch (e) {
    console.error(`engine daemon: ${errorMessage(e)}`);
    return 125;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const o = parsed.opts;
  setLogLevel(effectiveLogLevel(o));
  setLogFormat(o.logFormat);
  let tls;
  try {
    for (const h of o.hosts) checkHost(h, o.tlsVerify);
    tls = await serverTlsOptions(o);
  } catch (e) {
    console.error(`engine daemon: ${errorMessage(e)}`);
    return 1;
  }
  if (parsed.validate) {
    console.log("configuration OK");
    return 0;
  }
  setChildSubreaper();
  await Deno.mkdir(o.dataRoot, { recursive: true, mode: 0o711 });
  await Deno.mkdir(o.execRoot, { recursive: true, mode: 0o711 });
  let managed;
  try {
    managed = await ensureContainerd(o);
  } catch (e) {
    console.error(`engine daemon: ${errorMessage(e)}`);
    return 1;
  }
  const d = new Daemon(o, managed.client);
  d.execs = new ExecStore();
  await d.store.load();
  await restoreContainers(d);
  const router = new Router();
  for (const m of ROUTE_MODULES) router.add(m(d));
  const listeners: Listener[] = [];
  try {
    for (const h of o.hosts) {
      const server = createApiServer(
        router,
        checkHost(h, o.tlsVerify).kind === "tcp" ? tls : undefined,
      );
      listeners.push(await listen(server, h, o.tlsVerify));
    }
  } catch (e) {
    console.error(`engine daemon: listen: ${errorMessage(e)}`);
    for (const l of listeners) await l.close();
    return 1;
  }
  log("info", "API listen", { addresses: o.hosts.join(",") });
  log("info", "engine daemon serving", { liveRestore: o.liveRestore });
  trimMemoryPeriodically();

  const done = Promise.withResolvers<void>();
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log("info", `processing signal '${sig}'`);
    d.shuttingDown = true;
    for (const t of d.restartTimers.values()) clearTimeout(t);
    for (const stop of [...d.healthStops.values()]) stop();
    if (!o.liveRestore) {
      // dockerd's ShutdownTimeout: shutdown-timeout, or longer when a container's stop
      // timeout (+5 s to kill) asks for it.
      const secs = Math.max(
        o.shutdownTimeout,
        ...d.store.all().map((c) => (c.rec.Config.StopTimeout ?? 10) + 5),
      );
      let timer;
      const stopped = await Promise.race([
        stopAll(d).then(() => true),
        new Promise((r) => (timer = setTimeout(() => r(false), secs * 1000))),
      ]);
      clearTimeout(timer);
      if (!stopped) log("error", "Force shutdown daemon");
    }
    await Promise.race([
      Promise.all(listeners.map((l) => l.close())),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    if (managed.child) {
      try {
        managed.child.kill("SIGTERM");
      } catch { /* gone */ }
      await Promise.race([managed.child.status, new Promise((r) => setTimeout(r, 5000))]);
    }
    managed.client.close();
    log("info", "daemon shut down");
    done.resolve();
  };
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  const config = parsed;
  Deno.addSignalListener("SIGHUP", () => void reloadConfig(d, config));
  await done.promise;
  return 0;
}
