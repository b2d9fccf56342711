// ENGINE_TRACE=1: milliseconds since process start at named points, on stderr.
const on = Deno.env.get("ENGINE_TRACE") === "1";

export function trace(what: string): void {
  if (on) console.error(`trace ${performance.now().toFixed(1)}ms ${what}`);
}
