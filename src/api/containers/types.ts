// The Engine API's container types (Config, HostConfig, the create body) validated with
// zod at the boundary. Unknown fields are kept (inspect shows what the client sent) and
// fields newer than our version are ignored, as dockerd does.
import type { ContainerNetworkSettings } from "../network/types.ts";
import { z } from "zod";

const Str = z.string().max(1 << 16);
const StrList = z.array(Str).max(4096);
/** strslice: a JSON string or a list of strings. */
const StrSlice = z.union([Str.transform((s) => [s]), StrList]).nullish();
const Labels = z.record(Str, Str).nullish();
const Int = z.number().int().safe();

export const healthcheckSchema = z.looseObject({
  Test: StrList.nullish(),
  Interval: Int.nonnegative().optional(),
  Timeout: Int.nonnegative().optional(),
  StartPeriod: Int.nonnegative().optional(),
  StartInterval: Int.nonnegative().optional(),
  Retries: Int.nonnegative().optional(),
});
export type Healthcheck = z.infer<typeof healthcheckSchema>;

export const configSchema = z.looseObject({
  Hostname: Str.default(""),
  Domainname: Str.default(""),
  User: Str.default(""),
  AttachStdin: z.boolean().default(false),
  AttachStdout: z.boolean().default(false),
  AttachStderr: z.boolean().default(false),
  ExposedPorts: z.record(Str, z.unknown()).nullish(),
  Tty: z.boolean().default(false),
  OpenStdin: z.boolean().default(false),
  StdinOnce: z.boolean().default(false),
  Env: StrList.nullish(),
  Cmd: StrSlice,
  Healthcheck: healthcheckSchema.nullish(),
  Image: Str.default(""),
  Volumes: z.record(Str, z.unknown()).nullish(),
  WorkingDir: Str.default(""),
  Entrypoint: StrSlice,
  NetworkDisabled: z.boolean().optional(),
  OnBuild: StrList.nullish(),
  Labels,
  StopSignal: Str.optional(),
  StopTimeout: Int.nullish(),
  MacAddress: Str.optional(),
});
export type Config = z.infer<typeof configSchema>;

const restartPolicySchema = z.object({
  Name: z.enum(["", "no", "always", "unless-stopped", "on-failure"]).default(""),
  MaximumRetryCount: Int.nonnegative().default(0),
});
export type RestartPolicy = z.infer<typeof restartPolicySchema>;

const mountSchema = z.looseObject({
  Type: z.enum(["bind", "tmpfs", "volume", "npipe", "cluster"]),
  // No defaults: inspect echoes what the client sent (dockerd's omitempty fields).
  Source: Str.optional(),
  Target: Str,
  ReadOnly: z.boolean().optional(),
  BindOptions: z.looseObject({
    Propagation: Str.optional(),
    NonRecursive: z.boolean().optional(),
    ReadOnlyNonRecursive: z.boolean().optional(),
    ReadOnlyForceRecursive: z.boolean().optional(),
  }).nullish(),
  TmpfsOptions: z.looseObject({ SizeBytes: Int.optional(), Mode: Int.optional() }).nullish(),
});

const throttleDevices = z.array(z.looseObject({ Path: Str, Rate: Int })).max(64).nullish();

