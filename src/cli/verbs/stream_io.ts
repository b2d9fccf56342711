// The terminal side of attach/exec/run: output (demultiplexed unless TTY) to stdout/stderr,
// stdin raw to the connection (half-closed at EOF), raw mode with -t, ctrl-p ctrl-q detach,
// resize on start and SIGWINCH.

import type { Hijacked } from "../hijack.ts";
import { demultiplex, STDERR } from "../stdcopy.ts";
import type { EngineClient } from "../client.ts";

export const DEFAULT_DETACH_KEYS = [0x10, 0x11]; // ctrl-p, ctrl-q

/** docker's detach key syntax: "ctrl-p,ctrl-q", "a,b". */
export function parseDetachKeys(spec: string): number[] {
  if (spec === "") return DEFAULT_DETACH_KEYS;
  return spec.split(",").map((k) => {
    const m = /^ctrl-(.)$/.exec(k);
    if (m) {
      const ch = m[1];
      if (ch === "@") return 0;
      if (/[a-z]/.test(ch)) return ch.charCodeAt(0) - 96;
      const i = "[\\]^_".indexOf(ch);
      if (i >= 0) return 27 + i;
      throw new Error(`Unknown character: '${k}'`);
    }
    if (k.length === 1) return k.charCodeAt(0);
    throw new Error(`Unknown character: '${k}'`);
  });
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  detachKeys?: number[];
  /** Called once output is flowing (resize after start, as docker does). */
  resize?: () => Promise<void>;
}

/**
 * Raw mode as Go's term.MakeRaw (docker's CLI): Deno's setRaw leaves output processing on,
 * so the container's "\r\n" became "\r\r\n" and a bare "\n" moved to column 0 — stty
 * turns OPOST off (on) on the same terminal.
 */
async function setRawTerminal(on: boolean): Promise<void> {
  Deno.stdin.setRaw(on);
  await new Deno.Command("stty", { args: [on ? "-opost" : "opost"], stdin: "inherit" })
    .output().catch(() => {});
}

/** Pump a hijacked stream; resolves true if the user detached. */
export async function pumpStreams(conn: Hijacked, opts: StreamOptions): Promise<boolean> {
  let detached = false;
  const raw = opts.tty && opts.stdin && Deno.stdin.isTerminal();
  if (raw) await setRawTerminal(true);
  const output = (async () => {
    if (opts.tty) {
      for await (const chunk of conn.readable) await writeAll(Deno.stdout, chunk);
    } else {
      for await (const frame of demultiplex(conn.readable)) {
        await writeAll(frame.stream === STDERR ? Deno.stderr : Deno.stdout, frame.data);
      }
    }
  })();
  let stdinDone: Promise<void> = Promise.resolve();
  if (opts.stdin) {
    const keys = opts.detachKeys ?? DEFAULT_DETACH_KEYS;
    stdinDone = (async () => {
      let matched = 0;
      try {
        for await (const chunk of Deno.stdin.readable) {
          if (opts.tty) {
            for (const b of chunk) {
              matched = b === keys[matched] ? matched + 1 : b === keys[0] ? 1 : 0;
              if (matched === keys.length) {
                detached = true;
                conn.close();
                return;
              }
            }
          }
          await conn.write(chunk);
        }
        await conn.closeWrite();
      } catch { /* connection closed under us */ }
    })();
  } else {
    await conn.closeWrite().catch(() => {});
  }
  await opts.resize?.().catch(() => {});
  try {
    await Promise.race([output, stdinDone.then(() => detached ? undefined : output)]);
  } catch (e) {
    if (!detached) throw e;
  } finally {
    if (raw) await setRawTerminal(false);
  }
  if (detached) return true;
  conn.close();
  return false;
}

/** Initial size + SIGWINCH: POST <path>/resize?h=&w= (and kill?signal=WINCH for run -t). */
export function watchResize(
  client: EngineClient,
  path: string,
): { initial: () => Promise<void>; stop: () => void } {
  const send = async () => {
    try {
      const { rows, columns } = Deno.consoleSize();
      await client.json("POST", `${path}/resize`, { query: { h: rows, w: columns } });
    } catch { /* not a terminal, or the process is gone */ }
  };
  const handler = () => void send();
  try {
    Deno.addSignalListener("SIGWINCH", handler);
  } catch { /* no signals */ }
  return {
    initial: send,
    stop: () => {
      try {
        Deno.removeSignalListener("SIGWINCH", handler);
      } catch { /* ignore */ }
    },
  };
}
