// /networks/*: list, inspect, create, remove, connect, disconnect, prune (src/api/network/).
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { matchLabels, parseFilters } from "../http/filters.ts";
import { jsonBody, type Route } from "../http/router.ts";
import { boolQuery } from "../http/validate.ts";
import { networking, PREDEFINED } from "../network/manager.ts";
import { connectSchema, disconnectSchema, networkCreateSchema } from "../network/schema.ts";
import type { NetworkRecord } from "../network/types.ts";

const LIST_FILTERS = ["name", "id", "driver", "label", "type", "dangling", "scope"];
const PRUNE_FILTERS = ["label", "label!", "until"];

export function networkRoutes(d: Daemon): Route[] {
  const m = () => networking(d);
  return [
    {
      method: "GET",
      path: "/networks",
      handler: (ctx) => {
        const f = parseFilters(ctx.query.get("filters"), LIST_FILTERS);
        const list = m().store.all().filter((n) => matches(d, n, f));
        return { status: 200, json: list.map((n) => m().view(n, false)) };
      },
    },
    {
      method: "POST",
      path: "/networks/create",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, networkCreateSchema, "create network");
        return { status: 201, json: await m().create(body) };
      },
    },
    {
      method: "POST",
      path: "/networks/prune",
      handler: async (ctx) => {
        const f = parseFilters(ctx.query.get("filters"), PRUNE_FILTERS);
        const until = f.get("until")?.[0];
        const cutoff = until ? untilTime(until) : Infinity;
        const deleted: string[] = [];
        for (const n of m().store.all()) {
          if (PREDEFINED.includes(n.Name) || m().users(n).length) continue;
          if (!matchLabels(f.get("label"), n.Labels)) continue;
          if ((f.get("label!") ?? []).some((l) => matchLabels([l], n.Labels))) continue;
          if (Date.parse(n.Created) >= cutoff) continue;
          await m().remove(n.Id);
          deleted.push(n.Name);
        }
        return { status: 200, json: { NetworksDeleted: deleted } };
      },
    },
    {
      method: "GET",
      path: "/networks/:id",
      handler: (ctx) => ({ status: 200, json: m().view(m().store.get(ctx.params.id)) }),
    },
    {
      method: "DELETE",
      path: "/networks/:id",
      handler: async (ctx) => {
        await m().remove(ctx.params.id);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/networks/:id/connect",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, connectSchema, "connect network");
        const c = d.store.get(body.Container);
        await m().connect(ctx.params.id, c, body.EndpointConfig ?? {});
        return { status: 200 };
      },
    },
    {
      method: "POST",
      path: "/networks/:id/disconnect",
      handler: async (ctx) => {
        const body = await jsonBody(ctx, disconnectSchema, "disconnect network");
        const c = d.store.get(body.Container);
        await m().disconnect(ctx.params.id, c, body.Force ?? boolQuery(ctx.query, "force"));
        return { status: 200 };
      },
    },
  ];
}

function matches(d: Daemon, n: NetworkRecord, f: Map<string, string[]>): boolean {
  const any = (k: string, test: (v: string) => boolean) => {
    const vals = f.get(k);
    return !vals?.length || vals.some(test);
  };
  if (!any("name", (v) => n.Name.includes(v))) return false;
  if (!any("id", (v) => n.Id.startsWith(v))) return false;
  if (!any("driver", (v) => n.Driver === v)) return false;
  if (!any("scope", (v) => v === "local")) return false;
  if (!matchLabels(f.get("label"), n.Labels)) return false;
  const builtin = PREDEFINED.includes(n.Name);
  if (!any("type", (v) => checkType(v) === (builtin ? "builtin" : "custom"))) return false;
  const dangling = f.get("dangling")?.[0];
  if (dangling !== undefined) {
    if (!["true", "false", "1", "0"].includes(dangling)) {
      throw invalidArgument(`invalid filter 'dangling=${dangling}'`);
    }
    const unused = !builtin && !networking(d).users(n).length;
    if (unused !== (dangling === "true" || dangling === "1")) return false;
  }
  return true;
}

function checkType(v: string): string {
  if (v !== "custom" && v !== "builtin") {
    throw invalidArgument(`invalid filter: 'type'='${v}'`);
  }
  return v;
}

/** "until": a Unix time, an RFC 3339 date, or a Go duration before now (10m, 24h). */
function untilTime(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return Date.now() - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6 }[m[2] as "s"];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
