// Registry TLS as dockerd does it: per-registry CAs and client certificates from a certs.d
// directory (given with ENGINE_CERTS_DIRS or containerd's --certs-dir, never /etc), insecure registries over
// unverified HTTPS. The TLS registries listen on this machine's own non-loopback address:
// dockerd treats 127.0.0.0/8 as insecure (unverified, no client certificate), so loopback
// cannot show verification.

import assert from "node:assert/strict";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { Metadata } from "../../src/containerd/metadata/store.ts";
import { pull } from "../../src/containerd/registry/pull.ts";
import { push } from "../../src/containerd/registry/push.ts";
import { Registries } from "../../src/containerd/registry/registries.ts";
import { hostCerts } from "../../src/containerd/registry/tls.ts";
import { login } from "../../src/api/images/login.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import {
  buildImage,
  filesLayer,
  makeClientCert,
  makeServerCert,
  REGISTRY_BIN,
  startRegistry,
} from "../helpers/registry.ts";
import { command, missing, type Requirement, root } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

/** An IPv4 address of this machine that is not loopback (TLS verification needs one). */
function localAddress(): string | undefined {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address;
}

const ADDR = localAddress();
const hasAddr: Requirement = {
  ok: !!ADDR,
  reason: "needs a non-loopback IPv4 address on this machine",
  never: true,
};
const ignore = missing(root(), command(REGISTRY_BIN), command("/usr/bin/openssl"), hasAddr);

async function certsDir(root: string, host: string, files: Record<string, string>) {
  const dir = `${root}/${host}`;
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, from] of Object.entries(files)) await Deno.copyFile(from, `${dir}/${name}`);
}

Deno.test(
  { name: "registry TLS: certs.d reading", ignore: missing(command("/usr/bin/openssl")) },
  async () => {
    await using dir = await tempDir();
    const cert = await makeServerCert(dir.path);
    const client = await makeClientCert(dir.path);
    const root = `${dir.path}/certs.d`;
    await certsDir(root, "reg.example:5000", {
      "ca.crt": cert.caPath,
      "client.cert": client.certPath,
      "client.key": client.keyPath,
    });
    const got = hostCerts("reg.example:5000", [root, `${dir.path}/none`]);
    assert.equal(got.caCerts.length, 1);
    assert.match(got.cert ?? "", /BEGIN CERTIFICATE/);
    assert.match(got.key ?? "", /PRIVATE KEY/);
    assert.deepEqual(hostCerts("other:5000", [root]), { caCerts: [] });
    assert.deepEqual(hostCerts("../x", [root]), { caCerts: [] }, "no path outside the root");
    await Deno.remove(`${root}/reg.example:5000/client.key`);
    assert.throws(() => hostCerts("reg.example:5000", [root]), /missing key client.key/);
  },
);

Deno.test(
  { name: "registry TLS: library — CA, client certificate, insecure", ignore },
  async () => {
    await using dir = await tempDir();
    const cert = await makeServerCert(dir.path, [ADDR!]);
    const client = await makeClientCert(dir.path);
    await using reg = await startRegistry({ tls: cert, address: ADDR });
    await using mtls = await startRegistry({
      tls: { ...cert, clientCAs: [cert.caPath] },
      address: ADDR,
    });
    const root = `${dir.path}/certs.d`;
    await certsDir(root, reg.host, { "ca.crt": cert.caPath });
    await certsDir(root, mtls.host, {
      "ca.crt": cert.caPath,
      "client.cert": client.certPath,
      "client.key": client.keyPath,
    });
    const src = await new ContentStore(`${dir.path}/src`).init();
    const img = await buildImage(src, [await filesLayer({ "etc/hostname": "tls\n" })]);
    const content = await new ContentStore(`${dir.path}/dst`).init();
    using meta = Metadata.open(`${dir.path}/meta.db`, content);
    const registries = new Registries({ certsDirs: [root], attempts: 1 });

    for (const r of [reg, mtls]) {
      const ref = `${r.host}/tls/app:1`;
      await push(ref, { content: src, registries, target: img.manifest });
      const got = await pull(ref, { content, meta, registries });
      assert.equal(got.manifestDescriptor.digest, img.manifest.digest);
      assert.equal(registries.transport(r.host).base, `https://${r.host}`);
    }

    // Without the CA: refused, with the reason.
    const bare = new Registries({ certsDirs: [`${dir.path}/empty`], attempts: 1 });
    await assert.rejects(
      pull(`${reg.host}/tls/app:1`, { content, meta, registries: bare }),
      (e: Error & { kind: string }) =>
        e.kind === "unavailable" && /x509: certificate signed by unknown authority/.test(e.message),
    );
    // The CA but no client certificate: the handshake fails.
    await Deno.remove(`${root}/${mtls.host}/client.cert`);
    await Deno.remove(`${root}/${mtls.host}/client.key`);
    await assert.rejects(
      pull(`${mtls.host}/tls/app:1`, {
        content,
        meta,
        registries: new Registries({ certsDirs: [root], attempts: 1 }),
      }),
      (e: Error & { kind: string }) => e.kind === "unavailable",
    );
    // Insecure: HTTPS without verification, no CA needed.
    const insecure = new Registries({ insecure: [reg.host], certsDirs: [], attempts: 1 });
    const got = await pull(`${reg.host}/tls/app:1`, { content, meta, registries: insecure });
    assert.equal(got.manifestDescriptor.digest, img.manifest.digest);
    assert.equal(insecure.transport(reg.host).endpoint.tls, "skip");
    // CIDR form.
    const cidr = new Registries({ insecure: [`${ADDR}/32`], certsDirs: [], attempts: 1 });
    await pull(`${reg.host}/tls/app:1`, { content, meta, registries: cidr });

    // Login (the daemon's /auth) goes through the same certificates.
    const signal = new AbortController().signal;
    assert.equal(await login({ serveraddress: reg.host }, { certsDirs: [root] }, signal), "");
    await assert.rejects(
      login({ serveraddress: reg.host }, { certsDirs: [`${dir.path}/empty`] }, signal),
      /certificate|UnknownIssuer/i,
    );
  },
);

