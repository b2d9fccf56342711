// The one place the daemon maps error kinds to HTTP statuses (Docker's errdefs mapping).
import { type ErrorKind, errorKind } from "../../lib/errors.ts";

const STATUS: Record<ErrorKind, number> = {
  not_found: 404,
  already_exists: 409,
  invalid_argument: 400,
  conflict: 409,
  failed_precondition: 409,
  unavailable: 503,
  internal: 500,
};

export function statusOf(err: unknown): number {
  if (err instanceof SyntaxError) return 400;
  return STATUS[errorKind(err)];
}

/** A reply that is not an error: 304 Not Modified (start of a running container, …). */
export class NotModified extends Error {
  constructor() {
    super("not modified");
  }
}
