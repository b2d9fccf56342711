// version, info, events, system prune, system df, container prune, stats, update, cp,
// login, logout — the rest of issue 5/6's verbs, each one request and a rendering.

import type { Invocation } from "../command.ts";
import { CLIENT_API_VERSION, escapePath } from "../client.ts";
import { ENGINE_VERSION } from "../../lib/version.ts";
import { Template } from "../format/template.ts";
import { goJSON } from "../format/gofmt.ts";
import { humanSize } from "../units.ts";
import { clientFor, confirm, filtersJSON, forEachTarget, write, writeErr } from "./common.ts";

export { systemDf } from "./system_df.ts";

interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export async function version(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const clientInfo = {
    Platform: { Name: "" },
    Version: ENGINE_VERSION,
    ApiVersion: CLIENT_API_VERSION,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GitCommit: "",
    GoVersion: `deno${Deno.version.deno}`,
    Os: Deno.build.os,
    Arch: Deno.build.arch === "x86_64" ? "amd64" : Deno.build.arch,
    BuildTime: "",
    Context: "default",
  };
  let server: { Components?: VersionComponent[]; Platform?: { Name: string } } | undefined;
  let serverError: Error | undefined;
  try {
    server = await client.json("GET", "/version");
    clientInfo.ApiVersion = await client.apiVersion();
  } catch (e) {
    serverError = e as Error;
  }
  const format = inv.flags.string("format");
  if (format) {
    const data = { Client: clientInfo, Server: server ?? null };
    write((format === "json" ? goJSON(data) : new Template(format).execute(data)) + "\n");
  } else {
    const downgraded = clientInfo.ApiVersion !== CLIENT_API_VERSION
      ? ` (downgraded from ${CLIENT_API_VERSION})`
      : "";
    write(
      `Client:\n Version:           ${clientInfo.Version}\n API version:       ${clientInfo.ApiVersion}${downgraded}\n` +
        ` Go version:        ${clientInfo.GoVersion}\n Git commit:        ${clientInfo.GitCommit}\n` +
        ` Built:             ${clientInfo.BuildTime}\n OS/Arch:           ${clientInfo.Os}/${clientInfo.Arch}\n` +
        ` Context:           ${clientInfo.Context}\n`,
    );
    if (server) {
      write(`\nServer: ${server.Platform?.Name ?? ""}\n`);
      for (const c of server.Components ?? []) {
        const d = c.Details ?? {};
        if (c.Name === "Engine") {
          write(
            ` Engine:\n  Version:          ${c.Version}\n  API version:      ${
              d.ApiVersion ?? ""
            } (minimum version ${d.MinAPIVersion ?? ""})\n` +
              `  Go version:       ${d.GoVersion ?? ""}\n  Git commit:       ${
                d.GitCommit ?? ""
              }\n  Built:            ${d.BuildTime ?? ""}\n` +
              `  OS/Arch:          ${d.Os ?? ""}/${d.Arch ?? ""}\n  Experimental:     ${
                d.Experimental ?? ""
              }\n`,
          );
        } else {
          write(
            ` ${c.Name}:\n  Version:          ${c.Version}\n  GitCommit:        ${
              d.GitCommit ?? ""
            }\n`,
          );
        }
      }
    }
  }
  if (serverError) throw serverError;
  return 0;
}

