// Subcommand dispatch only. Each layer is imported lazily so that `engine runc`
// loads nothing but the runtime (start-up time is a product feature).
import { ENGINE_VERSION } from "./src/lib/version.ts";

const USAGE = `Usage:  engine [OPTIONS] COMMAND

A container engine: Docker's architecture in one binary.

Layers (each re-executed from this binary):
  containerd  Content, images, snapshots, containers and tasks behind one API
  runc        The OCI runtime: run an OCI bundle the way runc does

Options:
  -v, --version   Print version information and quit
  -h, --help      Print usage

Run 'engine COMMAND --help' for more information on a command.
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
    case "containerd":
      return (await import("./src/containerd/main.ts")).main(rest);
    case "shim":
      return (await import("./src/shim/main.ts")).main(rest);
    case "-v":
    case "--version":
    case "version":
      console.log(`engine version ${ENGINE_VERSION}`);
      return 0;
    case undefined:
    case "-h":
    case "--help":
    case "help":
      console.log(USAGE);
      return 0;
    default:
      console.error(`engine: '${command}' is not an engine command.\nSee 'engine --help'`);
      return 1;
  }
}

Deno.exit(await main(Deno.args));
