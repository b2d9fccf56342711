// POST /containers/{id}/wait?condition=not-running|next-exit|removed: the 200 headers go
// out at once (the CLI starts the container only after them), the body at the exit.
import type { Daemon } from "../daemon.ts";
import { goJson } from "../http/json.ts";
import type { Container } from "./store.ts";

/** Per container: the wait answers on their way to their clients. */
const answering = new Map<string, Set<Promise<void>>>();

/**
 * Resolves when the waits answered so far for `id` are written (or their clients gone): a
 * failed start of an auto-remove container answers after them, as dockerd's does (`docker
 * run --rm` stops waiting once the start's answer is in).
 */
export async function waitAnswersSent(id: string): Promise<void> {
  await Promise.all([...answering.get(id) ?? []]);
}

/** `asked`: dockerd 20.10 takes next-exit and removed, anything else as not-running. */
export function waitStream(d: Daemon, c: Container, asked: string, signal: AbortSignal) {
  const condition = asked === "next-exit" || asked === "removed" ? asked : "not-running";
  const id = c.rec.ID;
  let sent = () => {};
  const result = new Promise<{ code: number } | null>((resolve) => {
    const now = () => {
      const set = answering.get(id) ?? new Set();
      const p = new Promise<void>((r) => sent = r).then(() => {
        set.delete(p);
        if (!set.size) answering.delete(id);
      });
      answering.set(id, set.add(p));
      resolve({ code: c.rec.State.ExitCode });
    };
    if (
      condition === "not-running" && !c.rec.State.Running &&
      !c.rec.State.Restarting
    ) {
      return now();
    }
    const off = d.onSignal(id, (s) => {
      if (s === "removed" || (s === "exit" && condition !== "removed")) {
        off();
        now();
      }
    });
    signal.addEventListener("abort", () => {
      off();
      resolve(null);
    }, { once: true });
  });
  const enc = new TextEncoder();
  let enqueued = false;
  // Pulled only when read (no read-ahead): the second pull comes once the server has
  // written the answer.
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const r = enqueued ? null : await result;
      if (r) {
        ctl.enqueue(enc.encode(goJson({ Error: null, StatusCode: r.code })));
        enqueued = true;
        return;
      }
      ctl.close();
      sent();
    },
    cancel() {
      sent();
    },
  }, { highWaterMark: 0 });
}
