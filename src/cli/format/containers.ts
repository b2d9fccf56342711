// `ps` rows: docker's ContainerContext over GET /containers/json entries.

import { familiarString, parseNormalizedNamed } from "../../lib/reference.ts";
import { humanDuration, humanSize } from "../units.ts";
import { goQuote } from "./gofmt.ts";
import { ellipsis, goTimeString, RowContext, truncateId } from "./formatter.ts";

export const DEFAULT_PS_TABLE =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
export const PS_SIZE_COLUMN = "\t{{.Size}}";
export const PS_QUIET = "{{.ID}}";

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ApiContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: ApiPort[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null;
}

const HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Label: "LABEL",
  Mounts: "MOUNTS",
  LocalVolumes: "LOCAL VOLUMES",
  Networks: "NETWORKS",
  Platform: "PLATFORM",
};

function joinHostPort(ip: string, port: string): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** docker's DisplayablePorts: ranges grouped, host mappings last. */
export function displayablePorts(input: ApiPort[]): string {
  const ports = [...input].sort((a, b) =>
    a.PrivatePort - b.PrivatePort ||
    ((a.IP ?? "") < (b.IP ?? "") ? -1 : (a.IP ?? "") > (b.IP ?? "") ? 1 : 0) ||
    (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || (a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0)
  );
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number) => {
    const parts = key.split("/");
    let type = parts[0];
    let ip = "";
    if (parts.length > 1) {
      ip = parts[0];
      type = parts[1];
    }
    let group = String(first);
    if (first !== last) group += `-${last}`;
    if (ip) group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of ports) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(
          `${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`,
        );
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(", ");
}

export class ContainerContext extends RowContext {
  readonly typeName = "*formatter.ContainerContext";
  constructor(readonly c: ApiContainer, readonly trunc = true, readonly now = Date.now()) {
    super();
  }
  headers(): Record<string, string> {
    return HEADERS;
  }
  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  get Names(): string {
    const names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ""));
    if (this.trunc) {
      const plain = names.find((n) => !n.includes("/"));
      if (plain !== undefined) return plain;
    }
    return names.join(",");
  }
  get Image(): string {
    const image = this.c.Image ?? "";
    if (image === "") return "<no image>";
    if (this.trunc) {
      const short = truncateId(this.c.ImageID ?? "");
      if (short !== "" && short === truncateId(image)) return short;
      try {
        const ref = parseNormalizedNamed(image);
        return familiarString({ ...ref, digest: undefined });
      } catch { /* not a reference: print as is */ }
    }
    return image;
  }
  get Command(): string {
    const command = this.c.Command ?? "";
    return goQuote(this.trunc ? ellipsis(command, 20) : command);
  }
  get CreatedAt(): string {
    return goTimeString(this.c.Created ?? 0);
  }
  get RunningFor(): string {
    return `${humanDuration(this.now - (this.c.Created ?? 0) * 1000)} ago`;
  }
  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  get State(): string {
    return this.c.State ?? "";
  }
  get Status(): string {
    return this.c.Status ?? "";
  }
  get Size(): string {
    const rw = humanSize(this.c.SizeRw ?? 0, 3);
    const rootfs = this.c.SizeRootFs ?? 0;
    return rootfs > 0 ? `${rw} (virtual ${humanSize(rootfs, 3)})` : rw;
  }
  get Labels(): string {
    const labels = this.c.Labels ?? {};
    return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
  }
  Label(name: string): string {
    return this.c.Labels?.[name] ?? "";
  }
  get Mounts(): string {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name || m.Source || "";
      return this.trunc ? ellipsis(name, 15) : name;
    }).join(",");
  }
  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === "local").length);
  }
  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(",");
  }
  get Platform(): null {
    return null;
  }
  override toJSON(): Record<string, unknown> {
    const keys = Object.keys(HEADERS).filter((k) => k !== "Label").sort();
    return Object.fromEntries(
      keys.map((k) => [k, (this as unknown as Record<string, unknown>)[k]]),
    );
  }
}
