// HostConfig.Binds and HostConfig.Mounts parsed and validated as moby's Linux parser does
// (volume/mounts/linux_parser.go), with its messages: each becomes a MountSpec, resolved
// into a mount point by mounts.ts.
import { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import { cleanPath } from "../../containerd/oci/mod.ts";
import type { HostConfig } from "../containers/types.ts";
import { checkVolumeName } from "./store.ts";

export interface MountSpec {
  Type: "bind" | "volume" | "tmpfs";
  /** Host path (bind), volume name ("" for anonymous), "" for tmpfs. */
  Source: string;
  Destination: string;
  RW: boolean;
  /** The mode string as the user wrote it (-v …:mode), shown in inspect. */
  Mode: string;
  Propagation: string;
  NoCopy: boolean;
  NonRecursive?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
  /** -v binds create a missing host directory; --mount binds refuse it. */
  CreateSource?: boolean;
  Labels?: Record<string, string>;
  DriverOpts?: Record<string, string>;
  TmpfsSize?: number;
  TmpfsMode?: number;
}

const PROPAGATIONS = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];
const CONSISTENCY = ["consistent", "cached", "delegated"];

const invalidSpec = (raw: string, why?: string) =>
  invalidArgument(`invalid volume specification: '${raw}'${why ? `: ${why}` : ""}`);

const mountCfgError = (type: string, why: string) =>
  invalidArgument(`invalid mount config for type "${type}": ${why}`);

/** moby's ValidMountMode: at most one of each kind. */
function validMode(mode: string): boolean {
  if (!mode) return true;
  const seen = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const o of mode.split(",")) {
    if (o === "ro" || o === "rw") seen.rw++;
    else if (o === "z" || o === "Z") seen.label++;
    else if (PROPAGATIONS.includes(o)) seen.prop++;
    else if (o === "nocopy") seen.copy++;
    else if (CONSISTENCY.includes(o)) seen.cons++;
    else return false;
  }
  return Object.values(seen).every((n) => n <= 1);
}

function checkTarget(type: string, dst: string): string {
  if (!dst) throw mountCfgError(type, "field Target must not be empty");
  if (!dst.startsWith("/") || dst.includes("\0")) {
    throw mountCfgError(type, `invalid mount path: '${dst}' mount path must be absolute`);
  }
  const clean = cleanPath(dst);
  if (clean === "/") throw mountCfgError(type, "invalid specification: destination can't be '/'");
  return clean;
}

/** One entry of HostConfig.Binds: `/host:/ctr[:mode]`, `name:/ctr[:mode]` or `/ctr`. */
export function parseBind(raw: string): MountSpec {
  if (!raw || raw.includes("\0")) throw invalidSpec(raw);
  const arr = raw.split(":");
  let src = "", dst = "", mode = "";
  if (arr.length === 1) dst = arr[0];
  else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode, which a volume cannot have.
    if (validMode(arr[1]) && !arr[1].startsWith("/")) throw invalidSpec(raw);
    [src, dst] = arr;
  } else if (arr.length === 3) {
    [src, dst, mode] = arr;
    if (!validMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  } else throw invalidSpec(raw);
  if (arr.length > 1 && !src) throw invalidSpec(raw);
  const opts = mode ? mode.split(",") : [];
  const type = src.startsWith("/") ? "bind" : "volume";
  try {
    dst = checkTarget(type, dst);
  } catch (e) {
    throw invalidSpec(raw, (e as Error).message);
  }
  if (type === "volume" && src) checkVolumeName(src);
  if (type === "bind" && opts.includes("nocopy")) throw invalidArgument(`invalid mode: ${mode}`);
  const prop = opts.find((o) => PROPAGATIONS.includes(o));
  if (type === "volume" && prop) throw invalidArgument(`invalid mode: ${mode}`);
  return {
    Type: type,
    Source: type === "bind" ? cleanPath(src) : src,
    Destination: dst,
    RW: !opts.includes("ro"),
    Mode: mode || (type === "volume" && src ? "z" : ""),
    Propagation: type === "bind" ? prop ?? "rprivate" : "",
    NoCopy: opts.includes("nocopy"),
    CreateSource: true,
  };
}

const Str = z.string().max(1 << 12);
const volumeOptionsSchema = z.looseObject({
  NoCopy: z.boolean().optional(),
  Labels: z.record(Str, Str).nullish(),
  DriverConfig: z.looseObject({
    Name: Str.optional(),
    Options: z.record(Str, Str).nullish(),
  }).nullish(),
  Subpath: Str.optional(),
});

