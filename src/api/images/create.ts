// POST /images/create: a pull (fromImage, tag, platform, X-Registry-Auth) streamed as
// Docker's JSON messages, or an import of a rootfs tarball (fromSrc=-, repo, tag, message).
// A pull failing before its first progress line (unknown tag, bad name, denied) answers
// with a status; once the stream started, failures come as its last line.

import { errorKind, errorMessage, invalidArgument, notFound } from "../../lib/errors.ts";
import {
  familiarName,
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  withDigest,
  withTag,
} from "../../lib/reference.ts";
import type { ProgressLine, PullDone } from "../../containerd/api/images.ts";
import type { Daemon } from "../daemon.ts";
import type { Ctx, Reply } from "../http/router.ts";
import { registryAuth } from "./auth.ts";
import { registryConfig } from "./registry.ts";
import { type JSONMessage, layerMessage, messageStream } from "./jsonmessage.ts";

/** A rootfs tarball to import: far above a real one; containerd caps it again. */
export const MAX_IMPORT = 64 * 2 ** 30;

/** The reference a pull asks for: fromImage plus tag (a tag or a digest). */
export function pullReference(fromImage: string, tag: string): Reference {
  const ref = parseNormalizedNamed(fromImage);
  if (!tag) return ref.tag || ref.digest ? ref : { ...ref, tag: "latest" };
  return tag.includes(":") ? withDigest(ref, tag) : withTag(ref, tag);
}

export function progressMessage(l: ProgressLine): JSONMessage {
  const counted = l.current !== undefined &&
    (l.status === "Downloading" || l.status === "Extracting" || l.status === "Pushing");
  return counted ? layerMessage(l.id, l.status, l.current, l.total) : layerMessage(l.id, l.status);
}

/** Docker's words for a manifest the registry does not have. */
function pullNotFound(ref: Reference, err: unknown): Error {
  const text = errorMessage(err);
  if (/NAME_UNKNOWN|name unknown/i.test(text)) {
    return notFound(
      `repository ${
        familiarName(ref)
      } not found: name unknown: repository name not known to registry`,
    );
  }
  if (/denied|unauthorized|401|403/i.test(text)) {
    return notFound(
      `pull access denied for ${familiarName(ref)}, repository does not exist or may require ` +
        `'docker login': denied: requested access to the resource is denied`,
    );
  }
  return notFound(
    `manifest for ${familiarString(ref)} not found: manifest unknown: manifest unknown`,
  );
}

export async function createImage(d: Daemon, ctx: Ctx): Promise<Reply> {
  const q = ctx.query;
  if (q.get("fromSrc")) return await importImage(d, ctx);
  const fromImage = q.get("fromImage");
  if (!fromImage) throw invalidArgument("fromImage or fromSrc must be given");
  const ref = pullReference(fromImage, q.get("tag") ?? "");
  const platform = q.get("platform") || undefined;
  const auth = registryAuth(ctx.headers["x-registry-auth"]);
  const familiar = familiarString(ref);

  // Layers of an image whose config is already here are not shown, as Docker (below).
  const known = new Set((await d.containerd.images.list()).map((r) => r.id));
  const abort = new AbortController();
  const onAbort = () => abort.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const buffered: ProgressLine[] = [];
  let live: ((l: ProgressLine) => void) | undefined;
  let firstLine!: () => void;
  const first = new Promise<"line">((r) => firstLine = () => r("line"));
  const pulling = d.containerd.images.pull(referenceString(ref), {
    platform,
    auth,
    registry: registryConfig(d),
    concurrency: d.opts.maxConcurrentDownloads,
    signal: abort.signal,
    onProgress: (l) => {
      if (live) return live(l);
      buffered.push(l);
      firstLine();
    },
  });
  pulling.catch(() => {}); // observed below
  let early: unknown;
  try {
    await Promise.race([first, pulling]);
  } catch (err) {
    early = err;
  }
  if (early !== undefined) {
    ctx.signal.removeEventListener("abort", onAbort);
    const kind = errorKind(early);
    if (kind === "not_found" || kind === "failed_precondition") throw pullNotFound(ref, early);
    if (kind !== "unavailable") throw early;
  }

  const stream = messageStream(abort.signal, async (s) => {
    try {
      if (early !== undefined) throw early;
      s.send({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag });
      const held: ProgressLine[] = [];
      live = (l) => {
        if (l.status === "Already exists" && !held.includes(l)) return void held.push(l);
        for (const h of held.splice(0)) s.send(progressMessage(h));
        s.send(progressMessage(l));
      };
      for (const l of buffered.splice(0)) live(l);
      const done = await pulling;
      if (!known.has(done.id)) { for (const h of held.splice(0)) s.send(progressMessage(h)); }
      await recordDigest(d, ref, done);
      s.send({ status: `Digest: ${done.digest}` });
      s.send({
        status: `Status: ${
          done.updated ? "Downloaded newer image" : "Image is up to date"
        } for ${familiar}`,
      });
      d.events.publish("image", "pull", familiar, { name: familiarName(ref) });
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }
  });
  return { stream, contentType: "application/json" };
}

/** Records "repo@digest" too, as Docker's reference store does (RepoDigests). */
export async function recordDigest(
  d: Daemon,
  ref: Reference,
  done: Pick<PullDone, "name" | "digest">,
): Promise<void> {
  if (ref.digest) return;
  const byDigest = referenceString({ domain: ref.domain, path: ref.path, digest: done.digest });
  await d.containerd.images.tag(done.name, byDigest).catch(() => {});
}

/** `docker import`: fromSrc=- with the rootfs tarball as the body. */
async function importImage(d: Daemon, ctx: Ctx): Promise<Reply> {
  const q = ctx.query;
  if (q.get("fromSrc") !== "-") {
    throw invalidArgument("import from a URL is not supported: send the tarball (fromSrc=-)");
  }
  if (q.getAll("changes").some((c) => c.trim())) {
    throw invalidArgument("import --change is not supported");
  }
  const repo = q.get("repo") ?? "";
  let name: string | undefined;
  if (repo) {
    const ref = parseNormalizedNamed(repo);
    const tag = q.get("tag") || ref.tag || "latest";
    name = referenceString(withTag({ ...ref, tag: undefined }, tag));
  }
  const message = q.get("message") ?? undefined;
  if (message && message.length > 4096) throw invalidArgument("import: message too long");
  const body = ctx.stream(MAX_IMPORT);
  const result = await d.containerd.images.importRootfs(body, {
    ref: name,
    message: message || undefined,
    signal: ctx.signal,
  });
  const id = result.images[0]?.id;
  if (!id) throw invalidArgument("import: the archive held no image");
  d.events.publish("image", "import", id, { name: id });
  const stream = messageStream(ctx.signal, (s) => {
    s.send({ status: id });
    return Promise.resolve();
  });
  return { stream, contentType: "application/json" };
}
