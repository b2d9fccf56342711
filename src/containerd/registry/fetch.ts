// Blob download into the content store: streamed through a verifying writer (digest and
// size), retried (bounded) on network errors, 5xx and digest mismatch, shared between
// concurrent pulls of the same blob in this process, with per-layer progress events.

import { EngineError, errorMessage, wrap } from "../../lib/errors.ts";
import type { Descriptor } from "../content/oci.ts";
import {
  type BlobInfo,
  type ContentStore,
  DigestMismatchError,
  SizeMismatchError,
} from "../content/store.ts";
import type { Repository } from "./client.ts";
import { sleep } from "./transport.ts";

/** Docker's pull progress statuses, per layer. */
export type ProgressStatus =
  | "Pulling fs layer"
  | "Waiting"
  | "Downloading"
  | "Verifying Checksum"
  | "Download complete"
  | "Already exists"
  | "Retrying";

export interface ProgressEvent {
  /** Docker's short id: the first 12 hex of the digest. */
  id: string;
  digest: string;
  status: ProgressStatus;
  current?: number;
  total?: number;
  /** For "Retrying": why. */
  error?: string;
}

export type ProgressFn = (e: ProgressEvent) => void;

export interface FetchBlobOptions {
  onProgress?: ProgressFn;
  /** Attempts in total, counting digest mismatches and broken bodies (default 3). */
  attempts?: number;
  backoffMs?: number;
  signal?: AbortSignal;
  /** Emit "Downloading" at most every this many bytes (default 256 KiB). */
  progressEvery?: number;
}

export const shortId = (digest: string) => digest.slice(digest.indexOf(":") + 1).slice(0, 12);

/** Fetches `desc` into `store` unless present; returns its info. */
export async function fetchBlob(
  repo: Repository,
  store: ContentStore,
  desc: Descriptor,
  opts: FetchBlobOptions = {},
): Promise<BlobInfo & { fetched: boolean }> {
  const emit = (status: ProgressStatus, extra: Partial<ProgressEvent> = {}) =>
    opts.onProgress?.({ id: shortId(desc.digest), digest: desc.digest, status, ...extra });
  if (await store.has(desc.digest)) {
    const info = await store.info(desc.digest);
    if (info.size === desc.size) {
      emit("Already exists");
      return { ...info, fetched: false };
    }
    // A committed blob always hashes right, so a size mismatch means a lying descriptor.
    throw new EngineError(
      "failed_precondition",
      `blob ${desc.digest}: descriptor size ${desc.size} differs from stored ${info.size}`,
    );
  }
  let fetched = false;
  if (store.inflight(desc.digest)) emit("Waiting");
  const info = await store.once(desc.digest, async () => {
    fetched = true;
    return await download(repo, store, desc, opts, emit);
  });
  if (!fetched) emit("Download complete");
  return { ...info, fetched };
}

async function download(
  repo: Repository,
  store: ContentStore,
  desc: Descriptor,
  opts: FetchBlobOptions,
  emit: (s: ProgressStatus, e?: Partial<ProgressEvent>) => void,
): Promise<BlobInfo> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const every = opts.progressEvery ?? 256 << 10;
  const what = `blob ${desc.digest} from ${repo.name}`;
  for (let attempt = 1;; attempt++) {
    try {
      const resp = await repo.blob(desc.digest, opts.signal);
      if (!resp.body) throw new EngineError("unavailable", `${what}: empty response`);
      const declared = resp.headers.get("content-length");
      if (declared !== null && Number(declared) !== desc.size) {
        await resp.body.cancel().catch(() => {});
        throw new SizeMismatchError(desc.size, Number(declared), `${what}: Content-Length`);
      }
      await using w = await store.writer({ digest: desc.digest, size: desc.size });
      let last = 0;
      emit("Downloading", { current: 0, total: desc.size });
      for await (const chunk of resp.body) {
        await w.write(chunk);
        if (w.written - last >= every) {
          last = w.written;
          emit("Downloading", { current: w.written, total: desc.size });
        }
      }
      emit("Verifying Checksum");
      const info = await w.commit();
      emit("Download complete");
      return info;
    } catch (err) {
      if (!retryable(err) || attempt >= attempts || opts.signal?.aborted) {
        throw wrap(err, `fetch ${what} (attempt ${attempt}/${attempts})`);
      }
      emit("Retrying", { error: errorMessage(err) });
      await sleep((opts.backoffMs ?? 200) * 2 ** (attempt - 1));
    }
  }
}

/**
 * Worth another attempt: wrong bytes (a corrupted or truncated transfer), a registry that
 * is unavailable (the transport already retried it), a body that broke mid-stream. Not:
 * not found, unauthorized, invalid input.
 */
function retryable(err: unknown): boolean {
  if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) return true;
  if (err instanceof EngineError) return err.kind === "unavailable";
  return !(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied);
}
