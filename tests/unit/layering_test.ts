// The layering of README/DESIGN.md, checked on every import of every file under src/: layers
// import downward only (cli → api → containerd → shim → runc), each through its client or
// library entry, never another layer's internals; src/lib and src/sys are shared by all and
// import no layer.
import assert from "node:assert/strict";

const ORDER = ["cli", "api", "containerd", "shim", "runc"];

/** What a layer above may import of each layer (paths under src/, a trailing / is a folder). */
const ENTRIES: Record<string, string[]> = {
  // The CLI talks to the daemon over the Engine API only.
  api: [],
  containerd: [
    "containerd/client/",
    // the API's types (DESIGN.md: "each layer's API types live in one file of that layer")
    "containerd/api/",
    // the spec builders of containerd's client library (DESIGN.md, how a container starts)
    "containerd/oci/",
    // the distribution library's entry (dockerd's login uses containerd's registry code)
    "containerd/registry/mod.ts",
  ],
  shim: ["shim/client.ts", "shim/protocol.ts"],
  // runc's library, and config.json's types and validation (the runtime's interface)
  runc: ["runc/api.ts", "runc/config.ts"],
};

/** Shared code: anyone may import it; it imports only itself. */
const SHARED = ["lib", "sys"];
/** `engine check` (host checks) stands beside the layers and uses only shared code. */
const TOOLS = ["check"];

const IMPORT = new RegExp(
  [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/.source,
    /^\s*import\s*["']([^"']+)["']/.source,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/.source,
  ].join("|"),
  "gm",
);

/** The relative imports of a module's text (static, re-exports, side effects, dynamic). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith(".")) out.push(spec);
  }
  return out;
}

/** `spec` imported from `file` (both relative to the repository), normalised. */
function resolve(file: string, spec: string): string {
  const parts = file.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** Why `file` may not import `target` (paths from the repository root), or null. */
function violation(file: string, target: string): string | null {
  const from = file.split("/")[1];
  if (!target.startsWith("src/")) {
    return from === "sys" && target.startsWith("libnsenter/build/")
      ? null
      : "only src/sys loads the C library";
  }
  const rel = target.slice("src/".length);
  const to = rel.split("/")[0];
  if (to === from || SHARED.includes(to)) return null;
  if (SHARED.includes(from)) return `shared src/${from} must not import a layer (src/${to})`;
  if (TOOLS.includes(from) || TOOLS.includes(to)) return `src/${from} and src/${to} are apart`;
  const above = ORDER.indexOf(from), below = ORDER.indexOf(to);
  if (below <= above) return `src/${from} must not import src/${to}, a layer above or beside it`;
  const entries = ENTRIES[to];
  if (entries.some((e) => (e.endsWith("/") ? rel.startsWith(e) : rel === e))) return null;
  return `src/${to} is imported only through ${
    entries.map((e) => `src/${e}`).join(", ") || "its API over the wire"
  }`;
}

/** Every violation of files (repository path → text), one line each. */
export function violations(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    for (const spec of importsOf(text)) {
      const target = resolve(file, spec);
      const why = violation(file, target);
      if (why) out.push(`${file} imports ${target}: ${why}`);
    }
  }
  return out;
}

async function sources(dir: string, out = new Map<string, string>()): Promise<Map<string, string>> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) await sources(path, out);
    else if (e.name.endsWith(".ts")) {
      out.set(path, await Deno.readTextFile(new URL(`../../${path}`, import.meta.url)));
    }
  }
  return out;
}

Deno.test("every import under src/ follows the layering", async () => {
  const root = new URL("../../", import.meta.url);
  const prev = Deno.cwd();
  Deno.chdir(root);
  try {
    const files = await sources("src");
    assert.ok(files.size > 100, `only ${files.size} files under src/`);
    assert.deepEqual(violations(files), []);
  } finally {
    Deno.chdir(prev);
  }
});

Deno.test("the layering check names the file and the import of each violation", () => {
  const files = new Map([
    ["src/cli/completion.ts", `const { OPTIONS } = await import("../api/config.ts");`],
    ["src/api/build/context.ts", `import { decompress } from\n  "../../containerd/archive/x.ts";`],
    [
      "src/api/images/login.ts",
      `import {\n  endpoints,\n} from "../../containerd/registry/mod.ts";`,
    ],
    ["src/shim/main.ts", `export { x } from "../containerd/client/mod.ts";`],
    ["src/lib/a.ts", `import "../runc/api.ts";`],
    ["src/runc/plan.ts", `import type { Plan } from "../sys/plan_format.ts";`],
    ["src/containerd/oci/spec.ts", `import type { Spec } from "../../runc/config.ts";`],
  ]);
  assert.deepEqual(violations(files), [
    "src/cli/completion.ts imports src/api/config.ts: " +
    "src/api is imported only through its API over the wire",
    "src/api/build/context.ts imports src/containerd/archive/x.ts: src/containerd is imported " +
    "only through src/containerd/client/, src/containerd/api/, src/containerd/oci/, " +
    "src/containerd/registry/mod.ts",
    "src/shim/main.ts imports src/containerd/client/mod.ts: src/shim must not import " +
    "src/containerd, a layer above or beside it",
    "src/lib/a.ts imports src/runc/api.ts: shared src/lib must not import a layer (src/runc)",
  ]);
});
