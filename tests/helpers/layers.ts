// Building layer tars in tests with our own writer (or checking them with the tar CLI).

import zlib from "node:zlib";
import { createHash } from "node:crypto";
import { type TarInput, TarWriter } from "../../src/lib/tar/tar_writer.ts";
import { TypeFlag } from "../../src/lib/tar/tar_header.ts";
import * as fs from "../../src/sys/fs.ts";

export type Entry = [TarInput, Uint8Array?];

const enc = new TextEncoder();

/** A whole tar archive in memory. */
export async function tarBytes(entries: Entry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const w = new TarWriter((c) => {
    parts.push(c.slice());
  });
  for (const [h, body] of entries) await w.add(h, body);
  await w.close();
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The bytes as a stream of `chunk`-sized pieces (small sizes exercise the buffering). */
export async function* chunked(bytes: Uint8Array, chunk = 65536): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += chunk) {
    yield bytes.slice(off, off + chunk);
    await Promise.resolve();
  }
}

export const gzip = (b: Uint8Array): Uint8Array => new Uint8Array(zlib.gzipSync(b));
export const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(zlib.zstdCompressSync(b));
export const sha256 = (b: Uint8Array): string =>
  `sha256:${createHash("sha256").update(b).digest("hex")}`;

// Entry builders.
export const file = (name: string, content: string | Uint8Array, h: Partial<TarInput> = {}) => {
  const body = typeof content === "string" ? enc.encode(content) : content;
  return [{ name, type: TypeFlag.file, ...h }, body] as Entry;
};
export const dir = (name: string, h: Partial<TarInput> = {}): Entry => [
  { name, type: TypeFlag.dir, ...h },
];
export const symlink = (name: string, target: string, h: Partial<TarInput> = {}): Entry => [
  { name, type: TypeFlag.symlink, linkname: target, ...h },
];
export const hardlink = (name: string, target: string): Entry => [
  { name, type: TypeFlag.link, linkname: target },
];
export const whiteout = (dirPath: string, name: string): Entry =>
  file(`${dirPath ? dirPath + "/" : ""}.wh.${name}`, "");
export const opaque = (dirPath: string): Entry =>
  file(`${dirPath ? dirPath + "/" : ""}.wh..wh..opq`, "");

/** Runs a command, throwing with its stderr when it fails; returns stdout. */
export async function run(cmd: string, args: string[], opts: { cwd?: string } = {}) {
  const out = await new Deno.Command(cmd, { args, cwd: opts.cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Asserts that `fn` rejects with a message containing `includes`; returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, includes: string): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!msg.includes(includes)) {
      throw new Error(`expected an error containing ${JSON.stringify(includes)}, got: ${msg}`);
    }
    return e as Error;
  }
  throw new Error(`expected a rejection containing ${JSON.stringify(includes)}`);
}

/** An xattr of a path (not following a final symlink), as text; null when unset. */
export function getxattr(path: string, key: string): string | null {
  const slash = path.lastIndexOf("/");
  using dir = fs.openAt(fs.AT_FDCWD, path.slice(0, slash) || "/", fs.O_PATH | fs.O_DIRECTORY);
  const v = fs.lgetxattrAt(dir.fd, path.slice(slash + 1), key);
  return v === null ? null : new TextDecoder().decode(v);
}

export function setxattr(path: string, key: string, value: string): void {
  const slash = path.lastIndexOf("/");
  using dir = fs.openAt(fs.AT_FDCWD, path.slice(0, slash) || "/", fs.O_PATH | fs.O_DIRECTORY);
  fs.lsetxattrAt(dir.fd, path.slice(slash + 1), key, new TextEncoder().encode(value));
}
