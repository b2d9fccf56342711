// GET /v1/events?since=N: newline-delimited JSON events, stored ones then live ones.
import { Hono } from "hono";
import type { Services } from "../services.ts";
import { invalidArgument } from "../../lib/errors.ts";

export function eventRoutes(s: Services): Hono {
  const app = new Hono();
  app.get("/events", (c) => {
    const raw = c.req.query("since") ?? String(s.events.last());
    if (!/^\d+$/.test(raw)) throw invalidArgument(`events: since must be a sequence number`);
    const since = Number(raw);
    const abort = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => abort.abort());
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(ctl) {
        try {
          for await (const e of s.events.subscribe(since, abort.signal)) {
            ctl.enqueue(enc.encode(JSON.stringify(e) + "\n"));
          }
        } catch { /* client gone */ }
        try {
          ctl.close();
        } catch { /* already closed */ }
      },
      cancel() {
        abort.abort();
      },
    });
    return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
  });
  app.get("/events/last", (c) => c.json({ seq: s.events.last() }));
  return app;
}
