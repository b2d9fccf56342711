// GET /containers/{id}/logs: the json-file log the shim writes (<id>-json.log and its
// rotated .1 … .N), filtered by stream/since/until/tail, framed as Docker's multiplexed
// stream (raw with a tty), optionally with timestamps, and followed until the container
// stops or the client goes away.
import type { Daemon } from "../daemon.ts";
import type { Container } from "./store.ts";

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds (fractional). */
  since?: number;
  until?: number;
  timestamps: boolean;
  /** Last N lines; undefined: all. */
  tail?: number;
  follow: boolean;
  /** The entry's attributes (log-opt labels/env) before each line, then a space. */
  details?: boolean;
}

interface Entry {
  log: string;
  stream: string;
  time: string;
  attrs?: Record<string, string>;
}

const enc = new TextEncoder();
const POLL_MS = 100;
const MAX_LINE = 1 << 20;

async function* fileLines(path: string, from = 0): AsyncGenerator<{ line: string; end: number }> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true });
  } catch {
    return;
  }
  try {
    await f.seek(from, Deno.SeekMode.Start);
    const dec = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let pending = "";
    let consumed = from;
    for (;;) {
      const n = await f.read(buf);
      if (n === null) break;
      pending += dec.decode(buf.subarray(0, n), { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        consumed += enc.encode(line).length + 1;
        yield { line, end: consumed };
      }
      if (pending.length > MAX_LINE) pending = "";
    }
  } finally {
    f.close();
  }
}

function parse(line: string): Entry | undefined {
  try {
    const e = JSON.parse(line);
    return typeof e?.log === "string" ? e : undefined;
  } catch {
    return undefined;
  }
}

/** dockerd's RFC3339NanoFixed: always nine fraction digits ("…05.250000000Z"). */
function fixedNanos(time: string): string {
  return time.replace(
    /(T\d\d:\d\d:\d\d)(?:\.(\d+))?/,
    (_, hms, frac = "") => `${hms}.${frac.padEnd(9, "0").slice(0, 9)}`,
  );
}

/** dockerd's attrsByteSlice: k=v by key, values query-escaped, joined by commas. */
function attrsText(attrs: Record<string, string> = {}): string {
  return Object.keys(attrs).sort().map((k) =>
    `${k}=${new URLSearchParams({ v: attrs[k] }).toString().slice(2)}`
  ).join(",");
}

function render(e: Entry, tty: boolean, o: LogOptions): Uint8Array | undefined {
  if (e.stream === "stdout" ? !o.stdout : !o.stderr) return undefined;
  const t = Date.parse(e.time) / 1000;
  if (o.since !== undefined && t < o.since) return undefined;
  if (o.until !== undefined && t > o.until) return undefined;
  const details = o.details ? `${attrsText(e.attrs)} ` : "";
  const payload = enc.encode((o.timestamps ? `${fixedNanos(e.time)} ` : "") + details + e.log);
  if (tty) return payload;
  const f = new Uint8Array(8 + payload.length);
  f[0] = e.stream === "stderr" ? 2 : 1;
  new DataView(f.buffer).setUint32(4, payload.length);
  f.set(payload, 8);
  return f;
}

async function rotated(path: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 1; i < 100; i++) {
    try {
      await Deno.stat(`${path}.${i}`);
      out.unshift(`${path}.${i}`);
    } catch {
      break;
    }
  }
  return out;
}

export function logStream(d: Daemon, c: Container, o: LogOptions, signal: AbortSignal) {
  const path = c.rec.LogPath;
  const tty = c.rec.Config.Tty;
  async function* gen(): AsyncGenerator<Uint8Array> {
    if (!path) return;
    const files = [...await rotated(path), path];
    if (o.tail !== undefined) {
      const ring: Uint8Array[] = [];
      for (const file of files) {
        for await (const { line } of fileLines(file)) {
          const e = parse(line);
          const b = e && render(e, tty, o);
          if (!b) continue;
          ring.push(b);
          if (ring.length > o.tail) ring.shift();
        }
      }
      if (o.tail > 0) yield* ring;
    } else {
      for (const file of files.slice(0, -1)) {
        for await (const { line } of fileLines(file)) {
          const e = parse(line);
          const b = e && render(e, tty, o);
          if (b) yield b;
        }
      }
    }
    // The live file, from where its current content ends (after the tail) or its start.
    let offset = 0;
    let ino = (await Deno.stat(path).catch(() => undefined))?.ino;
    for await (const { line, end } of fileLines(path)) {
      offset = end;
      if (o.tail !== undefined) continue;
      const e = parse(line);
      const b = e && render(e, tty, o);
      if (b) yield b;
    }
    if (!o.follow) return;
    let stopping = false;
    const off = d.onSignal(c.rec.ID, (s) => {
      if (s === "exit" || s === "removed") stopping = true;
    });
    try {
      if (!c.rec.State.Running) stopping = true;
      for (;;) {
        if (signal.aborted) return;
        const st = await Deno.stat(path).catch(() => undefined);
        if (st && (st.ino !== ino || st.size < offset)) {
          ino = st.ino;
          offset = 0;
        }
        let got = false;
        if (st && st.size > offset) {
          for await (const { line, end } of fileLines(path, offset)) {
            offset = end;
            got = true;
            const e = parse(line);
            const b = e && render(e, tty, o);
            if (b) yield b;
          }
        }
        if (o.until !== undefined && Date.now() / 1000 > o.until) return;
        if (stopping && !got) {
          // One last look: the shim may still be flushing.
          await new Promise((r) => setTimeout(r, POLL_MS));
          const st2 = await Deno.stat(path).catch(() => undefined);
          if (!st2 || st2.size <= offset) return;
          continue;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      off();
    }
  }
  const it = gen();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const { value, done } = await it.next();
      if (done) ctl.close();
      else ctl.enqueue(value);
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