export async function info(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const data = await client.json<Record<string, unknown>>("GET", "/info");
  const format = inv.flags.string("format");
  if (format) {
    write((format === "json" ? goJSON(data) : new Template(format).execute(data)) + "\n");
    return 0;
  }
  const keys: [string, string][] = [
    ["Containers", "Containers"],
    ["ContainersRunning", " Running"],
    ["ContainersPaused", " Paused"],
    ["ContainersStopped", " Stopped"],
    ["Images", "Images"],
    ["ServerVersion", "Server Version"],
    ["Driver", "Storage Driver"],
    ["LoggingDriver", "Logging Driver"],
    ["CgroupDriver", "Cgroup Driver"],
    ["CgroupVersion", "Cgroup Version"],
    ["DefaultRuntime", "Default Runtime"],
    ["KernelVersion", "Kernel Version"],
    ["OperatingSystem", "Operating System"],
    ["OSType", "OSType"],
    ["Architecture", "Architecture"],
    ["NCPU", "CPUs"],
    ["MemTotal", "Total Memory"],
    ["Name", "Name"],
    ["ID", "ID"],
    ["DockerRootDir", "Docker Root Dir"],
    ["Debug", "Debug Mode"],
    ["LiveRestoreEnabled", "Live Restore Enabled"],
  ];
  let out = "Server:\n";
  for (const [key, label] of keys) {
    if (!(key in data)) continue;
    const v = key === "MemTotal"
      ? humanSize(Number(data[key])).replace(/(\d)([kMGT]?)B$/, "$1$2iB")
      : data[key];
    out += ` ${label}: ${v}\n`;
  }
  write(out);
  for (const w of (data.Warnings as string[] | null) ?? []) writeErr(`${w}\n`);
  return 0;
}

/**
 * The event as docker's template sees it: Go's events.Message fields (.Status, .ID, .From,
 * .Scope, .Time, .TimeNano — lower-case keys in the JSON), while {{json .}} still prints the
 * JSON as received.
 */
function messageView(ev: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    Status: ev.status ?? "",
    ID: ev.id ?? "",
    From: ev.from ?? "",
    Type: ev.Type ?? "",
    Action: ev.Action ?? "",
    Actor: ev.Actor ?? { ID: "", Attributes: {} },
    Scope: ev.scope ?? "",
    Time: ev.time ?? 0,
    TimeNano: ev.timeNano ?? 0,
  };
  Object.defineProperty(view, "toJSON", { value: () => ev, enumerable: false });
  return view;
}

