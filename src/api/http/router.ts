// The Engine API's route table: each module lists {method, path, handler}; one table is
// compiled from all of them (routes/mod.ts), matched in order on the unversioned path.
import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";
import { parseJson } from "./validate.ts";

export interface Ctx {
  method: string;
  /** The path without its /v1.NN prefix. */
  path: string;
  /** The API version the client asked for (the path's, or the daemon's own). */
  version: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Aborted when the client goes away (every stream stops with it). */
  signal: AbortSignal;
  /** The request body as text, bounded (JSON bodies). */
  text(): Promise<string>;
  /** The request body as a stream, bounded by `max` bytes (archives). */
  stream(max: number): ReadableStream<Uint8Array>;
}

/** The connection after a 101 (or a 200 without Upgrade): raw bytes both ways. */
export interface Hijacked {
  /** Resolves once written; rejects when the client is gone. */
  write(data: Uint8Array): Promise<void>;
  /** What the client sends; ends when it half-closes. */
  input: ReadableStream<Uint8Array>;
  /** Aborted when the connection is closed. */
  closed: AbortSignal;
  /** Closes the connection (the stream is over). */
  end(): void;
}

export type Reply =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | {
    status?: number;
    stream: ReadableStream<Uint8Array>;
    /** null: no Content-Type (logs, as dockerd). */
    contentType?: string | null;
    /** Extra headers (archive: X-Docker-Container-Path-Stat). */
    headers?: Record<string, string>;
  }
  | {
    hijack: (conn: Hijacked) => Promise<void>;
    /** Whether the 101 carries the common headers (exec start does, attach does not). */
    commonHeaders?: boolean;
  };

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

export interface Route {
  method: string;
  /** "/containers/:id/json"; ":name+" matches across slashes (image names). */
  path: string;
  handler: Handler;
}

interface Compiled extends Route {
  re: RegExp;
  keys: string[];
}

export class Router {
  #routes: Compiled[] = [];

  add(routes: Route[]): void {
    for (const r of routes) {
      const keys: string[] = [];
      const re = r.path.replace(/[.*+?^$()[\]{}|\\]/g, "\\$&").replace(
        /:(\w+)(\\\+)?/g,
        (_m, key: string, plus?: string) => {
          keys.push(key);
          return plus ? "(.+)" : "([^/]+)";
        },
      );
      this.#routes.push({ ...r, re: new RegExp(`^${re}/?$`), keys });
    }
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const m = method === "HEAD" ? ["HEAD", "GET"] : [method];
    for (const want of m) {
      for (const r of this.#routes) {
        if (r.method !== want) continue;
        const hit = r.re.exec(path);
        if (!hit) continue;
        const params: Record<string, string> = {};
        r.keys.forEach((k, i) => {
          try {
            params[k] = decodeURIComponent(hit[i + 1]);
          } catch {
            throw invalidArgument(`malformed path parameter ${k}`);
          }
        });
        return { route: r, params };
      }
    }
    return null;
  }
}

/** Reads a JSON body: Docker's CheckForJSON (a body needs application/json), then zod. */
export async function jsonBody<T extends z.ZodType>(ctx: Ctx, schema: T, what: string) {
  const text = await ctx.text();
  const type = String(ctx.headers["content-type"] ?? "");
  if (text.trim() && type && !type.split(";")[0].trim().toLowerCase().endsWith("json")) {
    throw invalidArgument(`Content-Type specified (${type}) must be 'application/json'`);
  }
  return parseJson(text, schema, what);
}
