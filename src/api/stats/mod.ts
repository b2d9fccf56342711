// GET /containers/{id}/stats: one frame (stream=0; two samples a second apart unless
// one-shot, so that precpu_stats is filled as Docker's is) or a frame each second until
// the client goes or the container stops. GET /containers/{id}/top: host `ps` filtered by
// the container's pids, parsed as moby's parsePSOutput does.
import { conflict, internal, invalidArgument } from "../../lib/errors.ts";
import type { Container } from "../containers/store.ts";
import type { Daemon } from "../daemon.ts";
import { EMPTY_CPU, type Sample, sample } from "./cgroup.ts";
import { type InterfaceStats, networkStats } from "./net.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

function frame(
  c: Container,
  cur: Sample | null,
  prev: Sample | null,
  networks?: Record<string, InterfaceStats>,
) {
  const now = cur ?? {
    read: ZERO_TIME,
    pids_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: EMPTY_CPU,
    memory_stats: {},
  };
  return {
    read: now.read,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: now.pids_stats,
    blkio_stats: now.blkio_stats,
    num_procs: now.num_procs,
    storage_stats: now.storage_stats,
    cpu_stats: now.cpu_stats,
    precpu_stats: prev?.cpu_stats ?? EMPTY_CPU,
    memory_stats: now.memory_stats,
    name: c.rec.Name,
    id: c.rec.ID,
    ...(networks ? { networks } : {}),
  };
}

const enc = new TextEncoder();
const line = (v: unknown) => enc.encode(JSON.stringify(v) + "\n");

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export function statsStream(
  c: Container,
  opts: { stream: boolean; oneShot: boolean },
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const running = () => c.rec.State.Running;
  let prev: Sample | null = null;
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (signal.aborted) return ctl.close();
      if (!running()) {
        if (first || opts.stream) ctl.enqueue(line(frame(c, null, null)));
        return ctl.close();
      }
      if (!opts.stream) {
        let cur = await sample(c.rec.ID, c.host.CgroupParent);
        if (!opts.oneShot) {
          await sleep(1000, signal);
          prev = cur;
          cur = await sample(c.rec.ID, c.host.CgroupParent);
        }
        ctl.enqueue(line(frame(c, cur, opts.oneShot ? null : prev, await networkStats(c))));
        return ctl.close();
      }
      if (!first) await sleep(1000, signal);
      first = false;
      if (signal.aborted) return ctl.close();
      const cur = await sample(c.rec.ID, c.host.CgroupParent);
      ctl.enqueue(line(frame(c, cur, prev, await networkStats(c))));
      prev = cur;
    },
  });
}

export async function top(d: Daemon, c: Container, psArgs: string) {
  if (!c.rec.State.Running) throw conflict(`Container ${c.rec.ID} is not running`);
  if (c.rec.State.Restarting) {
    throw conflict(`Container ${c.rec.ID} is restarting, wait until the container is running`);
  }
  const args = psArgs.split(" ").filter((a) => a !== "");
  if (args.some((a) => a.length > 4096) || args.length > 64) {
    throw invalidArgument("ps_args too long");
  }
  const pids = new Set(await d.containerd.tasks.pids(c.rec.ID));
  const ps = (a: string[]) =>
    new Deno.Command("ps", { args: a, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  // dockerd asks ps for the container's pids (-q): without a selection, ps lists only the
  // daemon's session, not a TTY container's processes. Some options refuse -q: again without.
  let out = await ps([...args, "-q", [...pids].join(",")]);
  if (!out.success) out = await ps(args);
  const dec = new TextDecoder();
  if (!out.success) {
    throw internal(`ps: exit status ${out.code}: ${dec.decode(out.stderr).trim()}`);
  }
  const lines = dec.decode(out.stdout).split("\n");
  const Titles = lines[0].trim().split(/\s+/);
  const pidIndex = Titles.indexOf("PID");
  if (pidIndex < 0) throw internal("Couldn't find PID field in ps output");
  const Processes: string[][] = [];
  let lastWasOurs = false;
  for (const l of lines.slice(1)) {
    if (!l) continue;
    const fields = l.trim().split(/\s+/);
    const f = fields[pidIndex];
    const p = /^\d+$/.test(f ?? "") ? Number(f) : NaN;
    const ours = Number.isNaN(p) ? f === "-" && lastWasOurs : pids.has(p);
    if (!Number.isNaN(p)) lastWasOurs = pids.has(p);
    if (!ours) continue;
    const row = fields.slice(0, Titles.length - 1);
    row.push(fields.slice(Titles.length - 1).join(" "));
    Processes.push(row);
  }
  return { Titles, Processes };
}
