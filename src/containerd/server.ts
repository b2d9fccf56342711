// containerd's API: JSON over HTTP on a unix socket, one route module per service.
import { Hono } from "hono";
import { errorResponse } from "./errors_http.ts";
import { eventRoutes } from "./routes/events.ts";
import type { Services } from "./services.ts";
import { ENGINE_VERSION } from "../lib/version.ts";

/** A service's routes, mounted under /v1. */
export type RouteModule = (s: Services) => Hono;

export function buildApp(s: Services, modules: RouteModule[]): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => c.json({ message: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));
  app.get("/v1/version", (c) => c.json({ version: ENGINE_VERSION, revision: "" }));
  app.route("/v1", eventRoutes(s));
  for (const m of modules) app.route("/v1", m(s));
  return app;
}
