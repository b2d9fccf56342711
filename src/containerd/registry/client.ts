// One repository on one registry, over the OCI distribution API: /v2/ probe, manifests by
// tag or digest, blobs (HEAD, GET), uploads (POST, PATCH, PUT, cross-repository mount) and
// manifest PUT. Every body read into memory is capped.

import { EngineError, invalidArgument } from "../../lib/errors.ts";
import { isSha256Digest, parseDigest } from "../../lib/reference.ts";
import { type Descriptor, Limits, MANIFEST_ACCEPT } from "../content/oci.ts";
import { sha256Digest } from "../content/store.ts";
import { repositoryScope } from "./auth.ts";
import { drain, readCapped } from "./body.ts";
import { networkError, Transport } from "./transport.ts";

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export class Repository {
  constructor(
    readonly transport: Transport,
    /** Repository path on the registry: "library/busybox". */
    readonly path: string,
    /** Push needs "pull,push"; extra scopes (e.g. a mount source) can be added. */
    readonly scopes: string[] = [repositoryScope(path, ["pull"])],
  ) {}

  get name(): string {
    return `${this.transport.domain}/${this.path}`;
  }

  /** GET /v2/: true when the registry speaks the v2 API (200, or 401 with a challenge). */
  async ping(): Promise<{ ok: boolean; status: number; authenticate?: string }> {
    let resp: Response;
    try {
      resp = await this.transport.send("/v2/", { method: "GET" });
    } catch (err) {
      const url = this.transport.url("/v2/");
      throw new EngineError("unavailable", `ping ${url}: ${networkError(err)}`);
    }
    await drain(resp);
    const authenticate = resp.headers.get("www-authenticate") ?? undefined;
    if (resp.status === 401 && authenticate) {
      this.transport.auth.onUnauthorized(authenticate, [], false);
    }
    return { ok: resp.ok || resp.status === 401, status: resp.status, authenticate };
  }

  /** GET a manifest by tag or digest; verifies its digest; returns its descriptor. */
  async manifest(tagOrDigest: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const byDigest = tagOrDigest.includes(":");
    if (byDigest) parseDigest(tagOrDigest);
    const path = `/v2/${this.path}/manifests/${tagOrDigest}`;
    const what = `manifest ${this.name}:${tagOrDigest}`;
    const resp = await this.transport.request(path, {
      headers: { accept: MANIFEST_ACCEPT },
      scopes: this.scopes,
      signal,
    });
    const bytes = await readCapped(resp, Limits.manifest, what);
    const digest = sha256Digest(bytes);
    const expected = byDigest ? tagOrDigest : resp.headers.get("docker-content-digest");
    if (expected && isSha256Digest(expected) && expected !== digest) {
      throw new EngineError(
        "failed_precondition",
        `${what}: digest mismatch: expected ${expected}, got ${digest}`,
      );
    }
    if (expected && !isSha256Digest(expected) && byDigest) {
      throw invalidArgument(`${what}: only sha256 digests are supported`);
    }
    const contentType = (resp.headers.get("content-type") ?? "").split(";")[0].trim();
    let mediaType = contentType;
    try {
      const own = JSON.parse(new TextDecoder().decode(bytes)).mediaType;
      if (typeof own === "string" && (!mediaType || mediaType === "application/json")) {
        mediaType = own;
      }
    } catch { /* parseManifest reports bad JSON with context */ }
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  /** HEAD a blob: its size when present, undefined when the registry does not have it. */
  async blobSize(digest: string): Promise<number | undefined> {
    const resp = await this.transport.request(`/v2/${this.path}/blobs/${digest}`, {
      method: "HEAD",
      scopes: this.scopes,
      accept: [404],
    });
    await drain(resp);
    if (resp.status === 404) return undefined;
    const len = resp.headers.get("content-length");
    return len === null ? -1 : Number(len);
  }

  /** GET a blob: the response (redirects followed) whose body the caller streams. */
  blob(digest: string, signal?: AbortSignal): Promise<Response> {
    return this.transport.request(`/v2/${this.path}/blobs/${digest}`, {
      scopes: this.scopes,
      signal,
    });
  }

  /**
   * POST an upload. With `mountFrom` the registry may mount the blob from another
   * repository of the same registry: returns { mounted: true } (201), else the upload URL.
   */
  async startUpload(
    mount?: { digest: string; from: string },
  ): Promise<{ mounted: true } | { mounted: false; location: string }> {
    let path = `/v2/${this.path}/blobs/uploads/`;
    if (mount) {
      path += `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
    }
    const resp = await this.transport.request(path, {
      method: "POST",
      scopes: this.scopes,
      headers: { "content-length": "0" },
    });
    await drain(resp);
    if (resp.status === 201 && mount) return { mounted: true };
    return { mounted: false, location: this.location(resp, `start upload to ${this.name}`) };
  }

  /** PATCH one chunk at `offset`; returns the next upload URL. */
  async uploadChunk(
    location: string,
    chunk: Uint8Array<ArrayBuffer>,
    offset: number,
  ): Promise<string> {
    const resp = await this.transport.request(location, {
      method: "PATCH",
      scopes: this.scopes,
      body: chunk,
      headers: {
        "content-type": "application/octet-stream",
        "content-range": `${offset}-${offset + chunk.length - 1}`,
        "content-length": String(chunk.length),
      },
    });
    await drain(resp);
    return this.location(resp, `upload chunk to ${this.name}`);
  }

  /** PUT ?digest= to finish an upload, with the whole blob (monolithic) or nothing. */
  async completeUpload(
    location: string,
    digest: string,
    body?: Uint8Array<ArrayBuffer>,
  ): Promise<void> {
    const url = new URL(this.transport.url(location));
    url.searchParams.set("digest", digest);
    const resp = await this.transport.request(url.href, {
      method: "PUT",
      scopes: this.scopes,
      body: body ?? new Uint8Array(0),
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(body?.length ?? 0),
      },
    });
    await drain(resp);
    const got = resp.headers.get("docker-content-digest");
    if (got && got !== digest) {
      throw new EngineError(
        "failed_precondition",
        `upload ${digest} to ${this.name}: registry stored ${got}`,
      );
    }
  }

  /** PUT a manifest under a tag or its digest; returns the digest the registry reports. */
  async putManifest(
    tagOrDigest: string,
    mediaType: string,
    bytes: Uint8Array<ArrayBuffer>,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const resp = await this.transport.request(`/v2/${this.path}/manifests/${tagOrDigest}`, {
      method: "PUT",
      scopes: this.scopes,
      body: bytes,
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
    });
    await drain(resp);
    const got = resp.headers.get("docker-content-digest");
    if (got && got !== digest) {
      throw new EngineError(
        "failed_precondition",
        `put manifest ${this.name}:${tagOrDigest}: registry computed ${got}, expected ${digest}`,
      );
    }
    return digest;
  }

  private location(resp: Response, what: string): string {
    const loc = resp.headers.get("location");
    if (!loc) throw invalidArgument(`${what}: response ${resp.status} has no Location`);
    return this.transport.url(loc);
  }
}
