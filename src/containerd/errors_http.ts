// The one place containerd maps error kinds to HTTP statuses; bodies are {"message": …}.
import type { Context } from "hono";
import { type ErrorKind, errorKind, errorMessage } from "../lib/errors.ts";

const STATUS: Record<ErrorKind, number> = {
  not_found: 404,
  already_exists: 409,
  invalid_argument: 400,
  conflict: 409,
  failed_precondition: 412,
  unavailable: 503,
  internal: 500,
};

export function statusOf(err: unknown): number {
  return STATUS[errorKind(err)];
}

export function errorResponse(c: Context, err: unknown): Response {
  // deno-lint-ignore no-explicit-any
  return c.json({ message: errorMessage(err), kind: errorKind(err) }, statusOf(err) as any);
}