Deno.test({ name: "registry TLS: through the daemon (ENGINE_CERTS_DIRS)", ignore }, async () => {
  await using dir = await tempDir();
  const cert = await makeServerCert(dir.path, [ADDR!]);
  const client = await makeClientCert(dir.path);
  await using reg = await startRegistry({ tls: cert, address: ADDR });
  await using mtls = await startRegistry({
    tls: { ...cert, clientCAs: [cert.caPath] },
    address: ADDR,
  });
  const root = `${dir.path}/certs.d`;
  await certsDir(root, reg.host, { "ca.crt": cert.caPath });
  await certsDir(root, mtls.host, {
    "ca.crt": cert.caPath,
    "client.cert": client.certPath,
    "client.key": client.keyPath,
  });
  // The daemon (login) and its containerd (pull, push) read the same roots.
  Deno.env.set("ENGINE_CERTS_DIRS", root);
  const d = await startDaemon().finally(() => Deno.env.delete("ENGINE_CERTS_DIRS"));
  try {
    const engine = (args: string[]) => d.docker(ENGINE, ["-H", d.host, ...args]);
    const ok = async (args: string[]) => {
      const r = await engine(args);
      assert.equal(r.code, 0, `engine ${args.join(" ")}: ${r.err}`);
      return r.out;
    };
    for (const r of [reg, mtls]) {
      const ref = `${r.host}/tls/bb:1`;
      await ok(["tag", "busybox", ref]);
      assert.match(await ok(["push", ref]), /: digest: sha256:/);
      await ok(["rmi", ref]);
      assert.match(await ok(["pull", ref]), /Downloaded newer image/);
      await ok(["rmi", ref]);
    }
    assert.match(await ok(["login", "-u", "x", "-p", "y", reg.host]), /Login Succeeded/);

    // A registry whose CA is not in certs.d: a clear error, no image.
    await using otherDir = await tempDir();
    const other = await makeServerCert(otherDir.path, [ADDR!]);
    await using stranger = await startRegistry({ tls: other, address: ADDR });
    const r = await engine(["pull", `${stranger.host}/tls/bb:1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /certificate|UnknownIssuer/i);
    const images = await ok(["images", "-q", `${stranger.host}/tls/bb`]);
    assert.equal(images.trim(), "");
  } finally {
    await d.close();
  }
});

Deno.test({
  name: "registry TLS: loopback falls back from HTTPS to HTTP once, with requests in parallel",
  ignore: missing(command(REGISTRY_BIN)),
}, async () => {
  await using reg = await startRegistry();
  const registries = new Registries({ attempts: 1 });
  const repo = registries.repository({ domain: reg.host, path: "none/here" });
  assert.equal(repo.transport.endpoint.tls, "skip", "127.0.0.0/8: unverified HTTPS first");
  const sizes = await Promise.all(
    Array.from({ length: 6 }, (_, i) => repo.blobSize(`sha256:${String(i).repeat(64)}`)),
  );
  assert.deepEqual(sizes, Array(6).fill(undefined));
  assert.equal(repo.transport.base, `http://${reg.host}`);
});
