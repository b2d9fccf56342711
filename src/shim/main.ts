// `engine shim`: one per container, started detached by containerd. The child subreaper
// of the container's processes: it runs the runtime, keeps stdio and the log, and holds
// exit statuses until they are deleted. It outlives containerd and daemon restarts.
//
// It starts unassigned, listening on the socket it is given, so containerd can keep one
// ready before a container needs it; POST /adopt gives it its container (and moves its
// socket to the path derived from the container id).
import { setChildSubreaper } from "../sys/libc.ts";
import { handler } from "./server.ts";

const USAGE = `Usage:  engine shim --socket PATH

The per-container shim (containerd-shim-runc-v2's role), started by engine containerd.
It prints "ready" once it listens, then waits for POST /adopt on its socket.`;

export async function main(args: string[]): Promise<number> {
  if (args[0] === "-h" || args[0] === "--help") {
    console.log(USAGE);
    return 0;
  }
  if (args.length !== 2 || args[0] !== "--socket" || !args[1].startsWith("/")) {
    console.error(`engine shim: want --socket /absolute/path\n${USAGE}`);
    return 2;
  }
  setChildSubreaper();
  const socket = args[1];
  await Deno.remove(socket).catch(() => {});
  let shutdown = () => {};
  const server = Deno.serve({ path: socket, onListen() {} }, handler(socket, () => shutdown()));
  shutdown = () => setTimeout(() => server.shutdown(), 20);
  await Deno.chmod(socket, 0o600);
  // Tell whoever started us that the socket is ready, then stop using stdout.
  await Deno.stdout.write(new TextEncoder().encode("ready\n")).catch(() => {});
  await server.finished;
  return 0;
}
