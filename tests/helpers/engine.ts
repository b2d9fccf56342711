// The engine the tests run: ./engine (from source), or the binary named by ENGINE_BIN
// (`ENGINE_BIN=dist/engine deno task test` runs the suite against the compiled binary).
const REPO = new URL("../../", import.meta.url).pathname;

function engine(): string {
  const bin = Deno.env.get("ENGINE_BIN");
  if (!bin) return `${REPO}engine`;
  const path = bin.startsWith("/") ? bin : `${Deno.cwd()}/${bin}`;
  try {
    if (Deno.statSync(path).isFile) return path;
  } catch { /* reported below */ }
  throw new Error(`ENGINE_BIN=${bin}: no such file (build it with deno task compile)`);
}

export const ENGINE = engine();
