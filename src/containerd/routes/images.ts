// The image service's routes (types and the route list in api/images.ts). Pull and push
// answer a stream of NDJSON progress lines ending with a "done" line or an {error} line;
// bad requests fail with a status before the stream starts.

import { Hono } from "hono";
import { errorKind, errorMessage, invalidArgument } from "../../lib/errors.ts";
import {
  commitRequestSchema,
  pullRequestSchema,
  pushRequestSchema,
  tagRequestSchema,
} from "../api/images.ts";
import { findImage, normalizeName } from "../images/names.ts";
import { imageServiceOf } from "../images/service.ts";
import { parsePlatform } from "../registry/mod.ts";
import type { Services } from "../services.ts";
import { jsonBody } from "../validate.ts";

const MAX_NAMES = 1000;

export function imageRoutes(s: Services): Hono {
  const svc = imageServiceOf(s);
  const app = new Hono();

  app.post("/images/pull", async (c) => {
    const req = await jsonBody(c.req.raw, pullRequestSchema, "pull");
    normalizeName(req.ref);
    if (req.platform) parsePlatform(req.platform);
    return ndjson((emit, signal) => svc.pull(req, emit, signal));
  });

  app.post("/images/push", async (c) => {
    const req = await jsonBody(c.req.raw, pushRequestSchema, "push");
    findImage(s, req.ref);
    return ndjson((emit) => svc.push(req, emit));
  });

  app.get("/images", async (c) => c.json(await svc.list()));

  app.get("/images/export", async (c) => {
    const names = c.req.queries("name") ?? [];
    if (!names.length) throw invalidArgument("export: no image name (?name=…)");
    if (names.length > MAX_NAMES) throw invalidArgument(`export: more than ${MAX_NAMES} names`);
    const tar = await svc.export(names);
    return new Response(tar, { headers: { "content-type": "application/x-tar" } });
  });

  app.post("/images/import", async (c) => {
    if (c.req.query("progress") === "1") {
      const tar = body(c.req.raw, "import");
      return ndjson(async (emit) => ({ status: "done", ...(await svc.import(tar, emit)) }));
    }
    return c.json(await svc.import(body(c.req.raw, "import")));
  });

  app.post("/images/import-rootfs", async (c) => {
    const ref = c.req.query("ref") || undefined;
    const message = c.req.query("message") || undefined;
    if (message && message.length > 4096) throw invalidArgument("import: message too long");
    return c.json(await svc.importRootfs(body(c.req.raw, "import"), { ref, message }));
  });

  app.post("/images/commit", async (c) => {
    const req = await jsonBody(c.req.raw, commitRequestSchema, "commit");
    return c.json(await svc.commit(req), 201);
  });

  app.get("/images/:name", async (c) => c.json(await svc.get(c.req.param("name"))));

  app.post("/images/:name/tag", async (c) => {
    const req = await jsonBody(c.req.raw, tagRequestSchema, "tag");
    return c.json(await svc.tag(c.req.param("name"), req.target), 201);
  });

  app.delete("/images/:name", async (c) => c.json(await svc.delete(c.req.param("name"))));

  return app;
}

function body(req: Request, what: string): ReadableStream<Uint8Array> {
  if (!req.body) throw invalidArgument(`${what}: empty request body`);
  return req.body;
}

/**
 * Runs `op` while streaming what it emits as NDJSON, then its result (or {error, kind}).
 * The client going away cancels the stream, which aborts the operation (SECURITY.md e).
 */
function ndjson<T>(
  op: (emit: (line: unknown) => void, signal: AbortSignal) => Promise<T>,
): Response {
  const abort = new AbortController();
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(ctl) {
      const send = (v: unknown) => {
        if (abort.signal.aborted) return;
        try {
          ctl.enqueue(enc.encode(JSON.stringify(v) + "\n"));
        } catch { /* closed */ }
      };
      try {
        send(await op(send, abort.signal));
      } catch (err) {
        send({ error: errorMessage(err), kind: errorKind(err) });
      } finally {
        try {
          ctl.close();
        } catch { /* already closed */ }
      }
    },
    cancel() {
      abort.abort(new Error("client disconnected"));
    },
  });
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
}