export const hostConfigSchema = z.looseObject({
  Binds: StrList.nullish(),
  ContainerIDFile: Str.default(""),
  LogConfig: z.object({
    Type: Str.default(""),
    Config: z.record(Str, Str).nullish(),
  }).default({ Type: "", Config: {} }),
  NetworkMode: Str.default(""),
  PortBindings: z.record(Str, z.unknown()).nullish(),
  RestartPolicy: restartPolicySchema.default({ Name: "", MaximumRetryCount: 0 }),
  AutoRemove: z.boolean().default(false),
  VolumeDriver: Str.default(""),
  VolumesFrom: StrList.nullish(),
  ConsoleSize: z.array(Int.nonnegative()).length(2).nullish(),
  CapAdd: StrSlice,
  CapDrop: StrSlice,
  CgroupnsMode: Str.default(""),
  Dns: StrList.nullish(),
  DnsOptions: StrList.nullish(),
  DnsSearch: StrList.nullish(),
  ExtraHosts: StrList.nullish(),
  Links: StrList.nullish(),
  StorageOpt: z.record(Str, Str).nullish(),
  Annotations: z.record(Str, Str).nullish(),
  BlkioWeight: Int.default(0),
  BlkioWeightDevice: z.array(z.looseObject({ Path: Str, Weight: Int })).max(64).nullish(),
  BlkioDeviceReadBps: throttleDevices,
  BlkioDeviceWriteBps: throttleDevices,
  BlkioDeviceReadIOps: throttleDevices,
  BlkioDeviceWriteIOps: throttleDevices,
  DeviceRequests: z.array(z.looseObject({
    Driver: Str.default(""),
    Capabilities: z.array(StrList).nullish(),
  })).max(64).nullish(),
  GroupAdd: StrList.nullish(),
  IpcMode: Str.default(""),
  Cgroup: Str.default(""),
  OomScoreAdj: Int.default(0),
  PidMode: Str.default(""),
  Privileged: z.boolean().default(false),
  PublishAllPorts: z.boolean().default(false),
  ReadonlyRootfs: z.boolean().default(false),
  SecurityOpt: StrList.nullish(),
  Tmpfs: z.record(Str, Str).nullish(),
  UTSMode: Str.default(""),
  UsernsMode: Str.default(""),
  ShmSize: Int.default(0), // a negative one is refused in dockerd's words (verify.ts)
  Sysctls: z.record(Str, Str).nullish(),
  Runtime: Str.default(""),
  Isolation: Str.default(""),
  CpuShares: Int.default(0),
  Memory: Int.default(0),
  NanoCpus: Int.default(0),
  CgroupParent: Str.default(""),
  CpusetCpus: Str.default(""),
  CpusetMems: Str.default(""),
  CpuPeriod: Int.default(0),
  CpuQuota: Int.default(0),
  Devices: z.array(z.looseObject({
    PathOnHost: Str,
    PathInContainer: Str.default(""),
    CgroupPermissions: Str.default("rwm"),
  })).nullish(),
  DeviceCgroupRules: StrList.nullish(),
  MemoryReservation: Int.default(0),
  MemorySwap: Int.default(0),
  MemorySwappiness: Int.nullish(),
  OomKillDisable: z.boolean().nullish(),
  PidsLimit: Int.nullish(),
  // dockerd's key order (units.Ulimit: Name, Hard, Soft).
  Ulimits: z.array(z.object({ Name: Str, Hard: Int, Soft: Int })).nullish(),
  Init: z.boolean().nullish(),
  Mounts: z.array(mountSchema).max(256).nullish(),
  MaskedPaths: StrList.nullish(),
  ReadonlyPaths: StrList.nullish(),
});
export type HostConfig = z.infer<typeof hostConfigSchema>;

export const createBodySchema = configSchema.extend({
  HostConfig: hostConfigSchema.nullish(),
  NetworkingConfig: z.unknown().optional(),
});

/** POST /containers/{id}/update: resources and the restart policy. */
export const updateBodySchema = z.looseObject({
  CpuShares: Int.optional(),
  Memory: Int.optional(),
  MemorySwap: Int.optional(),
  MemoryReservation: Int.optional(),
  NanoCpus: Int.optional(),
  CpuPeriod: Int.optional(),
  CpuQuota: Int.optional(),
  PidsLimit: Int.nullish(),
  RestartPolicy: restartPolicySchema.optional(),
});

export const execCreateSchema = z.looseObject({
  User: Str.default(""),
  Privileged: z.boolean().default(false),
  Tty: z.boolean().default(false),
  ConsoleSize: z.array(Int.nonnegative()).length(2).nullish(),
  AttachStdin: z.boolean().default(false),
  AttachStdout: z.boolean().default(false),
  AttachStderr: z.boolean().default(false),
  Detach: z.boolean().default(false),
  DetachKeys: Str.default(""),
  Env: StrList.nullish(),
  WorkingDir: Str.default(""),
  Cmd: StrSlice,
});
export type ExecCreate = z.infer<typeof execCreateSchema>;

export const execStartSchema = z.looseObject({
  Detach: z.boolean().default(false),
  Tty: z.boolean().default(false),
  ConsoleSize: z.array(Int.nonnegative()).length(2).nullish(),
});

export interface State {
  Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: Health;
}

export interface HealthLog {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface Health {
  Status: "starting" | "healthy" | "unhealthy" | "none";
  FailingStreak: number;
  Log: HealthLog[];
}

/** What config.v2.json holds. */
export interface ContainerRecord {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: Config;
  /** The image id (sha256:…). */
  Image: string;
  /** The image name containerd knows it by (for the snapshot and the ancestor filter). */
  ImageName: string;
  Name: string;
  Driver: string;
  Platform: string;
  State: State;
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  LogPath: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  /** The /dev/shm it binds (shm.ts): its own shareable tmpfs, the host's or a donor's. */
  ShmPath?: string;
  Runtime: string;
  /** Networks, endpoints and ports (src/api/network/). */
  NetworkSettings?: ContainerNetworkSettings;
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";
