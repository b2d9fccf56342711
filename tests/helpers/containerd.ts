// `engine containerd`'s API in this process, for integration tests: openServices over a
// short temp dir (socket paths hold at most 107 bytes), buildApp with the route modules,
// Deno.serve on a unix socket. close() (or `await using`) stops the server, closes the
// stores and removes the directory.

import { buildApp, type RouteModule } from "../../src/containerd/server.ts";
import { ROUTE_MODULES } from "../../src/containerd/routes/mod.ts";
import {
  closeServices,
  type ContainerdOptions,
  openServices,
  type Services,
} from "../../src/containerd/services.ts";

export interface InProcessContainerd extends AsyncDisposable {
  services: Services;
  /** The API socket. */
  socket: string;
  /** The temp dir holding root/, state/ and the socket. */
  dir: string;
  close(): Promise<void>;
}

export interface InProcessOptions extends Partial<Omit<ContainerdOptions, "address">> {
  /** Default: every module `engine containerd` serves. */
  modules?: RouteModule[];
}

export async function startInProcessContainerd(
  opts: InProcessOptions = {},
): Promise<InProcessContainerd> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ei" });
  const socket = `${dir}/c.sock`;
  let services: Services | undefined;
  let server: Deno.HttpServer | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server?.shutdown().catch(() => {});
    if (services) closeServices(services);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const { modules, ...rest } = opts;
    services = await openServices({
      root: `${dir}/root`,
      state: `${dir}/state`,
      ...rest,
      address: socket,
    });
    const app = buildApp(services, modules ?? ROUTE_MODULES);
    server = Deno.serve({ path: socket, onListen() {} }, app.fetch);
    await Deno.chmod(socket, 0o600);
  } catch (err) {
    await close();
    throw err;
  }
  return { services, socket, dir, close, [Symbol.asyncDispose]: close };
}
