// A container's mounts at create, as dockerd's registerMountPoints: --volumes-from first,
// then HostConfig.Binds and HostConfig.Mounts over them, then an anonymous volume for each
// Config.Volumes path (the image's VOLUMEs and `-v /path`) nothing else is mounted on.
// The result is kept in config.v2.json as MountPoints (by destination, as Docker's), turned
// into the spec builders' mount requests, and shown in inspect's Mounts.
import { invalidArgument } from "../../lib/errors.ts";
import { cleanPath, type MountRequest, type Propagation } from "../../containerd/oci/mod.ts";
import type { SnapshotMount } from "../containers/rootfs_reader.ts";
import type { Container } from "../containers/store.ts";
import type { Config, HostConfig } from "../containers/types.ts";
import type { Daemon } from "../daemon.ts";
import { copyUp } from "./copyup.ts";
import { type MountSpec, parseBind, parseMount, parseVolumesFrom } from "./parse.ts";
import { volumeStore } from "./store.ts";
import { recursiveReadOnlyPoints } from "./read_only.ts";

export interface MountPoint {
  Type: "bind" | "volume" | "tmpfs";
  Name: string;
  Source: string;
  Destination: string;
  Driver: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Created for this container without a name (removed by `rm -v`). */
  Anonymous?: boolean;
  /** Copy the image's content into the volume before it is first used. */
  CopyUp?: boolean;
  /**
   * A Config.Volumes path's (dockerd's AddMountPointWithVolume records no Source: the list
   * shows "", inspect the volume's path).
   */
  FromConfig?: boolean;
  NonRecursive?: boolean;
  /** A read-only bind whose submounts stay as they are ("ro", not "rro"). */
  ReadOnlyNonRecursive?: boolean;
  /** A read-only bind that must be recursively read-only, or not made at all. */
  ReadOnlyForceRecursive?: boolean;
  TmpfsSize?: number;
  TmpfsMode?: number;
}

type WithMounts = { MountPoints?: Record<string, MountPoint> };

export function mountPointsOf(c: Container): MountPoint[] {
  return Object.values((c.rec as unknown as WithMounts).MountPoints ?? {});
}

export function setMountPoints(rec: object, points: MountPoint[]): void {
  (rec as WithMounts).MountPoints = Object.fromEntries(points.map((p) => [p.Destination, p]));
}

