// A closed set of error kinds, shared by every layer. Context is added at each hop
// ("unpack layer sha256:…: …"); the kind is mapped to an HTTP status or exit code
// in exactly one place per layer.

export type ErrorKind =
  | "not_found"
  | "already_exists"
  | "invalid_argument"
  | "conflict"
  | "failed_precondition"
  | "unavailable"
  | "internal";

export class EngineError extends Error {
  constructor(readonly kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineError";
  }
}

export const notFound = (msg: string) => new EngineError("not_found", msg);
export const alreadyExists = (msg: string) => new EngineError("already_exists", msg);
export const invalidArgument = (msg: string) => new EngineError("invalid_argument", msg);
export const conflict = (msg: string) => new EngineError("conflict", msg);
export const failedPrecondition = (msg: string) => new EngineError("failed_precondition", msg);
export const unavailable = (msg: string) => new EngineError("unavailable", msg);
export const internal = (msg: string) => new EngineError("internal", msg);

/** The kind of any thrown value: EngineError keeps its own, Deno's fs errors map over. */
export function errorKind(err: unknown): ErrorKind {
  if (err instanceof EngineError) return err.kind;
  if (err instanceof Deno.errors.NotFound) return "not_found";
  if (err instanceof Deno.errors.AlreadyExists) return "already_exists";
  if (err instanceof Deno.errors.InvalidData) return "invalid_argument";
  return "internal";
}

/** Wraps an error with context, keeping its kind: `wrap(e, "unpack layer sha256:…")`. */
export function wrap(err: unknown, context: string): EngineError {
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError(errorKind(err), `${context}: ${message}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
