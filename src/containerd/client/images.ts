// The typed client of containerd's image service, what the daemon uses (routes listed in
// api/images.ts). Streams (pull, push) report progress through `onProgress` and resolve
// with their final line; an {error} line rejects with an EngineError of its kind.

import { z } from "zod";
import { EngineError } from "../../lib/errors.ts";
import {
  type Auth,
  type CommitRequest,
  deleteResultSchema,
  imageDetailSchema,
  imageSummarySchema,
  importDoneSchema,
  importResultSchema,
  type ProgressLine,
  progressLineSchema,
  pullDoneSchema,
  pushDoneSchema,
  type RegistryConfig,
  streamErrorSchema,
  tagRequestSchema,
} from "../api/images.ts";
import { checkShape, type ContainerdHttp, ndjsonLines, streamError } from "./http.ts";

export interface StreamOptions {
  auth?: Auth;
  /** Mirrors and insecure registries as the daemon has them now. */
  registry?: RegistryConfig;
  /** Layers transferred at once. */
  concurrency?: number;
  onProgress?: (line: ProgressLine) => void;
  signal?: AbortSignal;
}

const path = (name: string) => `/v1/images/${encodeURIComponent(name)}`;

export class ImagesClient {
  constructor(readonly http: ContainerdHttp) {}

  /** Pulls `ref` ("busybox", "127.0.0.1:5000/x:1"); platform like "linux/arm64". */
  async pull(ref: string, o: StreamOptions & { platform?: string } = {}) {
    const resp = await this.http.request("POST", "/v1/images/pull", {
      json: {
        ref,
        platform: o.platform,
        auth: o.auth,
        registry: o.registry,
        concurrency: o.concurrency,
      },
      signal: o.signal,
    });
    return await this.#stream(resp, pullDoneSchema, `pull ${ref}`, o.onProgress);
  }

  /** Pushes the local image `ref` to the registry it names. */
  async push(ref: string, o: StreamOptions = {}) {
    const resp = await this.http.request("POST", "/v1/images/push", {
      json: { ref, auth: o.auth, registry: o.registry, concurrency: o.concurrency },
      signal: o.signal,
    });
    return await this.#stream(resp, pushDoneSchema, `push ${ref}`, o.onProgress);
  }

  list() {
    return this.http.json(z.array(imageSummarySchema), "GET", "/v1/images");
  }

  /** The record, config and layers of an image (a name, normalized by containerd). */
  get(name: string) {
    return this.http.json(imageDetailSchema, "GET", path(name));
  }

  /** Gives `source`'s image the name `target` too. */
  tag(source: string, target: string) {
    return this.http.json(imageSummarySchema, "POST", `${path(source)}/tag`, {
      json: tagRequestSchema.parse({ target }),
    });
  }

  /** Removes the name; blobs and snapshots nothing else uses are collected. */
  remove(name: string) {
    return this.http.json(deleteResultSchema, "DELETE", path(name));
  }

  /** A tar (docker save format + OCI layout) of the named images. */
  async export(names: string[], signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const resp = await this.http.request("GET", "/v1/images/export", {
      query: { name: names },
      signal,
    });
    if (!resp.body) throw new EngineError("internal", "export: empty answer");
    return resp.body;
  }

  /** Loads a docker save / OCI layout tar (maybe gzip/zstd-compressed). */
  /** Like import, reporting "Loading layer" progress lines (dockerd's load without quiet). */
  async importWithProgress(
    tar: ReadableStream<Uint8Array> | Uint8Array,
    o: { onProgress?: (line: ProgressLine) => void; signal?: AbortSignal } = {},
  ) {
    const resp = await this.http.request("POST", "/v1/images/import", {
      query: { progress: "1" },
      body: toBody(tar),
      signal: o.signal,
    });
    return await this.#stream(resp, importDoneSchema, "import", o.onProgress);
  }

  import(tar: ReadableStream<Uint8Array> | Uint8Array, signal?: AbortSignal) {
    return this.http.json(importResultSchema, "POST", "/v1/images/import", {
      body: toBody(tar),
      signal,
    });
  }

  /** `docker import`: a rootfs tar becomes a one-layer image named `ref` (or dangling). */
  importRootfs(
    tar: ReadableStream<Uint8Array> | Uint8Array,
    o: { ref?: string; message?: string; signal?: AbortSignal } = {},
  ) {
    return this.http.json(importResultSchema, "POST", "/v1/images/import-rootfs", {
      body: toBody(tar),
      query: { ref: o.ref, message: o.message },
      signal: o.signal,
    });
  }

  /** `docker commit`: the container's changes become a layer on its image. */
  commit(req: CommitRequest) {
    return this.http.json(importResultSchema, "POST", "/v1/images/commit", { json: req });
  }

  async #stream<T extends z.ZodType>(
    resp: Response,
    done: T,
    what: string,
    onProgress?: (line: ProgressLine) => void,
  ): Promise<z.infer<T>> {
    for await (const line of ndjsonLines(resp, what)) {
      const err = streamErrorSchema.safeParse(line);
      if (err.success) throw streamError(err.data);
      if ((line as { status?: unknown })?.status === "done") return checkShape(done, line, what);
      onProgress?.(checkShape(progressLineSchema, line, what));
    }
    throw new EngineError("unavailable", `${what}: stream ended without a result`);
  }
}

function toBody(tar: ReadableStream<Uint8Array> | Uint8Array): BodyInit {
  if (tar instanceof ReadableStream) return tar;
  return tar.buffer instanceof ArrayBuffer ? tar as Uint8Array<ArrayBuffer> : tar.slice();
}
