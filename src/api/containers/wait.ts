// POST /containers/{id}/wait?condition=not-running|next-exit|removed: the 200 headers go
// out at once (the CLI starts the container only after them), the body at the exit.
import type { Daemon } from "../daemon.ts";
import { goJson } from "../http/json.ts";
import type { Container } from "./store.ts";

/** `asked`: dockerd 20.10 takes next-exit and removed, anything else as not-running. */
export function waitStream(d: Daemon, c: Container, asked: string, signal: AbortSignal) {
  const condition = asked === "next-exit" || asked === "removed" ? asked : "not-running";
  const id = c.rec.ID;
  const result = new Promise<{ code: number } | null>((resolve) => {
    const now = () => resolve({ code: c.rec.State.ExitCode });
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
  return new ReadableStream<Uint8Array>({
    async start(ctl) {
      const r = await result;
      if (r) ctl.enqueue(enc.encode(goJson({ Error: null, StatusCode: r.code })));
      ctl.close();
    },
  });
}
