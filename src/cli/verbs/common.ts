// What verbs share: the client for this invocation, output helpers, docker's multi-target
// loop (one line per success, errors joined at the end, exit 1).

import type { Invocation } from "../command.ts";
import { EngineClient } from "../client.ts";

const encoder = new TextEncoder();

export function write(s: string): void {
  const data = encoder.encode(s);
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
}

export function writeErr(s: string): void {
  const data = encoder.encode(s);
  let off = 0;
  while (off < data.length) off += Deno.stderr.writeSync(data.subarray(off));
}

export function clientFor(inv: Invocation): EngineClient {
  return EngineClient.fromEnvironment(inv.globals.hosts, inv.globals);
}

/** Run `fn` for each target in order; print the target on success; join errors (exit 1). */
export async function forEachTarget(
  targets: string[],
  fn: (target: string) => Promise<unknown>,
  printTarget = true,
): Promise<number> {
  const errors: string[] = [];
  for (const target of targets) {
    try {
      await fn(target);
      if (printTarget) write(`${target}\n`);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return 0;
}

/** docker's --filter k=v (repeatable) → the API's filters JSON `{"k":{"v":true}}`. */
export function filtersJSON(filters: string[]): string | undefined {
  if (filters.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq < 0) throw new Error(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[f.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}

/** stdout is a terminal (progress bars, raw mode decisions). */
export function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

export function terminalWidth(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/** Ask y/N on the terminal, as docker's prune commands do. */
export function confirm(message: string): boolean {
  writeErr(`${message} [y/N] `);
  const buf = new Uint8Array(1024);
  const n = Deno.stdin.readSync(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

export async function readAllStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}
