// `engine shim`: one per container, started detached by containerd. The child subreaper
// of the container's processes: it runs the runtime, keeps stdio and the log, and holds
// exit statuses until they are deleted. It outlives containerd and daemon restarts.
//
// It starts unassigned, listening on the socket it is given, so containerd can keep one
// ready before a container needs it; POST /adopt gives it its container (and moves its
// socket to the path derived from the container id). Until then it lives only as long as
// its spawner holds the other end of its stdin (a pipe): EOF there (containerd killed, or
// done with it) ends an idle shim, so none outlives its containerd; an adopted one stays.
import { setChildSubreaper } from "../sys/libc.ts";
import { handler } from "./server.ts";

const USAGE = `Usage:  engine shim --socket PATH

The per-container shim (containerd-shim-runc-v2's role), started by engine containerd.
It prints "ready" once it listens, then waits for POST /adopt on its socket while its
stdin stays open; end of input before the adoption stops it.`;

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
  let adopted = false;
  const server = Deno.serve(
    { path: socket, onListen() {} },
    handler(socket, () => shutdown(), () => adopted = true),
  );
  let stopping = false; // POST /shutdown and the end of stdin may both ask
  shutdown = () => {
    if (!stopping) setTimeout(() => server.shutdown(), 20);
    stopping = true;
  };
  await Deno.chmod(socket, 0o600);
  // Tell whoever started us that the socket is ready, then stop using stdout.
  await Deno.stdout.write(new TextEncoder().encode("ready\n")).catch(() => {});
  untilStdinEnds().then(async () => {
    if (adopted) return;
    shutdown();
    await Deno.remove(socket).catch(() => {});
  });
  await server.finished;
  return 0;
}

/** Settles at the end of stdin (the spawner closed its end of the pipe, or died). */
async function untilStdinEnds(): Promise<void> {
  try {
    for await (const _ of Deno.stdin.readable) { /* nothing is sent; only the end counts */ }
  } catch { /* a read error ends it as well */ }
}
