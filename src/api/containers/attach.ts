// POST /containers/{id}/attach (hijacked): past logs (logs=1), then live output from the
// shim (frames without a tty, raw with one), stdin forwarded raw; a container that is not
// running yet is attached the moment its task is created, before it starts, so no output
// is lost. ctrl-p ctrl-q (or ?detachKeys) detaches a tty client.
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import type { Hijacked } from "../http/router.ts";
import { eventAttrs } from "./create.ts";
import { logStream } from "./logs.ts";
import type { Container } from "./store.ts";

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  detachKeys?: string;
}

/** "ctrl-p,ctrl-q" → [0x10, 0x11]. */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(",").map((k) => {
    const m = /^ctrl-([a-z@\[\\\]^_])$/i.exec(k.trim());
    if (m) {
      const ch = m[1].toLowerCase();
      return ch === "@" ? 0 : ch.charCodeAt(0) - (ch >= "a" ? 96 : 64);
    }
    if (k.length === 1) return k.charCodeAt(0);
    throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  });
}

/** Passes input through until the detach sequence, then calls onDetach and ends. */
function detachFilter(input: ReadableStream<Uint8Array>, keys: number[], onDetach: () => void) {
  let matched = 0;
  return input.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        const out: number[] = [];
        for (const b of chunk) {
          if (b === keys[matched]) {
            matched++;
            if (matched === keys.length) {
              onDetach();
              ctl.terminate();
              return;
            }
            continue;
          }
          if (matched) out.push(...keys.slice(0, matched));
          matched = 0;
          out.push(b);
        }
        if (out.length) ctl.enqueue(new Uint8Array(out));
      },
    }),
  );
}

export function attach(d: Daemon, c: Container, o: AttachOptions) {
  const keys = c.rec.Config.Tty ? parseDetachKeys(o.detachKeys || "ctrl-p,ctrl-q") : [];
  return async (conn: Hijacked) => {
    const id = c.rec.ID;
    const ac = new AbortController();
    conn.closed.addEventListener("abort", () => ac.abort(), { once: true });
    if (o.logs) {
      const past = logStream(d, c, {
        stdout: o.stdout,
        stderr: o.stderr,
        timestamps: false,
        follow: false,
      }, ac.signal);
      for await (const chunk of past) await conn.write(chunk);
    }
    if (!o.stream) return;
    d.events.publish("container", "attach", id, eventAttrs(c));
    let detached = false;
    const connect = async () => {
      const out = (o.stdout || o.stderr)
        ? await d.containerd.tasks.attach(
          id,
          { stdout: o.stdout, stderr: o.stderr },
          undefined,
          ac.signal,
        )
        : undefined;
      if (o.stdin && c.rec.Config.OpenStdin) {
        let input = conn.input;
        if (keys.length) {
          input = detachFilter(input, keys, () => {
            detached = true;
            ac.abort();
          });
        }
        d.containerd.tasks.stdin(id, input, c.rec.Config.StdinOnce).catch(() => {});
      }
      return out;
    };
    let out: ReadableStream<Uint8Array> | undefined;
    if (c.rec.State.Running) out = await connect();
    else {
      // Attached before start: connect once the task exists, before it runs.
      out = await new Promise<ReadableStream<Uint8Array> | undefined>((resolve, reject) => {
        const offHook = d.onTaskCreated(id, async () => {
          offSignal();
          try {
            resolve(await connect());
          } catch (e) {
            reject(e);
          }
        });
        const offSignal = d.onSignal(id, (s) => {
          if (s === "removed") {
            offHook();
            offSignal();
            resolve(undefined);
          }
        });
        ac.signal.addEventListener("abort", () => {
          offHook();
          offSignal();
          resolve(undefined);
        }, { once: true });
      });
    }
    if (out) {
      try {
        for await (const chunk of out) {
          if (ac.signal.aborted) break;
          await conn.write(chunk);
        }
      } catch {
        /* client gone or detached */
      }
    } else if (!ac.signal.aborted && c.rec.State.Running) {
      // Only stdin: wait for the exit.
      await new Promise<void>((r) => {
        const off = d.onSignal(id, (s) => {
          if (s !== "start") {
            off();
            r();
          }
        });
        ac.signal.addEventListener("abort", () => r(), { once: true });
      });
    }
    if (detached) d.events.publish("container", "detach", id, eventAttrs(c));
    ac.abort();
  };
}
