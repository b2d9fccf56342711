// Subcommand dispatch only. Each layer is imported lazily so that `engine runc` loads
// nothing but the runtime (start-up time is a product feature).
import { ENGINE_VERSION } from "./src/lib/version.ts";

const HELP_LAYERS = `
Layers (each re-executed from this binary):
  daemon      The Engine API (dockerd): containers, images, exec, logs, events
  containerd  Content, images, snapshots, containers and tasks behind one API
  shim        The per-container shim, started by containerd
  runc        The OCI runtime: run an OCI bundle the way runc does

Host:
  check       Check this host for what the engine needs
`;

/**
 * Each layer's entry point. The specifier is computed on purpose: Deno reads and parses
 * the module graph of every import it can see in the source, dynamic ones included, at
 * start-up — all five layers with their npm packages: +11 ms and +5 MiB for every
 * `engine runc` and every shim. `deno compile` lists these files (scripts/compile).
 */
export const LAYER_ENTRIES = {
  runc: "./src/runc/main.ts",
  daemon: "./src/api/main.ts",
  containerd: "./src/containerd/main.ts",
  shim: "./src/shim/main.ts",
  check: "./src/check/main.ts",
  cli: "./src/cli/main.ts",
} as const;

interface Layer {
  main(args: string[]): Promise<number>;
  cliUsage?(): string;
}

async function layer(name: keyof typeof LAYER_ENTRIES): Promise<Layer> {
  const specifier: string = currentBundle(name) || LAYER_ENTRIES[name];
  return await import(specifier);
}

/**
 * libnsenter/build/<name>.bundle.js (scripts/bundle) while every source it was built from
 * has its recorded size and mtime: one module loads in ~3 ms where runc's 52 take ~12.
 * ENGINE_BUNDLE=0 loads the sources (to compare, or for stack traces into them).
 */
function currentBundle(name: string): string | undefined {
  if (Deno.env.get("ENGINE_BUNDLE") === "0") return undefined;
  try {
    const root = new URL(".", import.meta.url).pathname; // plain paths: URLs cost 1 ms here
    const build = `${root}libnsenter/build/${name}.bundle`;
    const { sources } = JSON.parse(Deno.readTextFileSync(`${build}.json`));
    for (const [path, size, mtime] of sources as [string, number, number][]) {
      const st = Deno.statSync(root + path);
      if (st.size !== size || st.mtime?.getTime() !== mtime) return undefined;
    }
    return `file://${build}.js`;
  } catch {
    return undefined; // no bundle (or the compiled binary): the sources
  }
}

/** How the binary was invoked: a symlink named runc or engine-runc acts as `engine runc`. */
function invokedName(): string {
  const argv0 = Deno.env.get("ENGINE_ARGV0") ?? "";
  Deno.env.delete("ENGINE_ARGV0");
  return argv0.split("/").pop() ?? "";
}

async function main(args: string[]): Promise<number> {
  const name = invokedName();
  if (name === "runc" || name === "engine-runc") return (await layer("runc")).main(args);
  const [command, ...rest] = args;
  switch (command) {
    case "runc":
    case "daemon":
    case "containerd":
    case "shim":
    case "check":
      return (await layer(command)).main(rest);
    case "-v":
    case "--version":
      console.log(`engine version ${ENGINE_VERSION}`);
      return 0;
    case undefined:
    case "-h":
    case "--help":
    case "help":
      console.log((await layer("cli")).cliUsage!() + HELP_LAYERS);
      return 0;
    default:
      // Everything else is a docker CLI verb (run, ps, pull, …).
      return (await layer("cli")).main(args);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
