// `engine containerd`: content, images, snapshots, containers and tasks behind one API on
// a unix socket. A subreaper, so shims it started stay visible; clean exit on SIGTERM.
import { parseArgs } from "node:util";
import { errorMessage } from "../lib/errors.ts";
import { log, setLogFormat, setLogLevel } from "../lib/log.ts";
import { setChildSubreaper } from "../sys/libc.ts";
import { trimMemoryPeriodically } from "../lib/trim_memory.ts";
import { buildApp } from "./server.ts";
import { closeServices, openServices } from "./services.ts";
import { ROUTE_MODULES } from "./routes/mod.ts";

const USAGE = `Usage:  engine containerd [OPTIONS]

The containerd layer: content store, images, snapshots, containers and tasks.

Options:
      --root string      persistent state (default "/var/lib/engine/containerd")
      --state string     runtime state (default "/run/engine/containerd")
      --address string   API socket (default "/run/engine/containerd/containerd.sock")
      --insecure-registry list   registries reached over unverified TLS or plain HTTP
      --certs-dir list   registry certificates, <dir>/<host[:port]>/ (default
                         $ENGINE_CERTS_DIRS, else /etc/docker/certs.d and /etc/engine/certs.d)
      --runtime list     extra OCI runtimes, name=/path (engine, runc and crun are known)
  -l, --log-level string  debug, info, warn, error (default "info")
      --log-format string text or json (default "text")
  -h, --help             Print usage
`;

export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        root: { type: "string", default: "/var/lib/engine/containerd" },
        state: { type: "string", default: "/run/engine/containerd" },
        address: { type: "string" },
        "insecure-registry": { type: "string", multiple: true, default: [] },
        "certs-dir": { type: "string", multiple: true, default: [] },
        runtime: { type: "string", multiple: true, default: [] },
        "log-level": { type: "string", short: "l", default: "info" },
        "log-format": { type: "string", default: "text" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`engine containerd: ${errorMessage(e)}\n\n${USAGE}`);
    return 125;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = values["log-format"];
  if (format !== "text" && format !== "json") {
    console.error(`engine containerd: invalid log format: ${format}`);
    return 125;
  }
  setLogLevel(values["log-level"]);
  setLogFormat(format);
  const address = values.address ?? `${values.state}/containerd.sock`;
  setChildSubreaper();
  const services = await openServices({
    root: values.root,
    state: values.state,
    address,
    insecureRegistries: values["insecure-registry"],
    certsDirs: values["certs-dir"],
    runtimes: values.runtime,
  });
  await services.tasks.restore();
  const app = buildApp(services, ROUTE_MODULES);
  await Deno.mkdir(address.slice(0, address.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await Deno.remove(address).catch(() => {});
  const server = Deno.serve({ path: address, onListen() {} }, app.fetch);
  await Deno.chmod(address, 0o600);
  log("info", "engine containerd serving", { address });
  trimMemoryPeriodically();
  const stop = () => server.shutdown();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await server.finished;
  await services.tasks.close();
  closeServices(services);
  await Deno.remove(address).catch(() => {});
  return 0;
}
