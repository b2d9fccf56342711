// GET /v1/events?since=N[&follow=0]: newline-delimited JSON events, stored ones then live
// ones (or only the stored ones with follow=0).
import { Hono } from "hono";
import type { Services } from "../services.ts";
import { invalidArgument } from "../../lib/errors.ts";

export function eventRoutes(s: Services): Hono {
  const app = new Hono();
  app.get("/events", (c) => {
    const raw = c.req.query("since") ?? String(s.events.last());
    if (!/^\d+$/.test(raw)) throw invalidArgument(`events: since must be a sequence number`);
    const since = Number(raw);
    if (c.req.query("follow") === "0") {
      const lines = s.events.after(since).map((e) => JSON.stringify(e) + "\n").join("");
      return c.body(lines, 200, { "content-type": "application/x-ndjson" });
    }
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
