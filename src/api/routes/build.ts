// POST /build: Docker's classic builder (version=1) over a tar context (plain or gzip),
// its query parameters validated here, the JSON message stream out (src/api/build/).

import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import { remoteContextError } from "../build/context.ts";
import { buildImage, type BuildRequest } from "../build/service.ts";
import type { Daemon } from "../daemon.ts";
import type { Ctx, Route } from "../http/router.ts";
import { parseFilters } from "../http/filters.ts";
import { boolQuery, parseJson } from "../http/validate.ts";

const Str = z.string().max(1 << 16);
const buildArgsSchema = z.record(Str, Str.nullable());
const labelsSchema = z.record(Str, Str);

/** RUN containers' network: the daemon's default, none or host (as dockerd's build). */
function networkMode(v: string | null): string {
  if (!v || v === "default") return "";
  if (v === "none" || v === "host") return v;
  throw invalidArgument(`networkmode ${JSON.stringify(v)} is not supported (default, none, host)`);
}

function parseQuery(q: URLSearchParams): BuildRequest {
  const forceRm = boolQuery(q, "forcerm");
  const remote = q.get("remote");
  if (remote) throw remoteContextError(remote);
  const version = q.get("version") || "1";
  if (version !== "1") {
    throw invalidArgument(`builder version ${JSON.stringify(version)} is not supported (only 1)`);
  }
  const dockerfile = q.get("dockerfile") || "Dockerfile";
  if (dockerfile.length > 4096 || dockerfile.includes("\0")) {
    throw invalidArgument("invalid dockerfile parameter");
  }
  return {
    tags: q.getAll("t").filter((t) => t !== ""),
    dockerfile,
    buildArgs: parseJson(q.get("buildargs") ?? "", buildArgsSchema, "buildargs"),
    labels: parseJson(q.get("labels") ?? "", labelsSchema, "labels"),
    noCache: boolQuery(q, "nocache"),
    rm: forceRm || boolQuery(q, "rm", true),
    forceRm,
    pull: boolQuery(q, "pull"),
    target: q.get("target") || undefined,
    platform: q.get("platform") || undefined,
    networkMode: networkMode(q.get("networkmode")),
    quiet: boolQuery(q, "q"),
  };
}

export function buildRoutes(d: Daemon): Route[] {
  return [{
    // BuildKit's cache (`docker builder prune`, `docker system prune`): this daemon has none;
    // the classic builder's cache is its intermediate images, which image prune handles.
    method: "POST",
    path: "/build/prune",
    handler: (ctx: Ctx) => {
      boolQuery(ctx.query, "all");
      parseFilters(ctx.query.get("filters"), [
        "until",
        "id",
        "parent",
        "type",
        "description",
        "inuse",
        "shared",
        "private",
      ]);
      return { status: 200, json: { CachesDeleted: null, SpaceReclaimed: 0 } };
    },
  }, {
    method: "POST",
    path: "/build",
    handler: async (ctx: Ctx) => {
      const req = parseQuery(ctx.query);
      return { stream: await buildImage(d, req, ctx), contentType: "application/json" };
    },
  }];
}
