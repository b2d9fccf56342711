// /volumes/*: create, list, inspect, remove, prune (the local driver; src/api/volumes/).
import type { Daemon } from "../daemon.ts";
import { jsonBody, type Route } from "../http/router.ts";
import { boolQuery } from "../http/validate.ts";
import {
  createVolume,
  inspectVolume,
  listVolumes,
  pruneVolumes,
  removeVolume,
  volumeCreateSchema,
} from "../volumes/service.ts";

export function volumeRoutes(d: Daemon): Route[] {
  return [
    {
      method: "POST",
      path: "/volumes/create",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, volumeCreateSchema.nullable(), "create volume");
        return { status: 201, json: await createVolume(d, volumeCreateSchema.parse(body ?? {})) };
      },
    },
    {
      method: "GET",
      path: "/volumes",
      handler: async (ctx) => ({
        status: 200,
        json: await listVolumes(d, ctx.query.get("filters")),
      }),
    },
    {
      method: "POST",
      path: "/volumes/prune",
      handler: async (ctx) => ({
        status: 200,
        json: await pruneVolumes(d, ctx.query.get("filters")),
      }),
    },
    {
      method: "GET",
      path: "/volumes/:name",
      handler: async (ctx) => ({ status: 200, json: await inspectVolume(d, ctx.params.name) }),
    },
    {
      method: "DELETE",
      path: "/volumes/:name",
      handler: async (ctx) => {
        await removeVolume(d, ctx.params.name, boolQuery(ctx.query, "force"));
        return { status: 204 };
      },
    },
  ];
}
