// Registry test harness: a real Debian docker-registry (distribution 2.8) on 127.0.0.1,
// started and stopped by pid; optional htpasswd or token auth (with a small JWT issuer);
// test images built from Debian's busybox-static.

import { gzipSync } from "node:zlib";
import { type Descriptor, MediaType, type Platform } from "../../src/containerd/content/oci.ts";
import { type ContentStore, sha256Digest } from "../../src/containerd/content/store.ts";
import { makeBusyboxRootfs } from "./rootfs.ts";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const HTPASSWD_BIN = "/usr/bin/htpasswd";

export function freePort(hostname = "127.0.0.1"): number {
  const l = Deno.listen({ hostname, port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<Uint8Array> {
  const out = await new Deno.Command(cmd, { args, ...opts, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
}

export interface RegistryOptions {
  /** htpasswd basic auth with these users. */
  htpasswd?: Record<string, string>;
  token?: TokenAuth;
  /** Serve HTTPS with this PEM certificate and key; with `clientCAs`, require a client cert. */
  tls?: { certPath: string; keyPath: string; clientCAs?: string[] };
  /** Listen address (default 127.0.0.1): one of this machine's. */
  address?: string;
}

export interface Registry extends AsyncDisposable {
  /** "127.0.0.1:PORT" or "[::1]:PORT" */
  host: string;
  pid: number;
  dir: string;
  /** The registry's storage root: `<dir>/data/docker/registry/v2`. */
  storage: string;
  log: () => Promise<string>;
  /** GET requests the registry served for a blob digest. */
  blobGets: (digest: string) => Promise<number>;
  stop: () => Promise<void>;
}

/** Starts docker-registry in its own temp dir; stop() (or dispose) kills it by pid. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const dir = await Deno.makeTempDir({ prefix: "engine-registry-" });
  const address = opts.address ?? "127.0.0.1";
  const port = freePort(address);
  const host = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  let auth = "";
  if (opts.htpasswd) {
    let lines = "";
    for (const [u, p] of Object.entries(opts.htpasswd)) {
      lines += new TextDecoder().decode(await run(HTPASSWD_BIN, ["-Bbn", u, p])).trim() + "\n";
    }
    await Deno.writeTextFile(`${dir}/htpasswd`, lines);
    auth = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${dir}/htpasswd\n`;
  } else if (opts.token) {
    const t = opts.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n` +
      `    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
  }
  await Deno.writeTextFile(
    `${dir}/config.yml`,
    `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${dir}/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: ${JSON.stringify(host)}
${
      opts.tls
        ? `  tls:\n    certificate: ${opts.tls.certPath}\n    key: ${opts.tls.keyPath}\n` +
          (opts.tls.clientCAs?.length
            ? `    clientcas:\n${opts.tls.clientCAs.map((c) => `      - ${c}\n`).join("")}`
            : "")
        : ""
    }  secret: engine-test-secret
${auth}`,
  );
  const logPath = `${dir}/registry.log`;
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `exec ${REGISTRY_BIN} serve "$1" >"$2" 2>&1`, "sh", `${dir}/config.yml`, logPath],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await child.status;
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const log = () => Deno.readTextFile(logPath).catch(() => "");
  try {
    await waitReady(address, port, !!opts.tls, child, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    pid: child.pid,
    dir,
    storage: `${dir}/data/docker/registry/v2`,
    log,
    blobGets: async (digest) =>
      (await log()).split("\n").filter((l) =>
        l.includes('"GET /v2/') && l.includes(`/blobs/${digest} HTTP/`)
      ).length,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function waitReady(
  hostname: string,
  port: number,
  tls: boolean,
  child: Deno.ChildProcess,
  log: () => Promise<string>,
) {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 200; i++) {
    if (exited) throw new Error(`docker-registry exited early:\n${await log()}`);
    try {
      if (tls) {
        (await Deno.connect({ hostname, port })).close();
        return;
      }
      const h = hostname.includes(":") ? `[${hostname}]` : hostname;
      const r = await fetch(`http://${h}:${port}/v2/`);
      await r.body?.cancel();
      if (r.status === 200 || r.status === 401) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`docker-registry did not answer on ${hostname} ${port}:\n${await log()}`);
}

/** A CA and a server certificate for `ips` signed by it (openssl), as PEM paths. */
export async function makeServerCert(
  dir: string,
  ips: string[] = ["127.0.0.1", "::1"],
): Promise<{ caPath: string; certPath: string; keyPath: string }> {
  const caPath = `${dir}/ca.crt`;
  const certPath = `${dir}/server.crt`;
  const keyPath = `${dir}/server.key`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    caPath,
    "-days",
    "2",
    "-subj",
    "/CN=engine-test-ca",
  ]);
  await run("openssl", [
    "req",
    "-new",
    ...ec,
    "-keyout",
    keyPath,
    "-out",
    `${dir}/server.csr`,
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n" +
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(",")}\n`,
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    caPath,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    certPath,
    "-days",
    "2",
    "-extfile",
    `${dir}/server.ext`,
  ]);
  return { caPath, certPath, keyPath };
}

/** A client certificate (CN `cn`) signed by the CA makeServerCert wrote in `dir`. */
export async function makeClientCert(
  dir: string,
  cn = "engine-test-client",
): Promise<{ certPath: string; keyPath: string }> {
  const certPath = `${dir}/client.cert`;
  const keyPath = `${dir}/client.key`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-new",
    ...ec,
    "-keyout",
    keyPath,
    "-out",
    `${dir}/client.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await Deno.writeTextFile(
    `${dir}/client.ext`,
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/client.csr`,
    "-CA",
    `${dir}/ca.crt`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    certPath,
    "-days",
    "2",
    "-extfile",
    `${dir}/client.ext`,
  ]);
  return { certPath, keyPath };
}

/** Path of a blob's data file inside the registry's storage (to corrupt it). */
export function registryBlobPath(reg: Registry, digest: string): string {
  const hex = digest.slice("sha256:".length);
  return `${reg.storage}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

// ---- test images ----

/** A tar of `dir`'s contents (GNU tar, numeric owners, stable order). */
export async function tarDir(dir: string): Promise<Uint8Array> {
  return await run("tar", ["--sort=name", "--numeric-owner", "-C", dir, "-cf", "-", "."]);
}

/** A tar of a busybox rootfs. */
export async function busyboxLayer(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "engine-layer-" });
  try {
    await makeBusyboxRootfs(dir);
    return await tarDir(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A tar holding the given files (name → content). */
export async function filesLayer(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "engine-layer-" });
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = `${dir}/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
    }
    return await tarDir(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export interface TestImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

async function store(content: ContentStore, bytes: Uint8Array, mediaType: string) {
  const digest = sha256Digest(bytes);
  await content.write({ digest, size: bytes.length }, bytes);
  return { mediaType, digest, size: bytes.length };
}

/**
 * Writes an image (config, layers, manifest) into `content`. Layers are tars; gzipped
 * unless `gzip: false`. `oci` picks OCI media types instead of Docker schema2.
 */
export async function buildImage(
  content: ContentStore,
  tars: Uint8Array[],
  opts: { platform?: Platform; oci?: boolean; gzip?: boolean } = {},
): Promise<TestImage> {
  const oci = opts.oci ?? false;
  const gzip = opts.gzip ?? true;
  const platform = opts.platform ?? { os: "linux", architecture: "amd64" };
  const layerType = oci
    ? (gzip ? MediaType.ociLayerGzip : MediaType.ociLayer)
    : MediaType.dockerLayerGzip;
  const layers: Descriptor[] = [];
  for (const tar of tars) {
    layers.push(await store(content, gzip ? gzipSync(tar, { level: 1 }) : tar, layerType));
  }
  const config = await store(
    content,
    new TextEncoder().encode(JSON.stringify({
      ...platform,
      config: { Cmd: ["/bin/sh"], Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: tars.map((t) => sha256Digest(t)) },
      history: tars.map(() => ({ created_by: "engine test" })),
    })),
    oci ? MediaType.ociConfig : MediaType.dockerConfig,
  );
  const mediaType = oci ? MediaType.ociManifest : MediaType.dockerManifest;
  const manifest = await store(
    content,
    new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType, config, layers })),
    mediaType,
  );
  return { manifest, config, layers };
}

/** Writes an OCI index over manifests with their platforms. */
export async function buildIndex(
  content: ContentStore,
  entries: { manifest: Descriptor; platform: Platform }[],
): Promise<Descriptor> {
  const manifests = entries.map((e) => ({ ...e.manifest, platform: e.platform }));
  return await store(
    content,
    new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }),
    ),
    MediaType.ociIndex,
  );
}

// ---- token issuer (distribution token auth) ----

export interface TokenIssuer extends AsyncDisposable {
  auth: TokenAuth;
  /** The scopes of every token request served, in order. */
  requests: { scopes: string[]; user?: string }[];
  stop: () => Promise<void>;
}

const b64url = (b: Uint8Array | string) =>
  btoa(typeof b === "string" ? b : String.fromCharCode(...b))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const m = pem.match(new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`));
  if (!m) throw new Error(`no ${label} in PEM`);
  return Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

/**
 * A token server for docker-registry's `auth: token`: an EC P-256 certificate made with
 * openssl (the registry's rootcertbundle), ES256 JWTs carrying the cert in `x5c`. Grants
 * every requested action to users with the right password; refuses anonymous requests.
 */
export async function startTokenIssuer(users: Record<string, string>): Promise<TokenIssuer> {
  const dir = await Deno.makeTempDir({ prefix: "engine-issuer-" });
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${dir}/key.pem`,
    "-out",
    `${dir}/cert.pem`,
    "-days",
    "2",
    "-subj",
    "/CN=engine-test-issuer",
  ]);
  const certDer = pemBody(await Deno.readTextFile(`${dir}/cert.pem`), "CERTIFICATE");
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(await Deno.readTextFile(`${dir}/key.pem`), "PRIVATE KEY"),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const service = "engine-test-registry";
  const issuer = "engine-test-issuer";
  const requests: TokenIssuer["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const scopes = url.searchParams.getAll("scope");
    const basic = req.headers.get("authorization")?.match(/^Basic (.+)$/);
    const [user, pass] = basic ? atob(basic[1]).split(":") : [];
    requests.push({ scopes, user });
    if (!user || users[user] !== pass) {
      return Response.json({ details: "unauthorized" }, { status: 401 });
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(":");
      const actions = rest.pop()!.split(",");
      return { type, name: rest.join(":"), actions };
    });
    const header = { typ: "JWT", alg: "ES256", x5c: [btoa(String.fromCharCode(...certDer))] };
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      new TextEncoder().encode(input),
    );
    const token = `${input}.${b64url(new Uint8Array(sig))}`;
    return Response.json({ token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  const stop = async () => {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    auth: {
      realm: `http://127.0.0.1:${server.addr.port}/token`,
      service,
      issuer,
      certPath: `${dir}/cert.pem`,
    },
    requests,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
