// zod at the Engine API boundary: a bad body or query is a 400 naming the field.
import type { z } from "zod";
import { invalidArgument } from "../../lib/errors.ts";

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.length ? issue.path.join(".") + ": " : "";
    throw invalidArgument(`${what}: ${path}${issue.message}`);
  }
  return r.data;
}

/** Parses a JSON request body ("" counts as {}) and validates it. */
export function parseJson<T extends z.ZodType>(text: string, schema: T, what: string): z.infer<T> {
  let raw: unknown = {};
  if (text.trim()) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw invalidArgument(`${what}: invalid JSON: ${(e as Error).message}`);
    }
  }
  return parseWith(schema, raw, what);
}

/** Docker's boolean query values: 1/true/True/TRUE and 0/false/"" (anything else is 400). */
export function boolQuery(q: URLSearchParams, key: string, def = false): boolean {
  const v = q.get(key);
  if (v === null || v === "") return def;
  if (["1", "true", "True", "TRUE", "yes"].includes(v)) return true;
  if (["0", "false", "False", "FALSE", "no"].includes(v)) return false;
  throw invalidArgument(`invalid value for ${key}: ${JSON.stringify(v)}`);
}

/** An integer query value (or `def` when absent). */
export function intQuery(q: URLSearchParams, key: string, def?: number): number | undefined {
  const v = q.get(key);
  if (v === null || v === "") return def;
  if (!/^-?\d{1,15}$/.test(v)) {
    throw invalidArgument(`invalid value for ${key}: ${JSON.stringify(v)}`);
  }
  return Number(v);
}
