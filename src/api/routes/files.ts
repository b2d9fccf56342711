// /containers/{id}/archive (GET, HEAD, PUT: docker cp), export, changes, top, stats, port.
import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import { containerChanges } from "../archive/changes.ts";
import { statHeader } from "../archive/gostat.ts";
import { exportRootfs, getArchive, putArchive, statPath } from "../archive/mod.ts";
import { eventAttrs } from "../containers/create.ts";
import type { Daemon } from "../daemon.ts";
import { commonHeaders } from "../http/server.ts";
import type { Ctx, Route } from "../http/router.ts";
import { parseWith } from "../http/validate.ts";
import { statsStream, top } from "../stats/mod.ts";

/** Uploads to a container are capped (SECURITY.md class e). */
const MAX_PUT_BYTES = 16 * 2 ** 30;

const Bool = z.enum(["", "0", "1", "true", "false", "True", "False", "TRUE", "FALSE"])
  .transform((v) => ["1", "true", "True", "TRUE"].includes(v));
const archiveQuery = z.object({
  path: z.string().min(1, "path is required").max(4096),
  noOverwriteDirNonDir: Bool.optional(),
  copyUIDGID: Bool.optional(),
});
const statsQuery = z.object({
  stream: Bool.optional(),
  "one-shot": Bool.optional(),
});
const topQuery = z.object({ ps_args: z.string().max(4096).optional() });

const query = <T extends z.ZodType>(ctx: Ctx, schema: T, what: string): z.infer<T> =>
  parseWith(schema, Object.fromEntries(ctx.query), what);

export function fileRoutes(d: Daemon): Route[] {
  const get = (ctx: Ctx) => d.store.get(ctx.params.id);
  const archivePath = (ctx: Ctx) => {
    if (!ctx.query.get("path")) throw invalidArgument("path is required");
    return query(ctx, archiveQuery, "archive").path;
  };
  return [
    {
      method: "HEAD",
      path: "/containers/:id/archive",
      handler: async (ctx) => {
        const c = get(ctx);
        const info = await statPath(d, c, archivePath(ctx), ctx.params.id);
        return {
          status: 200,
          headers: { ...commonHeaders(), ...statHeader(info), "Content-Type": "application/json" },
        };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/archive",
      handler: async (ctx) => {
        const c = get(ctx);
        const { info, stream } = await getArchive(d, c, archivePath(ctx), ctx.params.id);
        d.events.publish("container", "archive-path", c.rec.ID, eventAttrs(c));
        return { stream, contentType: "application/x-tar", headers: statHeader(info) };
      },
    },
    {
      method: "PUT",
      path: "/containers/:id/archive",
      handler: async (ctx) => {
        const c = get(ctx);
        const q = query(ctx, archiveQuery, "archive");
        await putArchive(d, c, archivePath(ctx), ctx.params.id, ctx.stream(MAX_PUT_BYTES), {
          noOverwriteDirNonDir: q.noOverwriteDirNonDir ?? false,
          copyUIDGID: q.copyUIDGID ?? false,
        });
        d.events.publish("container", "extract-to-dir", c.rec.ID, eventAttrs(c));
        return { status: 200, text: "" };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/export",
      handler: async (ctx) => {
        const c = get(ctx);
        const stream = await exportRootfs(d, c);
        d.events.publish("container", "export", c.rec.ID, eventAttrs(c));
        return { stream, contentType: "application/octet-stream" };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/changes",
      handler: async (ctx) => {
        const changes = await containerChanges(d, get(ctx));
        return { status: 200, json: changes.length ? changes : null };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/top",
      handler: async (ctx) => {
        const c = get(ctx);
        const q = query(ctx, topQuery, "top");
        return { status: 200, json: await top(d, c, q.ps_args || "-ef") };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/stats",
      handler: (ctx) => {
        const c = get(ctx);
        const q = query(ctx, statsQuery, "stats");
        return {
          stream: statsStream(
            c,
            { stream: q.stream ?? true, oneShot: q["one-shot"] ?? false },
            ctx.signal,
          ),
        };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/port",
      // No published ports until networks exist (NetworkSettings.Ports is {} too).
      handler: (ctx) => (get(ctx), { status: 200, json: {} }),
    },
  ];
}
