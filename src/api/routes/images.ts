// The Engine API's image routes: pull/import, list, inspect, history, tag, remove, push,
// save, load, prune, auth (login) and commit. Each parses its query/body (zod for JSON) and
// calls one function of src/api/images/.

import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { jsonBody, type Route } from "../http/router.ts";
import { boolQuery } from "../http/validate.ts";
import { loadImages, saveImages } from "../images/archive.ts";
import { authConfigSchema } from "../images/auth.ts";
import { commitContainer } from "../images/commit.ts";
import { createImage } from "../images/create.ts";
import { imageHistory, inspectImage } from "../images/inspect.ts";
import { listImages } from "../images/list.ts";
import { login, LoginError } from "../images/login.ts";
import { pushImage } from "../images/push.ts";
import { loginOptions } from "../images/registry.ts";
import { deleteImage, pruneImages, tagImage } from "../images/remove.ts";

/** Image names hold up to this many "/"-separated components in a route's path. */
const MAX_COMPONENTS = 8;

/**
 * One route per component count for a path with `{name}` (an image name across slashes):
 * the handler sees ctx.params.name joined again.
 */
function named(method: string, path: string, handler: Route["handler"]): Route[] {
  const out: Route[] = [];
  for (let n = 1; n <= MAX_COMPONENTS; n++) {
    const keys = Array.from({ length: n }, (_, i) => `n${i}`);
    out.push({
      method,
      path: path.replace("{name}", keys.map((k) => `:${k}`).join("/")),
      handler: (ctx) => {
        const name = keys.map((k) => ctx.params[k]).join("/");
        return handler({ ...ctx, params: { ...ctx.params, name } });
      },
    });
  }
  return out;
}

export function imageRoutes(d: Daemon): Route[] {
  return [
    { method: "POST", path: "/images/create", handler: (ctx) => createImage(d, ctx) },
    {
      method: "GET",
      path: "/images/json",
      handler: async (ctx) => ({ status: 200, json: await listImages(d, ctx.query, ctx.version) }),
    },
    {
      method: "GET",
      path: "/images/get",
      handler: (ctx) => saveImages(d, ctx, ctx.query.getAll("names")),
    },
    { method: "POST", path: "/images/load", handler: (ctx) => loadImages(d, ctx) },
    {
      method: "POST",
      path: "/images/prune",
      handler: async (ctx) => ({
        status: 200,
        json: await pruneImages(d, ctx.query.get("filters")),
      }),
    },
    ...named("GET", "/images/{name}/json", async (ctx) => ({
      status: 200,
      json: await inspectImage(d, ctx.params.name, ctx.version),
    })),
    ...named(
      "GET",
      "/images/{name}/history",
      async (ctx) => ({ status: 200, json: await imageHistory(d, ctx.params.name) }),
    ),
    ...named("GET", "/images/{name}/get", (ctx) => saveImages(d, ctx, [ctx.params.name])),
    ...named("POST", "/images/{name}/tag", async (ctx) => {
      await tagImage(d, ctx.params.name, ctx.query.get("repo") ?? "", ctx.query.get("tag") ?? "");
      return { status: 201 };
    }),
    ...named("POST", "/images/{name}/push", (ctx) => pushImage(d, ctx, ctx.params.name)),
    ...named("DELETE", "/images/{name}", async (ctx) => ({
      status: 200,
      json: await deleteImage(d, ctx.params.name, boolQuery(ctx.query, "force")),
    })),
    {
      method: "POST",
      path: "/auth",
      handler: async (ctx) => {
        const cfg = await jsonBody(ctx, authConfigSchema, "auth");
        try {
          const token = await login(cfg, loginOptions(d), ctx.signal);
          return { status: 200, json: { Status: "Login Succeeded", IdentityToken: token } };
        } catch (err) {
          if (err instanceof LoginError) return { status: 401, json: { message: err.message } };
          throw err;
        }
      },
    },
    {
      method: "POST",
      path: "/commit",
      handler: async (ctx) => {
        const container = ctx.query.get("container");
        if (!container) throw invalidArgument("container is required (?container=)");
        const config = await jsonBody(ctx, z.looseObject({}).nullable(), "commit");
        const id = await commitContainer(d, container, ctx.query, config ?? {});
        return { status: 201, json: { Id: id } };
      },
    },
  ];
}
