// /containers/*: create, list, inspect, lifecycle, wait, attach, logs, resize, update.
import { networkingConfigSchema } from "../network/schema.ts";
import { z } from "zod";
import { invalidArgument, notFound } from "../../lib/errors.ts";
import { attach } from "../containers/attach.ts";
import { createContainer } from "../containers/create.ts";
import {
  kill,
  pause,
  remove,
  rename,
  restart,
  start,
  stop,
  unpause,
} from "../containers/lifecycle.ts";
import { LIST_FILTERS, listContainers } from "../containers/list.ts";
import { linkViews, namesAsLinkChild, removeLink } from "../containers/links.ts";
import { logStream } from "../containers/logs.ts";
import { createBodySchema, hostConfigSchema } from "../containers/types.ts";
import { updateContainer } from "../containers/update.ts";
import { inspectView, summaryView } from "../containers/view.ts";
import { allImages } from "../images/lookup.ts";
import { imageDiskUsage } from "../images/list.ts";
import { containerSize } from "../disk_usage.ts";
import { waitStream } from "../containers/wait.ts";
import type { Daemon } from "../daemon.ts";
import { parseFilters } from "../http/filters.ts";
import { type Ctx, jsonBody, type Route } from "../http/router.ts";
import { boolQuery, intQuery } from "../http/validate.ts";
import { versionBelow } from "../http/api_version.ts";
import { updateBodySchema } from "../containers/types.ts";
import { eventAttrs } from "../containers/create.ts";

const empty = (status = 204) => ({ status });

