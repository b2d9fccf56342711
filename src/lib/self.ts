// How to re-execute this program as another layer: the launcher script when running from
// source (./engine sets ENGINE_SELF), the binary itself when compiled.

export function selfPath(): string {
  return Deno.env.get("ENGINE_SELF") ?? Deno.execPath();
}

/** argv prefix for `engine <layer> …`: [path] — the path is also argv[0]. */
export function selfCommand(layer: string, args: string[]): { path: string; args: string[] } {
  return { path: selfPath(), args: [layer, ...args] };
}