/** Inspect's Mounts (and the list's, `list`): Docker's types.MountPoint. */
export function mountsView(c: Container, list = false) {
  return mountPointsOf(c).map((m) => ({
    Type: m.Type,
    ...(m.Type === "volume" ? { Name: m.Name } : {}),
    Source: list && m.FromConfig ? "" : m.Source,
    Destination: m.Destination,
    ...(m.Type === "volume" ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

/**
 * The spec builders' requests for the mount points and HostConfig.Tmpfs; `recursive`: the
 * destinations of the read-only points made "rro" (read_only.ts).
 */
export function mountRequestsOf(
  points: MountPoint[],
  host: HostConfig,
  recursive: Set<string>,
): MountRequest[] {
  const out: MountRequest[] = points.map((p) =>
    p.Type === "tmpfs"
      ? {
        type: "tmpfs" as const,
        destination: p.Destination,
        size: p.TmpfsSize,
        mode: p.TmpfsMode,
        readonly: !p.RW,
      }
      : {
        source: p.Source,
        destination: p.Destination,
        readonly: !p.RW,
        recursiveReadonly: recursive.has(p.Destination),
        propagation: (p.Propagation || "rprivate") as Propagation,
        nonRecursive: p.NonRecursive,
      }
  );
  for (const [dest, opts] of Object.entries(host.Tmpfs ?? {})) {
    out.push({ type: "tmpfs", destination: dest, options: opts ? opts.split(",") : [] });
  }
  return out;
}

export interface PreparedMounts {
  points: MountPoint[];
  requests: MountRequest[];
  /** Undoes what prepare did (volumes it created, pins) when the create fails. */
  rollback(): Promise<void>;
  /** The create succeeded: the container record now holds the points. */
  commit(): void;
}

async function hostPathFor(spec: MountSpec): Promise<void> {
  try {
    await Deno.stat(spec.Source);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    if (!spec.CreateSource) {
      throw invalidArgument(
        `invalid mount config for type "bind": bind source path does not exist: ${spec.Source}`,
      );
    }
    // -v /host/dir:/x creates the host directory, as Docker does.
    await Deno.mkdir(spec.Source, { recursive: true, mode: 0o755 });
  }
}

/**
 * `defaultReadOnlyNonRecursive`: the client's API is older than 1.44, whose read-only binds
 * were not recursive.
 */
export async function prepareMounts(
  d: Daemon,
  id: string,
  cfg: Config,
  host: HostConfig,
  defaultReadOnlyNonRecursive = false,
): Promise<PreparedMounts> {
  const store = await volumeStore(d);
  const byDest = new Map<string, MountPoint>();
  const created: string[] = [];
  const pinned: string[] = [];
  const pin = (name: string) => {
    store.pin(name, id);
    pinned.push(name);
  };
  const prepared: PreparedMounts = {
    points: [],
    requests: [],
    async rollback() {
      for (const n of pinned) store.unpin(n, id);
      for (const n of created) await store.remove(n, []).catch(() => {});
    },
    commit() {
      for (const n of pinned) store.unpin(n, id);
    },
  };
  try {
    for (const raw of host.VolumesFrom ?? []) {
      const { id: ref, mode } = parseVolumesFrom(raw);
      const src = d.store.get(ref);
      for (const p of mountPointsOf(src)) {
        const copy = { ...p, CopyUp: false, Anonymous: false };
        if (mode) {
          copy.RW = mode === "rw";
          copy.Mode = mode;
        }
        if (copy.Type === "volume") pin(copy.Name);
        byDest.set(copy.Destination, copy);
      }
    }
    const binds = (host.Binds ?? []).map(parseBind);
    // --volume-driver names the driver of -v's volumes: only "local" exists here.
    const driver = host.VolumeDriver;
    if (driver && driver !== "local" && binds.some((b) => b.Type === "volume")) {
      throw invalidArgument(
        `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    }
    const specs = [...binds, ...(host.Mounts ?? []).map(parseMount)];
    const seen = new Set<string>();
    for (const s of specs) {
      if (seen.has(s.Destination)) {
        throw invalidArgument(`Duplicate mount point: ${s.Destination}`);
      }
      seen.add(s.Destination);
    }
    for (const s of specs) byDest.set(s.Destination, await resolve(s));
    const tmpfs = new Set(Object.keys(host.Tmpfs ?? {}).map(cleanPath));
    for (const path of Object.keys(cfg.Volumes ?? {})) {
      if (!path.startsWith("/")) {
        throw invalidArgument(
          `invalid mount config for type "volume": invalid mount path: '${path}' mount path must be absolute`,
        );
      }
      const dest = cleanPath(path);
      if (dest === "/" || byDest.has(dest) || tmpfs.has(dest)) continue;
      const point = await resolve({
        Type: "volume",
        Source: "",
        Destination: dest,
        RW: true,
        Mode: "",
        Propagation: "",
        NoCopy: false,
      });
      byDest.set(dest, { ...point, FromConfig: true });
    }
    prepared.points = [...byDest.values()];
    const recursive = await recursiveReadOnlyPoints(d, host.Runtime, prepared.points);
    prepared.requests = mountRequestsOf(prepared.points, host, recursive);
    return prepared;
  } catch (e) {
    await prepared.rollback();
    throw e;
  }

  async function resolve(s: MountSpec): Promise<MountPoint> {
    const base = {
      Type: s.Type,
      Name: "",
      Source: s.Source,
      Destination: s.Destination,
      Driver: "",
      Mode: s.Mode,
      RW: s.RW,
      Propagation: s.Propagation,
    };
    if (s.Type === "bind") {
      await hostPathFor(s);
      const readOnlyNonRecursive = s.ReadOnlyNonRecursive ||
        (!s.RW && defaultReadOnlyNonRecursive) || undefined;
      return {
        ...base,
        NonRecursive: s.NonRecursive,
        ReadOnlyNonRecursive: readOnlyNonRecursive,
        ReadOnlyForceRecursive: s.ReadOnlyForceRecursive || undefined,
      };
    }
    if (s.Type === "tmpfs") return { ...base, TmpfsSize: s.TmpfsSize, TmpfsMode: s.TmpfsMode };
    const anonymous = !s.Source;
    const r = await store.create(s.Source || undefined, s.Labels, s.DriverOpts, anonymous);
    if (r.created) {
      created.push(r.meta.Name);
      d.events.publish("volume", "create", r.meta.Name, { driver: "local" });
    }
    pin(r.meta.Name);
    return {
      ...base,
      Name: r.meta.Name,
      Source: store.dataPath(r.meta.Name),
      Driver: "local",
      Anonymous: anonymous,
      CopyUp: !s.NoCopy,
    };
  }
}

/** Copies the image's content into the container's new, empty volumes (after create). */
export async function copyUpVolumes(
  d: Daemon,
  points: MountPoint[],
  snapshot: SnapshotMount[],
): Promise<void> {
  const store = await volumeStore(d);
  const targets = points.filter((p) => p.Type === "volume" && p.CopyUp).map((p) => ({
    path: p.Destination,
    dataDir: store.dataPath(p.Name),
  }));
  await copyUp(snapshot, targets, store.root);
}

/** The anonymous volumes of a container (what `rm -v` removes). */
export function anonymousVolumes(c: Container): string[] {
  return mountPointsOf(c).filter((p) => p.Type === "volume" && p.Anonymous).map((p) => p.Name);
}
