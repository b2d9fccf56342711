// network create, ls, inspect, rm, connect, disconnect, prune: one request each, rendered as
// docker 28 does.

import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { renderRows, resolveFormat, RowContext, truncateId } from "../format/formatter.ts";
import { clientFor, confirm, filtersJSON, forEachTarget, write } from "./common.ts";
import { inspectEach } from "./inspect.ts";

interface ApiNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Created: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

const DEFAULT_NETWORK_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
const HEADERS = {
  ID: "NETWORK ID",
  Name: "NAME",
  Driver: "DRIVER",
  Scope: "SCOPE",
  IPv6: "IPV6",
  Internal: "INTERNAL",
  Labels: "LABELS",
  CreatedAt: "CREATED AT",
};

/** docker's networkContext. */
class NetworkContext extends RowContext {
  readonly typeName = "*formatter.networkContext";
  constructor(readonly n: ApiNetwork, readonly trunc = true) {
    super();
  }
  headers(): Record<string, string> {
    return HEADERS;
  }
  get ID(): string {
    return this.trunc ? truncateId(this.n.Id) : this.n.Id;
  }
  get Name(): string {
    return this.n.Name;
  }
  get Driver(): string {
    return this.n.Driver;
  }
  get Scope(): string {
    return this.n.Scope;
  }
  get IPv6(): string {
    return String(this.n.EnableIPv6);
  }
  get Internal(): string {
    return String(this.n.Internal);
  }
  get Labels(): string {
    return Object.entries(this.n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
  }
  Label(name: string): string {
    return this.n.Labels?.[name] ?? "";
  }
  get CreatedAt(): string {
    return this.n.Created;
  }
}

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf("=");
    out[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
  }
  return out;
}

/** docker's consolidateIpam: one config per subnet with its gateway and range. */
function ipamConfigs(subnets: string[], ranges: string[], gateways: string[]) {
  if (!subnets.length && (ranges.length || gateways.length)) {
    throw new Error("every ip-range or gateway must have a corresponding subnet");
  }
  if (gateways.length > subnets.length || ranges.length > subnets.length) {
    throw new Error("every ip-range or gateway must have a corresponding subnet");
  }
  return subnets.map((s, i) => ({
    Subnet: s,
    ...(ranges[i] ? { IPRange: ranges[i] } : {}),
    ...(gateways[i] ? { Gateway: gateways[i] } : {}),
  }));
}

export async function networkCreate(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const res = await client.json<{ Id: string }>("POST", "/networks/create", {
    json: {
      Name: inv.args[0],
      CheckDuplicate: true,
      Driver: f.string("driver") || "bridge",
      Options: f.map("opt"),
      IPAM: {
        Driver: f.string("ipam-driver") || "default",
        Config: ipamConfigs(f.list("subnet"), f.list("ip-range"), f.list("gateway")),
        Options: f.map("ipam-opt"),
      },
      Internal: f.bool("internal"),
      EnableIPv6: f.bool("ipv6"),
      Attachable: f.bool("attachable"),
      Ingress: f.bool("ingress"),
      ConfigOnly: f.bool("config-only"),
      Labels: keyValues(f.list("label")),
      ...(f.string("scope") ? { Scope: f.string("scope") } : {}),
    },
  });
  write(`${res.Id}\n`);
  return 0;
}

export async function networkLs(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const list = await client.json<ApiNetwork[]>("GET", "/networks", {
    query: { filters: filtersJSON(f.list("filter")) },
  });
  const format = resolveFormat(
    { format: f.string("format"), defaultTable: DEFAULT_NETWORK_TABLE, quiet: "{{.ID}}" },
    f.bool("quiet"),
  );
  const trunc = !f.bool("no-trunc");
  const rows = list.sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((n) =>
    new NetworkContext(n, trunc)
  );
  write(renderRows(format, rows, new NetworkContext({} as ApiNetwork)));
  return 0;
}

export function networkInspect(inv: Invocation): Promise<number> {
  return inspectEach(inv, "network");
}

export async function networkRm(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const force = inv.flags.bool("force");
  return await forEachTarget(inv.args, async (name) => {
    try {
      await client.json("DELETE", `/networks/${escapePath(name)}`);
    } catch (e) {
      if (force && /not found/.test((e as Error).message)) return;
      throw e;
    }
  });
}

export async function networkConnect(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const ip = f.string("ip");
  await client.json("POST", `/networks/${escapePath(inv.args[0])}/connect`, {
    json: {
      Container: inv.args[1],
      EndpointConfig: {
        ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}),
        Aliases: f.list("alias"),
        Links: f.list("link"),
      },
    },
  });
  return 0;
}

export async function networkDisconnect(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  await client.json("POST", `/networks/${escapePath(inv.args[0])}/disconnect`, {
    json: { Container: inv.args[1], Force: inv.flags.bool("force") },
  });
  return 0;
}

export async function networkPrune(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const warning =
    "WARNING! This will remove all custom networks not used by at least one container.";
  if (!f.bool("force") && !confirm(`${warning}\nAre you sure you want to continue?`)) return 0;
  using client = clientFor(inv);
  const res = await client.json<{ NetworksDeleted: string[] | null }>("POST", "/networks/prune", {
    query: { filters: filtersJSON(f.list("filter")) },
  });
  const deleted = res.NetworksDeleted ?? [];
  if (deleted.length) write(`Deleted Networks:\n${deleted.join("\n")}\n\n`);
  return 0;
}
