// TLS for the daemon's tcp listeners, as dockerd's: --tls serves TLS with --tlscert/--tlskey;
// --tlsverify also requires a client certificate that chains to --tlscacert (Deno's node:tls
// honours requestCert + rejectUnauthorized + ca: a client without a certificate, or with one
// from another CA, fails the handshake). Files default to $DOCKER_CERT_PATH (or ~/.docker)
// /{ca,cert,key}.pem, as dockerd's do.
import type { ServerOptions } from "node:https";
import { invalidArgument } from "../lib/errors.ts";

export interface TlsSettings {
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

function certDir(): string {
  return Deno.env.get("DOCKER_CERT_PATH") || `${Deno.env.get("HOME") ?? "/root"}/.docker`;
}

async function readPem(what: string, path: string, marker: string): Promise<string> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw invalidArgument(`could not read ${what} ${path}: ${(e as Error).message}`);
  }
  if (!text.includes(marker)) throw invalidArgument(`${what} ${path} holds no PEM ${marker}`);
  return text;
}

/** The https server options for `s`, or undefined when tcp listeners serve plain HTTP. */
export async function serverTlsOptions(s: TlsSettings): Promise<ServerOptions | undefined> {
  if (!s.tls && !s.tlsVerify) return undefined;
  const dir = certDir();
  const cert = await readPem("TLS certificate", s.tlsCert ?? `${dir}/cert.pem`, "CERTIFICATE");
  const key = await readPem("TLS key", s.tlsKey ?? `${dir}/key.pem`, "PRIVATE KEY");
  if (!s.tlsVerify) return { cert, key, minVersion: "TLSv1.2" };
  const ca = await readPem("TLS CA certificate", s.tlsCaCert ?? `${dir}/ca.pem`, "CERTIFICATE");
  return { cert, key, ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" };
}
