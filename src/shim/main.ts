// `engine shim`: one per container, started detached by containerd. The child subreaper
// of the container's processes: it runs the runtime, keeps stdio and the log, and holds
// exit statuses until they are deleted. It outlives containerd and daemon restarts.
import { setChildSubreaper } from "../sys/libc.ts";
import { handler } from "./server.ts";
import { TaskService } from "./service.ts";

const USAGE = `Usage:  engine shim --id ID --bundle DIR --socket PATH --work DIR --runtime PATH
                   [--runtime-arg ARG]... [--runtime-root DIR]

The per-container shim (containerd-shim-runc-v2's role). Started by engine containerd.`;

function parse(args: string[]) {
  const o: Record<string, string> = {};
  const runtimeArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") return null;
    if (!a.startsWith("--") || i + 1 >= args.length) throw new Error(`bad argument ${a}`);
    const v = args[++i];
    if (a === "--runtime-arg") runtimeArgs.push(v);
    else o[a.slice(2)] = v;
  }
  for (const k of ["id", "bundle", "socket", "work", "runtime"]) {
    if (!o[k]) throw new Error(`--${k} is required`);
  }
  if (!/^[\w+.-]{1,128}$/.test(o.id)) throw new Error(`invalid id ${o.id}`);
  return {
    id: o.id,
    bundle: o.bundle,
    socket: o.socket,
    work: o.work,
    runtime: o.runtime,
    runtimeArgs,
    runtimeRoot: o["runtime-root"] ?? `${o.work}/runtime`,
  };
}

export async function main(args: string[]): Promise<number> {
  let o;
  try {
    o = parse(args);
  } catch (e) {
    console.error(`engine shim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  setChildSubreaper();
  await Deno.mkdir(o.work, { recursive: true, mode: 0o700 });
  const svc = new TaskService({
    id: o.id,
    bundle: o.bundle,
    workDir: o.work,
    runtime: { path: o.runtime, args: o.runtimeArgs, root: o.runtimeRoot },
  });
  await Deno.remove(o.socket).catch(() => {});
  const server = Deno.serve({ path: o.socket, onListen() {} }, handler(svc));
  await Deno.chmod(o.socket, 0o600);
  svc.onDeleted = () => setTimeout(() => server.shutdown(), 20);
  // Tell whoever started us that the socket is ready, then stop using stdout.
  await Deno.stdout.write(new TextEncoder().encode("ready\n")).catch(() => {});
  await server.finished;
  await Deno.remove(o.socket).catch(() => {});
  await Deno.remove(o.work, { recursive: true }).catch(() => {});
  return 0;
}
