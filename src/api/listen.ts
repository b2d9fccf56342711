// The daemon's listeners: unix sockets (0660, group docker when it exists) and tcp. A tcp
// listener reaches root on this machine: without --tlsverify (client certificates) it may
// only bind a loopback address; TLS itself is set up by the server (see tls.ts).
import type http from "node:http";
import { invalidArgument } from "../lib/errors.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export interface Listener {
  address: string;
  close(): Promise<void>;
}

function dockerGid(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/etc/group").split("\n").find((l) =>
      l.startsWith("docker:")
    );
    const gid = Number(line?.split(":")[2]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

export function checkHost(host: string, tlsVerify = false): { kind: "unix"; path: string } | {
  kind: "tcp";
  host: string;
  port: number;
} {
  if (host.startsWith("unix://")) return { kind: "unix", path: host.slice(7) };
  if (host.startsWith("/")) return { kind: "unix", path: host };
  if (host.startsWith("tcp://")) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(host);
    if (!m) throw invalidArgument(`invalid tcp address ${host}: expected tcp://HOST:PORT`);
    if (!LOOPBACK.has(m[1]) && !tlsVerify) {
      throw invalidArgument(
        `refusing to listen on ${host} without --tlsverify: anyone reaching it would be root ` +
          `on this machine; use a loopback address (127.0.0.1, ::1, localhost) or ` +
          `--tlsverify with --tlscacert, --tlscert and --tlskey`,
      );
    }
    return { kind: "tcp", host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  }
  throw invalidArgument(`invalid host ${host}: expected unix://PATH or tcp://HOST:PORT`);
}

export async function listen(
  server: http.Server,
  host: string,
  tlsVerify = false,
): Promise<Listener> {
  const h = checkHost(host, tlsVerify);
  if (h.kind === "unix") {
    const dir = h.path.slice(0, h.path.lastIndexOf("/")) || "/";
    await Deno.mkdir(dir, { recursive: true, mode: 0o711 });
    await Deno.remove(h.path).catch(() => {});
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(h.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    await Deno.chmod(h.path, 0o660);
    const gid = dockerGid();
    if (gid !== undefined) await Deno.chown(h.path, 0, gid).catch(() => {});
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(h.port, h.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }
  return {
    address: host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        if (h.kind === "unix") Deno.remove(h.path).catch(() => {});
      }),
  };
}
