// SIGHUP: re-read daemon.json and apply what dockerd reloads (moby daemon/reload.go), in
// place on d.opts so that every reader sees the new values. The file goes through the
// same checks as at start (conflicts with the flags, unknown keys, types, values); an
// invalid file changes nothing. Reloaded options take the values a restart with the same
// flags would give them.
import { errorMessage } from "../lib/errors.ts";
import {
  buildOptions,
  checkFile,
  type DaemonConfig,
  effectiveLogLevel,
  mergeValues,
  optionsAsFile,
  readConfigFile,
} from "./config.ts";
import type { Daemon, DaemonOptions } from "./daemon.ts";
import { log, setLogLevel } from "./log.ts";
import { daemonId } from "./routes/info.ts";

/** What a reload changes, by daemon.json key. */
const RELOADED = [
  "debug",
  "log-level",
  "labels",
  "live-restore",
  "max-concurrent-downloads",
  "max-concurrent-uploads",
  "registry-mirrors",
  "insecure-registries",
  "default-runtime",
  "shutdown-timeout",
] as const;

function apply(o: DaemonOptions, next: DaemonOptions): void {
  o.debug = next.debug;
  o.logLevel = next.logLevel;
  o.labels = next.labels;
  o.liveRestore = next.liveRestore;
  o.maxConcurrentDownloads = next.maxConcurrentDownloads;
  o.maxConcurrentUploads = next.maxConcurrentUploads;
  o.registryMirrors = next.registryMirrors;
  o.insecureRegistries = next.insecureRegistries;
  o.defaultRuntime = next.defaultRuntime;
  o.shutdownTimeout = next.shutdownTimeout;
}

/** Reloads the configuration file; returns false (and logs why) when it is invalid. */
export async function reloadConfig(d: Daemon, cfg: DaemonConfig): Promise<boolean> {
  let next: DaemonOptions;
  try {
    const file = await readConfigFile(cfg.configFile, cfg.configFileGiven);
    next = buildOptions(mergeValues(cfg.flags, checkFile(file, cfg.flags, cfg.configFile)));
    // Runtimes are containerd's to run: a new set needs containerd restarted.
    const known = ["engine", "runc", "crun", ...Object.keys(d.opts.runtimes)];
    if (!known.includes(next.defaultRuntime)) {
      throw new Error(
        `default runtime '${next.defaultRuntime}' is not one of the runtimes this daemon ` +
          `started with (${known.join(", ")}): restart the daemon to add runtimes`,
      );
    }
  } catch (e) {
    log("error", `Error reconfiguring the daemon: ${errorMessage(e)}`);
    return false;
  }
  const before = optionsAsFile(d.opts);
  const after = optionsAsFile(next);
  const kept = Object.keys(after).filter((k) =>
    !(RELOADED as readonly string[]).includes(k) &&
    JSON.stringify(before[k]) !== JSON.stringify(after[k])
  );
  if (kept.length) {
    log("warn", `not reloadable, applied at the next start: ${kept.join(", ")}`);
  }
  apply(d.opts, next);
  setLogLevel(effectiveLogLevel(d.opts));
  const now = optionsAsFile(d.opts);
  log("info", `Reloaded configuration: ${JSON.stringify(now)}`);
  const attributes: Record<string, string> = {};
  for (const k of RELOADED) {
    const v = now[k];
    attributes[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  attributes.name = Deno.hostname();
  d.events.publish("daemon", "reload", await daemonId(d), attributes);
  return true;
}
