// Subcommand dispatch only. Each layer is imported lazily so that `engine runc`
// loads nothing but the runtime (start-up time is a product feature).
import { ENGINE_VERSION } from "./src/lib/version.ts";

const LAYERS = `
Layers (each re-executed from this binary):
  daemon      The Engine API (dockerd): containers, images, exec, logs, events
  containerd  Content, images, snapshots, containers and tasks behind one API
  shim        The per-container shim, started by containerd
  runc        The OCI runtime: run an OCI bundle the way runc does

Host:
  check       Check this host for what the engine needs
`;

/** How the binary was invoked: a symlink named runc or engine-runc acts as `engine runc`. */
function invokedName(): string {
  const argv0 = Deno.env.get("ENGINE_ARGV0") ?? "";
  Deno.env.delete("ENGINE_ARGV0");
  return argv0.split("/").pop() ?? "";
}

async function main(args: string[]): Promise<number> {
  const name = invokedName();
  if (name === "runc" || name === "engine-runc") {
    return (await import("./src/runc/main.ts")).main(args);
  }
  const [command, ...rest] = args;
  switch (command) {
    case "runc":
      return (await import("./src/runc/main.ts")).main(rest);
    case "daemon":
      return (await import("./src/api/main.ts")).main(rest);
    case "containerd":
      return (await import("./src/containerd/main.ts")).main(rest);
    case "shim":
      return (await import("./src/shim/main.ts")).main(rest);
    case "check":
      return (await import("./src/check/main.ts")).main(rest);
    case "-v":
    case "--version":
      console.log(`engine version ${ENGINE_VERSION}`);
      return 0;
    case undefined:
    case "-h":
    case "--help":
    case "help": {
      const cli = await import("./src/cli/main.ts");
      console.log(cli.cliUsage() + LAYERS);
      return 0;
    }
    default:
      // Everything else is a docker CLI verb (run, ps, pull, …).
      return (await import("./src/cli/main.ts")).main(args);
  }
}

Deno.exit(await main(Deno.args));
