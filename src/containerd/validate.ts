// zod at containerd's API boundary: a bad body is an invalid_argument naming the field.
import type { z } from "zod";
import { invalidArgument } from "../lib/errors.ts";

const MAX_BODY = 4 << 20;

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.length ? issue.path.join(".") : "(body)";
    throw invalidArgument(`${what}: ${path}: ${issue.message}`);
  }
  return r.data;
}

/** Reads and validates a JSON body, bounded in size. */
export async function jsonBody<T extends z.ZodType>(req: Request, schema: T, what: string) {
  const text = await req.text();
  if (text.length > MAX_BODY) throw invalidArgument(`${what}: body larger than ${MAX_BODY} bytes`);
  let raw: unknown;
  try {
    raw = text ? JSON.parse(text) : {};
  } catch (e) {
    throw invalidArgument(`${what}: malformed JSON: ${(e as Error).message}`);
  }
  return parseWith(schema, raw, what);
}