type ApiMount = NonNullable<HostConfig["Mounts"]>[number];

/** One entry of HostConfig.Mounts (`--mount`), validated as moby's validateMountConfig. */
export function parseMount(m: ApiMount): MountSpec {
  const t = m.Type;
  const has = (k: string) => (m as Record<string, unknown>)[k] != null;
  if (t !== "bind" && t !== "volume" && t !== "tmpfs") {
    throw invalidArgument(`invalid mount config for type "${t}": mount type unknown`);
  }
  const dst = checkTarget(t, m.Target);
  for (const k of ["BindOptions", "VolumeOptions", "TmpfsOptions"]) {
    const own = { bind: "BindOptions", volume: "VolumeOptions", tmpfs: "TmpfsOptions" }[t];
    if (k !== own && has(k)) throw mountCfgError(t, `field ${k} must not be specified`);
  }
  if (t === "tmpfs") {
    if (m.Source) throw mountCfgError(t, "field Source must not be specified");
    const size = m.TmpfsOptions?.SizeBytes;
    if (size !== undefined && size < 0) throw mountCfgError(t, "invalid tmpfs size");
    return {
      Type: "tmpfs",
      Source: "",
      Destination: dst,
      RW: !m.ReadOnly,
      Mode: "",
      Propagation: "",
      NoCopy: false,
      TmpfsSize: size || undefined,
      TmpfsMode: m.TmpfsOptions?.Mode || undefined,
    };
  }
  if (t === "bind") {
    if (!m.Source) throw mountCfgError(t, "field Source must not be empty");
    if (!m.Source.startsWith("/") || m.Source.includes("\0")) {
      throw mountCfgError(t, `invalid mount path: '${m.Source}' mount path must be absolute`);
    }
    const prop = m.BindOptions?.Propagation || "rprivate";
    if (!PROPAGATIONS.includes(prop)) {
      throw mountCfgError(t, `invalid propagation mode: ${prop}`);
    }
    const nonRecursiveRO = m.BindOptions?.ReadOnlyNonRecursive ?? false;
    const forceRecursiveRO = m.BindOptions?.ReadOnlyForceRecursive ?? false;
    // dockerd's words (it finds these when the container starts; refused here at create).
    if (!m.ReadOnly && nonRecursiveRO) {
      throw invalidArgument(
        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive",
      );
    }
    if (!m.ReadOnly && forceRecursiveRO) {
      throw invalidArgument(
        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive",
      );
    }
    if (nonRecursiveRO && forceRecursiveRO) {
      throw invalidArgument(
        "mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive",
      );
    }
    return {
      Type: "bind",
      Source: cleanPath(m.Source),
      Destination: dst,
      RW: !m.ReadOnly,
      Mode: "",
      Propagation: prop,
      NoCopy: false,
      NonRecursive: m.BindOptions?.NonRecursive ?? false,
      ReadOnlyNonRecursive: nonRecursiveRO,
      ReadOnlyForceRecursive: forceRecursiveRO,
    };
  }
  const vo = volumeOptionsSchema.nullish().parse((m as Record<string, unknown>).VolumeOptions);
  if (m.Source) checkVolumeName(m.Source);
  if (vo?.Subpath) throw mountCfgError(t, "volume subpaths are not supported");
  const driver = vo?.DriverConfig?.Name;
  if (driver && driver !== "local") throw invalidArgument(`plugin "${driver}" not found`);
  return {
    Type: "volume",
    Source: m.Source ?? "",
    Destination: dst,
    RW: !m.ReadOnly,
    // dockerd's setBindModeIfNull for the local driver's volumes.
    Mode: "z",
    Propagation: "",
    NoCopy: vo?.NoCopy ?? false,
    Labels: vo?.Labels ?? undefined,
    DriverOpts: vo?.DriverConfig?.Options ?? undefined,
  };
}

/** HostConfig.VolumesFrom entry: `container[:ro|:rw]`. */
export function parseVolumesFrom(raw: string): { id: string; mode: "" | "ro" | "rw" } {
  const i = raw.lastIndexOf(":");
  if (i < 0) return { id: raw, mode: "" };
  const mode = raw.slice(i + 1);
  if (mode !== "ro" && mode !== "rw") {
    throw invalidArgument(`invalid mode for volumes-from: ${mode}`);
  }
  return { id: raw.slice(0, i), mode };
}