export async function events(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const toUnix = (
    s: string,
  ) => (s === ""
    ? undefined
    : /^\d+(\.\d+)?$/.test(s)
    ? s
    : String(Math.floor(Date.parse(s) / 1000)));
  const stream = client.stream<Record<string, unknown>>("GET", "/events", {
    query: {
      since: toUnix(inv.flags.string("since")),
      until: toUnix(inv.flags.string("until")),
      filters: filtersJSON(inv.flags.list("filter")),
    },
  });
  const format = inv.flags.string("format");
  const tmpl = format && format !== "json" ? new Template(format) : undefined;
  for await (const ev of stream) {
    if (format === "json") write(goJSON(ev) + "\n");
    else if (tmpl) write(tmpl.execute(messageView(ev)) + "\n");
    else {
      const actor = (ev.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
      const attrs = Object.entries(actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(
        ([k, v]) => `${k}=${v}`,
      );
      const ns = BigInt(ev.timeNano as number ?? 0);
      const secs = Number(ns / 1_000_000_000n);
      const time = new Date(secs * 1000).toISOString().slice(0, 19) + "." +
        String(ns % 1_000_000_000n).padStart(9, "0") + "Z";
      write(
        `${time} ${ev.Type} ${ev.Action} ${actor.ID ?? ""}${
          attrs.length ? ` (${attrs.join(", ")})` : ""
        }\n`,
      );
    }
  }
  return 0;
}

async function prune(inv: Invocation, path: string, warning: string, filters: string[]) {
  using client = clientFor(inv);
  if (!inv.flags.bool("force") && !confirm(`${warning}\nAre you sure you want to continue?`)) {
    return undefined;
  }
  return await client.json<Record<string, unknown>>("POST", path, {
    query: { filters: filtersJSON(filters) },
  });
}

export async function containerPrune(inv: Invocation): Promise<number> {
  const res = await prune(
    inv,
    "/containers/prune",
    "WARNING! This will remove all stopped containers.",
    inv.flags.list("filter"),
  );
  if (!res) return 0;
  const deleted = (res.ContainersDeleted as string[] | null) ?? [];
  if (deleted.length > 0) write(`Deleted Containers:\n${deleted.join("\n")}\n\n`);
  write(`Total reclaimed space: ${humanSize(Number(res.SpaceReclaimed ?? 0))}\n`);
  return 0;
}

export async function systemPrune(inv: Invocation): Promise<number> {
  const all = inv.flags.bool("all");
  const warning =
    `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n` +
    (inv.flags.bool("volumes")
      ? "  - all anonymous volumes not used by at least one container\n"
      : "") +
    (all
      ? "  - all images without at least one container associated to them\n"
      : "  - all dangling images\n") +
    "  - unused build cache\n";
  using client = clientFor(inv);
  if (!inv.flags.bool("force") && !confirm(`${warning}\nAre you sure you want to continue?`)) {
    return 0;
  }
  const filters = filtersJSON(inv.flags.list("filter"));
  let reclaimed = 0;
  const c = await client.json<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>(
    "POST",
    "/containers/prune",
    { query: { filters } },
  );
  if (c.ContainersDeleted?.length) {
    write(`Deleted Containers:\n${c.ContainersDeleted.join("\n")}\n\n`);
  }
  reclaimed += c.SpaceReclaimed ?? 0;
  const imgFilters = filtersJSON([
    ...inv.flags.list("filter"),
    `dangling=${all ? "false" : "true"}`,
  ]);
  const i = await client.json<
    { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }
  >("POST", "/images/prune", { query: { filters: imgFilters } });
  if (i.ImagesDeleted?.length) {
    write(
      "Deleted Images:\n" + i.ImagesDeleted.map((d) =>
        d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`
      ).join("\n") + "\n\n",
    );
  }
  reclaimed += i.SpaceReclaimed ?? 0;
  write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

export async function stats(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const ids = inv.args.length > 0
    ? inv.args
    : (await client.json<{ Id: string }[]>("GET", "/containers/json", {
      query: { all: inv.flags.bool("all") || undefined },
    })).map((c) => c.Id);
  const { statsRow, STATS_HEADER } = await import("../format/stats.ts");
  const { tabwrite } = await import("../format/tabwriter.ts");
  const rows: string[] = [STATS_HEADER];
  for (const id of ids) {
    const s = await client.json<Record<string, unknown>>(
      "GET",
      `/containers/${escapePath(id)}/stats`,
      { query: { stream: false, "one-shot": true } },
    );
    rows.push(statsRow(id, s, !inv.flags.bool("no-trunc")));
  }
  write(tabwrite(rows.join("\n") + "\n"));
  return 0;
}

export async function update(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const f = inv.flags;
  const { restartPolicy } = await import("./container_config.ts");
  const body: Record<string, unknown> = {};
  const num: [string, string][] = [
    ["blkio-weight", "BlkioWeight"],
    ["cpu-period", "CpuPeriod"],
    ["cpu-quota", "CpuQuota"],
    ["cpu-rt-period", "CpuRealtimePeriod"],
    ["cpu-rt-runtime", "CpuRealtimeRuntime"],
    ["cpu-shares", "CpuShares"],
    ["cpus", "NanoCpus"],
    ["memory", "Memory"],
    ["memory-reservation", "MemoryReservation"],
    ["pids-limit", "PidsLimit"],
  ];
  for (const [flag, key] of num) if (f.isSet(flag)) body[key] = f.number(flag);
  for (const [flag, key] of [["cpuset-cpus", "CpusetCpus"], ["cpuset-mems", "CpusetMems"]]) {
    if (f.isSet(flag)) body[key] = f.string(flag);
  }
  if (f.isSet("memory-swap")) {
    body.MemorySwap = f.string("memory-swap") === "-1"
      ? -1
      : (await import("../units.ts")).parseMemoryBytes(f.string("memory-swap"));
  }
  if (f.isSet("restart")) body.RestartPolicy = restartPolicy(f.string("restart"));
  return await forEachTarget(inv.args, async (id) => {
    const res = await client.json<{ Warnings?: string[] | null }>(
      "POST",
      `/containers/${escapePath(id)}/update`,
      { json: body },
    );
    for (const w of res?.Warnings ?? []) writeErr(`${w}\n`);
  });
}

export async function cp(inv: Invocation): Promise<number> {
  return await (await import("./cp.ts")).cp(inv);
}

export async function login(inv: Invocation): Promise<number> {
  const { loginCommand } = await import("./login.ts");
  return await loginCommand(inv);
}

export async function logout(inv: Invocation): Promise<number> {
  const { logoutCommand } = await import("./login.ts");
  return await logoutCommand(inv);
}
