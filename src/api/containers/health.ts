// Healthchecks (HEALTHCHECK or --health-*): the daemon runs the test as an exec every
// interval; State.Health keeps the status, failing streak and the last five results;
// a status change publishes "health_status: <status>".
import type { Daemon } from "../daemon.ts";
import { runExec } from "../exec/run.ts";
import { log } from "../log.ts";
import { eventAttrs } from "./create.ts";
import type { Container } from "./store.ts";
import type { HealthLog } from "./types.ts";

const NS = 1_000_000;
const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_RETRIES = 3;
const MAX_OUTPUT = 4096;

function testArgs(test: string[]): string[] | undefined {
  if (!test.length || test[0] === "NONE") return undefined;
  if (test[0] === "CMD") return test.slice(1);
  if (test[0] === "CMD-SHELL") return ["/bin/sh", "-c", test.slice(1).join(" ")];
  return test;
}

export function startHealthcheck(d: Daemon, c: Container): void {
  const hc = c.rec.Config.Healthcheck;
  const args = testArgs(hc?.Test ?? []);
  if (!hc || !args?.length) return;
  const id = c.rec.ID;
  d.healthStops.get(id)?.();
  const interval = hc.Interval ? hc.Interval / NS : DEFAULT_INTERVAL;
  const timeout = hc.Timeout ? hc.Timeout / NS : DEFAULT_TIMEOUT;
  const retries = hc.Retries || DEFAULT_RETRIES;
  const startPeriod = (hc.StartPeriod ?? 0) / NS;
  const startedAt = Date.now();
  c.rec.State.Health = { Status: "starting", FailingStreak: 0, Log: [] };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    // dockerd's CloseMonitorChannel: a stopped monitor leaves the status unhealthy.
    if (!stopped && c.rec.State.Health) c.rec.State.Health.Status = "unhealthy";
    stopped = true;
    clearTimeout(timer);
    if (d.healthStops.get(id) === stop) d.healthStops.delete(id);
  };
  d.healthStops.set(id, stop);
  const probe = async () => {
    if (stopped || !c.rec.State.Running) return;
    const start = new Date().toISOString();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const ex = {
      ID: crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", ""),
      ContainerID: id,
      Config: {
        User: "",
        Privileged: false,
        Tty: false,
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Detach: false,
        DetachKeys: "",
        Env: [],
        WorkingDir: "",
        Cmd: args,
      },
      Running: false,
      ExitCode: null,
      Pid: 0,
      Started: false,
      created: Date.now(),
    };
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), timeout);
    let code = await Promise.race([
      runExec(d, c, ex, {
        signal: ac.signal,
        write: (f) => {
          // Frames: keep their payloads only.
          if (size < MAX_OUTPUT) chunks.push(f.length > 8 ? f.subarray(8) : f);
          size += f.length;
          return Promise.resolve();
        },
      }),
      new Promise<number>((r) => ac.signal.addEventListener("abort", () => r(-1))),
    ]);
    clearTimeout(t);
    if (code === -1) {
      await d.containerd.tasks.kill(id, 9, { exec: ex.ID }).catch(() => {});
      code = -1;
    }
    if (stopped || !c.rec.State.Health) return;
    const h = c.rec.State.Health;
    const out = new TextDecoder().decode(new Uint8Array(chunks.flatMap((x) => [...x]))).slice(
      0,
      MAX_OUTPUT,
    );
    const entry: HealthLog = {
      Start: start,
      End: new Date().toISOString(),
      ExitCode: code,
      Output: code === -1 ? `Health check exceeded timeout (${timeout / 1000}s)` : out,
    };
    h.Log = [...h.Log, entry].slice(-5);
    const before = h.Status;
    if (code === 0) {
      h.Status = "healthy";
      h.FailingStreak = 0;
    } else if (Date.now() - startedAt >= startPeriod || h.Status !== "starting") {
      h.FailingStreak++;
      if (h.FailingStreak >= retries) h.Status = "unhealthy";
    }
    if (h.Status !== before) {
      d.events.publish("container", `health_status: ${h.Status}`, id, eventAttrs(c));
    }
    d.store.save(c).catch(() => {});
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      probe().catch((e) => log("warn", `healthcheck ${id}: ${(e as Error).message}`)).finally(loop);
    }, interval);
  };
  loop();
}
