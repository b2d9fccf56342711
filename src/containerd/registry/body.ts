// Capped reads of HTTP bodies (SECURITY.md class e): never buffer more than the cap.

import { invalidArgument } from "../../lib/errors.ts";

/** Reads a whole body, failing as soon as it exceeds `max` bytes. */
export async function readCapped(resp: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = resp.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await resp.body?.cancel().catch(() => {});
    throw invalidArgument(`${what}: body of ${declared} bytes exceeds the limit of ${max}`);
  }
  if (!resp.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of resp.body) {
    total += chunk.length;
    if (total > max) {
      throw invalidArgument(`${what}: body exceeds the limit of ${max} bytes`);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Discards a body we do not need (so the connection can be reused), reading at most 64 KiB. */
export async function drain(resp: Response): Promise<void> {
  if (!resp.body) return;
  try {
    await readCapped(resp, 64 << 10, "discard");
  } catch {
    await resp.body.cancel().catch(() => {});
  }
}

/** The registry's error text from a small error body, for messages. */
export async function errorText(resp: Response): Promise<string> {
  try {
    const body = new TextDecoder().decode(await readCapped(resp, 64 << 10, "error body"));
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const e = parsed.errors?.[0];
    if (e) return `${e.code ?? ""}${e.message ? `: ${e.message}` : ""}`;
    return body.slice(0, 200);
  } catch {
    return "";
  }
}
