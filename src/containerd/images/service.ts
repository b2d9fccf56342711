// The image service of `engine containerd`: pull, push, list, inspect, tag, delete,
// export, import (docker save / OCI layout) and rootfs import, over the shared Services.
// Routes call these methods; the daemon reaches them through client/images.ts.

import type {
  ImageDetail,
  ImageSummary,
  ImportResult,
  ProgressLine,
  PullDone,
  PullRequest,
  PushDone,
  PushRequest,
} from "../api/images.ts";
import type { Services } from "../services.ts";
import { commitImages } from "./commit.ts";
import { commitContainer, type ContainerCommit } from "./container_commit.ts";
import { exportImages } from "./export.ts";
import { imageDetail, listImages } from "./inspect.ts";
import { loadArchive } from "./load.ts";
import { findImage, normalizeName } from "./names.ts";
import { pullImage } from "./pull.ts";
import { pushImage } from "./push.ts";
import { collectSnapshots, deleteImage, tagImage } from "./remove.ts";
import { prepareRootfs } from "./rootfs.ts";
import { DEFAULT_SPOOL_LIMITS, Spool, type SpoolLimits } from "./spool.ts";
import { BusyChains } from "./unpack.ts";

export interface ImageServiceOptions {
  /** Caps on an uploaded archive (load) or rootfs (import). */
  importLimits?: SpoolLimits;
}

export class ImageService {
  readonly busy = new BusyChains();
  readonly limits: SpoolLimits;

  constructor(readonly s: Services, opts: ImageServiceOptions = {}) {
    this.limits = opts.importLimits ?? DEFAULT_SPOOL_LIMITS;
  }

  /** Where uploads are spooled: private, under the persistent root (same filesystem). */
  get tmpRoot(): string {
    return `${this.s.opts.root}/tmp`;
  }

  pull(req: PullRequest, emit: (e: ProgressLine) => void, signal?: AbortSignal): Promise<PullDone> {
    return pullImage(this.s, this.busy, req, emit, signal);
  }

  push(req: PushRequest, emit: (e: ProgressLine) => void): Promise<PushDone> {
    return pushImage(this.s, req, emit);
  }

  list(): Promise<ImageSummary[]> {
    return listImages(this.s);
  }

  get(name: string): Promise<ImageDetail> {
    return imageDetail(this.s, findImage(this.s, name));
  }

  tag(source: string, target: string): Promise<ImageSummary> {
    return tagImage(this.s, source, target);
  }

  delete(name: string) {
    return deleteImage(this.s, this.busy, name);
  }

  /** Removes layer snapshots no image needs (after containers went, say). */
  collectSnapshots(): Promise<string[]> {
    return collectSnapshots(this.s, this.busy);
  }

  export(names: string[]): Promise<ReadableStream<Uint8Array>> {
    return exportImages(this.s, names);
  }

  /**
   * Loads a docker save / OCI layout tar (maybe compressed): all its images or none. With
   * `emit`, each layer unpacked now reports "Loading layer" by its diff id, as dockerd.
   */
  async import(
    body: AsyncIterable<Uint8Array>,
    emit?: (e: ProgressLine) => void,
  ): Promise<ImportResult> {
    await using spool = await Spool.read(body, this.tmpRoot, this.limits);
    const images = await loadArchive(spool);
    return { images: await commitImages(this.s, this.busy, images, "image.import", emit) };
  }

  /** `docker commit`: the container's changes as a new layer on its image. */
  async commit(req: ContainerCommit): Promise<ImportResult> {
    return { images: [await commitContainer(this.s, this.busy, req)] };
  }

  /** `docker import`: a rootfs tar → a one-layer image named `ref` (or dangling). */
  async importRootfs(
    body: AsyncIterable<Uint8Array>,
    opts: { ref?: string; message?: string } = {},
  ): Promise<ImportResult> {
    const { image, cleanup } = await prepareRootfs(body, {
      name: opts.ref ? normalizeName(opts.ref) : undefined,
      message: opts.message,
      tmpRoot: this.tmpRoot,
      maxBytes: this.limits.maxBytes,
    });
    try {
      return { images: await commitImages(this.s, this.busy, [image], "image.import") };
    } finally {
      await cleanup();
    }
  }
}

const services = new WeakMap<Services, ImageService>();

/** The one ImageService of a Services (routes and other services share its busy set). */
export function imageServiceOf(s: Services): ImageService {
  let svc = services.get(s);
  if (!svc) services.set(s, svc = new ImageService(s));
  return svc;
}
