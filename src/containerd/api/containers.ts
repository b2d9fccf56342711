// containerd's API types for containers and tasks, validated with zod at the boundary.
import { z } from "zod";

export const ContainerId = z.string().regex(/^[\w+.-]{1,128}$/, "must match [\\w+.-]{1,128}");
const Labels = z.record(z.string(), z.string().max(4096));
/** A runtime's name: engine, runc, crun or one given with --runtime name=/path. */
export const RuntimeName = z.string().regex(/^[\w.-]{1,64}$/, "must match [\\w.-]{1,64}");

export const CreateContainerRequest = z.object({
  id: ContainerId,
  image: z.string().max(4096).default(""),
  /** Prepare a new active snapshot named after the container on top of this committed one. */
  snapshot: z.object({ parent: z.string().max(4096).optional() }).optional(),
  spec: z.record(z.string(), z.unknown()),
  runtime: RuntimeName.optional(),
  labels: Labels.default({}),
});
export type CreateContainerRequest = z.infer<typeof CreateContainerRequest>;

export const UpdateContainerRequest = z.object({
  spec: z.record(z.string(), z.unknown()).optional(),
  labels: Labels.optional(),
});

export const CreateTaskRequest = z.object({
  terminal: z.boolean().default(false),
  stdin: z.boolean().default(false),
  log: z.object({
    path: z.string().startsWith("/").max(4096).optional(),
    maxSize: z.number().int().min(0).optional(),
    maxFile: z.number().int().min(1).max(100).optional(),
  }).default({}),
});

export const KillRequest = z.object({
  signal: z.number().int().min(1).max(64).default(15),
  all: z.boolean().default(false),
  exec: ContainerId.optional(),
});

export const ExecRequest = z.object({
  exec: ContainerId,
  process: z.record(z.string(), z.unknown()),
  terminal: z.boolean().default(false),
  stdin: z.boolean().default(false),
});

export const ResizeRequest = z.object({
  exec: ContainerId.optional(),
  width: z.number().int().min(0).max(65535),
  height: z.number().int().min(0).max(65535),
});

/** OCI LinuxResources, checked by the runtime that applies them; bounded here. */
export const UpdateTaskRequest = z.object({
  resources: z.record(z.string(), z.unknown()).refine((r) => JSON.stringify(r).length < 1 << 20, {
    message: "resources too large",
  }),
});
