// /_ping, /version, /info, /events, /system/df, /containers/prune, and the
// 404s the CLI's untyped inspect probes (networks, volumes, plugins).
import { ENGINE_VERSION } from "../../lib/version.ts";
import { invalidArgument } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { API_VERSION, commonHeaders, MIN_API_VERSION } from "../http/server.ts";
import { type Filters, matchLabels, parseFilters } from "../http/filters.ts";
import type { Route } from "../http/router.ts";
import { goJson } from "../http/json.ts";
import type { DockerEvent } from "../events.ts";
import { removeLocked } from "../containers/lifecycle.ts";
import { systemInfo } from "./info.ts";
import { containerSize, diskUsage } from "../disk_usage.ts";

const pingHeaders = () => ({
  ...commonHeaders(),
  "Cache-Control": "no-cache, no-store, must-revalidate",
  "Pragma": "no-cache",
  "Content-Type": "text/plain; charset=utf-8",
});

function kernel(): string {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/osrelease").trim();
  } catch {
    return "";
  }
}

function eventMatches(e: DockerEvent, f: Filters): boolean {
  const any = (k: string, v: string[]) => !f.get(k)?.length || f.get(k)!.some((x) => v.includes(x));
  const attrs = e.Actor.Attributes;
  if (!any("type", [e.Type])) return false;
  if (!any("event", [e.Action, e.Action.split(":")[0]])) return false;
  if (e.Type === "container" || f.has("container")) {
    if (!any("container", [e.Actor.ID, e.Actor.ID.slice(0, 12), attrs.name ?? ""])) return false;
  }
  if (f.has("image") && !any("image", [attrs.image ?? "", e.Actor.ID, attrs.name ?? ""])) {
    return false;
  }
  if (!matchLabels(f.get("label"), attrs)) return false;
  return true;
}

export function systemRoutes(d: Daemon): Route[] {
  return [
    {
      method: "GET",
      path: "/_ping",
      handler: () => ({ status: 200, text: "OK", headers: pingHeaders() }),
    },
    {
      method: "GET",
      path: "/version",
      handler: () => {
        const details = {
          ApiVersion: API_VERSION,
          Arch: "amd64",
          BuildTime: "",
          Experimental: "false",
          GitCommit: "",
          GoVersion: `deno ${Deno.version.deno}`,
          KernelVersion: kernel(),
          MinAPIVersion: MIN_API_VERSION,
          Os: "linux",
        };
        return {
          status: 200,
          json: {
            Platform: { Name: "Engine" },
            Components: [
              { Name: "Engine", Version: ENGINE_VERSION, Details: details },
              { Name: "containerd", Version: ENGINE_VERSION, Details: { GitCommit: "" } },
              { Name: "runc", Version: ENGINE_VERSION, Details: { GitCommit: "" } },
            ],
            Version: ENGINE_VERSION,
            ApiVersion: API_VERSION,
            MinAPIVersion: MIN_API_VERSION,
            GitCommit: "",
            GoVersion: details.GoVersion,
            Os: "linux",
            Arch: "amd64",
            KernelVersion: details.KernelVersion,
            BuildTime: "",
          },
        };
      },
    },
    {
      method: "GET",
      path: "/info",
      handler: async () => ({ status: 200, json: await systemInfo(d) }),
    },
    {
      method: "GET",
      path: "/events",
      handler: (ctx) => {
        const num = (k: string) => {
          const v = ctx.query.get(k);
          if (!v) return undefined;
          if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
          const t = Date.parse(v);
          if (Number.isNaN(t)) throw invalidArgument(`invalid value for ${k}: ${v}`);
          return t / 1000;
        };
        const since = num("since");
        const until = num("until");
        const f = parseFilters(ctx.query.get("filters"), [
          "container",
          "event",
          "image",
          "label",
          "type",
          "volume",
          "network",
          "daemon",
          "plugin",
          "node",
          "service",
          "secret",
          "config",
          "scope",
        ]);
        const enc = new TextEncoder();
        const signal = ctx.signal;
        async function* gen() {
          // Ends with the client or at `until`, even when no event comes to wake it.
          const stop = new AbortController();
          const onAbort = () => stop.abort();
          signal.addEventListener("abort", onAbort, { once: true });
          const live = d.events.live(stop.signal);
          for (const e of d.events.past(since ?? Date.now() / 1000, until)) {
            if (since !== undefined && eventMatches(e, f)) yield e;
          }
          if (until !== undefined && until * 1000 <= Date.now()) return;
          const timer = until !== undefined
            ? setTimeout(() => stop.abort(), until * 1000 - Date.now())
            : undefined;
          try {
            for await (const e of live) {
              if (until !== undefined && e.time > until) break;
              if (eventMatches(e, f)) yield e;
            }
          } finally {
            clearTimeout(timer);
            signal.removeEventListener("abort", onAbort);
          }
        }
        const it = gen();
        return {
          stream: new ReadableStream<Uint8Array>({
            async pull(ctl) {
              const { value, done } = await it.next();
              if (done) ctl.close();
              else ctl.enqueue(enc.encode(goJson(value)));
            },
            async cancel() {
              await it.return(undefined);
            },
          }),
        };
      },
    },
    {
      method: "GET",
      path: "/system/df",
      handler: async (ctx) => ({ status: 200, json: await diskUsage(d, ctx.version) }),
    },
    {
      method: "POST",
      path: "/containers/prune",
      handler: async (ctx) => {
        const f = parseFilters(ctx.query.get("filters"), ["label", "label!", "until"]);
        const deleted: string[] = [];
        let reclaimed = 0;
        for (const c of d.store.all()) {
          if (c.rec.State.Running || c.rec.State.Restarting) continue;
          if (!matchLabels(f.get("label"), c.rec.Config.Labels ?? {})) continue;
          // dockerd adds up the writable layers it removes.
          const { rw } = await containerSize(d, c, 0);
          await d.lock.run(c.rec.ID, () => removeLocked(d, c));
          deleted.push(c.rec.ID);
          reclaimed += rw;
        }
        return {
          status: 200,
          json: { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed },
        };
      },
    },
    {
      method: "GET",
      path: "/networks/:id",
      handler: (ctx) => ({ status: 404, json: { message: `network ${ctx.params.id} not found` } }),
    },
    {
      method: "GET",
      path: "/volumes/:name",
      handler: (ctx) => ({
        status: 404,
        json: { message: `get ${ctx.params.name}: no such volume` },
      }),
    },
    {
      method: "GET",
      path: "/plugins/:name/json",
      handler: (ctx) => ({
        status: 404,
        json: { message: `plugin "${ctx.params.name}" not found` },
      }),
    },
  ];
}