function time(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for ${key}: ${v}`);
  return t / 1000;
}

export function containerRoutes(d: Daemon): Route[] {
  const get = (ctx: Ctx) => d.store.get(ctx.params.id);
  return [
    {
      method: "POST",
      path: "/containers/create",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, createBodySchema, "create container");
        const { HostConfig, NetworkingConfig, ...config } = body;
        const host = hostConfigSchema.parse(HostConfig ?? {});
        const net = networkingConfigSchema.parse(NetworkingConfig ?? {});
        const name = ctx.query.get("name") ?? undefined;
        // Before 1.44 read-only binds were not recursive, and their BindOptions had no
        // ReadOnly* fields: dockerd ignores the one and refuses the other.
        const before144 = versionBelow(ctx.version, "1.44");
        if (before144) {
          for (const m of host.Mounts ?? []) {
            if (m.Type !== "bind" || !m.BindOptions) continue;
            m.BindOptions.ReadOnlyNonRecursive = undefined;
            if (m.BindOptions.ReadOnlyForceRecursive) {
              throw invalidArgument("BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
            }
          }
        }
        return {
          status: 201,
          json: await createContainer(
            d,
            name,
            config,
            host,
            net.EndpointsConfig ?? {},
            ctx.query.get("platform") || undefined,
            before144,
          ),
        };
      },
    },
    {
      method: "GET",
      path: "/containers/json",
      handler: async (ctx) => {
        const list = listContainers(d, {
          all: boolQuery(ctx.query, "all"),
          limit: intQuery(ctx.query, "limit"),
          filters: parseFilters(ctx.query.get("filters"), LIST_FILTERS),
        });
        const images = await allImages(d.containerd);
        if (!boolQuery(ctx.query, "size")) {
          return {
            status: 200,
            json: list.map((c) => summaryView(c, images, undefined, namesAsLinkChild(d, c))),
          };
        }
        // size=1 (ps -s, a --format naming .Size): SizeRw and SizeRootFs, as system df.
        const imageSizes = new Map(
          (await imageDiskUsage(d, ctx.version)).Images.map((i) => [i.Id, i.Size]),
        );
        const json = [];
        for (const c of list) {
          const size = await containerSize(d, c, imageSizes.get(c.rec.Image) ?? 0);
          json.push(summaryView(c, images, size, namesAsLinkChild(d, c)));
        }
        return { status: 200, json };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/json",
      handler: async (ctx) => {
        const c = get(ctx);
        let graph: Record<string, string> | undefined;
        try {
          const snap = await d.containerd.containers.snapshot(c.rec.ID);
          const opts = snap.mounts[0]?.options ?? [];
          const opt = (k: string) =>
            opts.find((o) => o.startsWith(k + "="))?.slice(k.length + 1) ?? "";
          graph = {
            LowerDir: opt("lowerdir"),
            MergedDir: "",
            UpperDir: opt("upperdir") || (snap.upper ?? ""),
            WorkDir: opt("workdir"),
          };
        } catch { /* no snapshot */ }
        // size=1 (inspect -s): SizeRw and SizeRootFs, as ps -s and system df count them.
        let size: { rw: number; rootfs: number } | undefined;
        if (boolQuery(ctx.query, "size")) {
          const image = (await imageDiskUsage(d, ctx.version)).Images.find((i) =>
            i.Id === c.rec.Image
          );
          size = await containerSize(d, c, image?.Size ?? 0);
        }
        return { status: 200, json: inspectView(c, graph, linkViews(d, c), size) };
      },
    },
    {
      method: "POST",
      path: "/containers/:id/start",
      handler: async (ctx) => {
        await start(d, get(ctx));
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/stop",
      handler: async (ctx) => {
        await stop(d, get(ctx), intQuery(ctx.query, "t"));
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/restart",
      handler: async (ctx) => {
        await restart(d, get(ctx), intQuery(ctx.query, "t"), ctx.params.id);
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/kill",
      handler: async (ctx) => {
        await kill(d, ctx.params.id, ctx.query.get("signal") || undefined);
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/wait",
      handler: (ctx) => ({
        stream: waitStream(d, get(ctx), ctx.query.get("condition") ?? "", ctx.signal),
      }),
    },
    {
      method: "DELETE",
      path: "/containers/:id",
      handler: async (ctx) => {
        const q = ctx.query;
        if (boolQuery(q, "link")) await removeLink(d, ctx.params.id);
        else await remove(d, get(ctx), boolQuery(q, "force"), boolQuery(q, "v"));
        return empty();
      },
    },
    {
      // rm --link <parent>/<alias>: the CLI trims the slashes around the link's name.
      method: "DELETE",
      path: "/containers/:parent/:alias",
      handler: async (ctx) => {
        if (!boolQuery(ctx.query, "link")) {
          throw notFound(`No such container: ${ctx.params.parent}/${ctx.params.alias}`);
        }
        await removeLink(d, `${ctx.params.parent}/${ctx.params.alias}`);
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/pause",
      handler: async (ctx) => {
        await pause(d, get(ctx));
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/unpause",
      handler: async (ctx) => {
        await unpause(d, get(ctx));
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/rename",
      handler: async (ctx) => {
        await rename(d, get(ctx), ctx.query.get("name") ?? "");
        return empty();
      },
    },
    {
      method: "POST",
      path: "/containers/:id/update",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, updateBodySchema, "update container");
        return { status: 200, json: await updateContainer(d, get(ctx), body) };
      },
    },
    {
      method: "POST",
      path: "/containers/:id/resize",
      handler: async (ctx) => {
        const c = get(ctx);
        const h = intQuery(ctx.query, "h") ?? 0;
        const w = intQuery(ctx.query, "w") ?? 0;
        z.number().min(0).max(65535).parse(h);
        z.number().min(0).max(65535).parse(w);
        if (!c.rec.State.Running) {
          throw invalidArgument(`Container ${c.rec.ID} is not running`);
        }
        await d.containerd.tasks.resize(c.rec.ID, w, h);
        d.events.publish(
          "container",
          "resize",
          c.rec.ID,
          eventAttrs(c, { height: String(h), width: String(w) }),
        );
        return { status: 200, text: "", headers: {} };
      },
    },
    {
      method: "POST",
      path: "/containers/:id/attach",
      handler: (ctx) => {
        const c = get(ctx);
        const q = ctx.query;
        return {
          hijack: attach(d, c, {
            stdin: boolQuery(q, "stdin"),
            stdout: boolQuery(q, "stdout"),
            stderr: boolQuery(q, "stderr"),
            stream: boolQuery(q, "stream"),
            logs: boolQuery(q, "logs"),
            detachKeys: q.get("detachKeys") ?? undefined,
          }),
        };
      },
    },
    {
      method: "GET",
      path: "/containers/:id/logs",
      handler: (ctx) => {
        const c = get(ctx);
        const q = ctx.query;
        const stdout = boolQuery(q, "stdout");
        const stderr = boolQuery(q, "stderr");
        if (!stdout && !stderr) {
          throw invalidArgument("Bad parameters: you must choose at least one stream");
        }
        if (c.host.LogConfig.Type === "none") {
          throw invalidArgument(
            `configured logging driver does not support reading`,
          );
        }
        // dockerd 20.10: a tail that is not a number (or is negative) means all.
        const tailRaw = Number(q.get("tail") || "all");
        const tail = Number.isInteger(tailRaw) && tailRaw >= 0 ? tailRaw : undefined;
        return {
          stream: logStream(d, c, {
            stdout,
            stderr,
            since: time(q, "since"),
            until: time(q, "until"),
            timestamps: boolQuery(q, "timestamps"),
            tail,
            follow: boolQuery(q, "follow"),
            details: boolQuery(q, "details"),
          }, ctx.signal),
          contentType: null,
        };
      },
    },
  ];
}
