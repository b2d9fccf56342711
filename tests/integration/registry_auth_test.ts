// Registry auth: credentials from a docker config.json, WWW-Authenticate parsing, htpasswd
// basic auth and the bearer-token flow against a real docker-registry and a test issuer.

import assert from "node:assert/strict";
import { ContentStore } from "../../src/containerd/content/store.ts";
import { Metadata } from "../../src/containerd/metadata/store.ts";
import { parseWwwAuthenticate } from "../../src/containerd/registry/auth.ts";
import {
  configPath,
  loadDockerConfig,
  parseDockerConfig,
} from "../../src/containerd/registry/credentials.ts";
import {
  endpoints,
  type HostsConfig,
  validateInsecureEntry,
} from "../../src/containerd/registry/hosts.ts";
import { pull } from "../../src/containerd/registry/pull.ts";
import { push } from "../../src/containerd/registry/push.ts";
import { Registries } from "../../src/containerd/registry/registries.ts";
import {
  buildImage,
  filesLayer,
  HTPASSWD_BIN,
  makeServerCert,
  REGISTRY_BIN,
  startRegistry,
  startTokenIssuer,
} from "../helpers/registry.ts";
import { command, missing } from "../helpers/require.ts";
import { tempDir } from "../helpers/rootfs.ts";

const ignore = missing(command(REGISTRY_BIN), command(HTPASSWD_BIN), command("/usr/bin/openssl"));
const b64 = (s: string) => btoa(s);

Deno.test("registry auth: docker config.json lookups", async () => {
  const lookup = parseDockerConfig(JSON.stringify({
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hub:secret") },
      "127.0.0.1:5000": { auth: b64("local:pw:with:colons") },
      "https://example.com/v2/": { username: "u", password: "p" },
      "empty.example": {},
    },
    credsStore: "ignored",
  }));
  assert.deepEqual(lookup("docker.io"), { username: "hub", password: "secret" });
  assert.deepEqual(lookup("127.0.0.1:5000"), { username: "local", password: "pw:with:colons" });
  assert.deepEqual(lookup("example.com"), { username: "u", password: "p" });
  assert.equal(lookup("empty.example"), undefined);
  assert.equal(lookup("127.0.0.1:5001"), undefined);
  assert.throws(() => parseDockerConfig(`{"auths":{"x":{"auth":"!!"}}}`), /not valid base64/);
  assert.throws(() => parseDockerConfig("{"), /docker config/);
  assert.equal(
    configPath((k) => ({ DOCKER_CONFIG: "/etc/dc", HOME: "/h" })[k]),
    "/etc/dc/config.json",
  );
  assert.equal(configPath((k) => ({ HOME: "/h" })[k]), "/h/.docker/config.json");
  assert.equal((await loadDockerConfig("/nonexistent/config.json"))("docker.io"), undefined);
});

Deno.test("registry auth: WWW-Authenticate and hosts", () => {
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    ),
    [{
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/busybox:pull",
      },
    }],
  );
  assert.deepEqual(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm=x'), [
    { scheme: "basic", params: { realm: 'a "b"' } },
    { scheme: "bearer", params: { realm: "x" } },
  ]);
  const bases = (domain: string, cfg: HostsConfig = {}) =>
    endpoints(domain, cfg).map((e) => `${e.base} ${e.tls}${e.mirror ? " mirror" : ""}`);
  assert.deepEqual(bases("docker.io"), ["https://registry-1.docker.io verify"]);
  assert.deepEqual(bases("localhost:5000"), [
    "https://localhost:5000 skip",
    "http://localhost:5000 none",
  ]);
  assert.deepEqual(bases("127.1.2.3:80"), [
    "https://127.1.2.3:80 skip",
    "http://127.1.2.3:80 none",
  ]);
  assert.deepEqual(
    bases("[::1]:5000"),
    ["https://[::1]:5000 verify"],
    "only 127.0.0.0/8, as dockerd",
  );
  assert.deepEqual(bases("reg.example:5000"), ["https://reg.example:5000 verify"]);
  assert.deepEqual(bases("reg.example:5000", { insecure: ["reg.example:5000"] }), [
    "https://reg.example:5000 skip",
    "http://reg.example:5000 none",
  ]);
  assert.deepEqual(bases("reg.example", { insecure: ["reg.example"] }).length, 2);
  assert.deepEqual(bases("10.1.2.3:5000", { insecure: ["10.0.0.0/8"] }).length, 2);
  assert.deepEqual(bases("[fd00::5]:5000", { insecure: ["fd00::/64"] }).length, 2);
  assert.deepEqual(bases("11.1.2.3:5000", { insecure: ["10.0.0.0/8"] }).length, 1);
  assert.deepEqual(bases("127.0.0.1:5000", { secure: ["127.0.0.1:5000"] }), [
    "https://127.0.0.1:5000 verify",
  ]);
  assert.deepEqual(
    bases("docker.io", { mirrors: ["http://127.0.0.1:5001/", "https://m.example"] }),
    [
      "http://127.0.0.1:5001 none mirror",
      "https://m.example verify mirror",
      "https://registry-1.docker.io verify",
    ],
  );
  assert.deepEqual(bases("quay.io", { mirrors: ["https://m.example"] }), [
    "https://quay.io verify",
  ]);
  assert.throws(() => validateInsecureEntry("10.0.0.0/99"), /invalid CIDR/);
  assert.throws(() => validateInsecureEntry("a b"), /host\[:port\]/);
});

async function setup(dir: string, host: string, user: string, pass: string, key = host) {
  const src = await new ContentStore(`${dir}/src`).init();
  const img = await buildImage(src, [await filesLayer({ "etc/hostname": "auth\n" })]);
  const cfgDir = `${dir}/docker-config`;
  await Deno.mkdir(cfgDir);
  await Deno.writeTextFile(
    `${cfgDir}/config.json`,
    JSON.stringify({ auths: { [key]: { auth: b64(`${user}:${pass}`) } } }),
  );
  const credentials = await loadDockerConfig(
    configPath((k) => k === "DOCKER_CONFIG" ? cfgDir : undefined),
  );
  const content = await new ContentStore(`${dir}/dst`).init();
  const meta = Metadata.open(`${dir}/meta.db`, content);
  return { src, img, credentials, content, meta };
}

Deno.test({ name: "registry auth: htpasswd basic auth", ignore }, async () => {
  await using reg = await startRegistry({ htpasswd: { alice: "s3cret" } });
  await using dir = await tempDir();
  const s = await setup(dir.path, reg.host, "alice", "s3cret");
  using _ = s.meta;
  const ref = `${reg.host}/private/app:1`;
  const registries = new Registries({ credentials: s.credentials });
  const pushed = await push(ref, { content: s.src, registries, target: s.img.manifest });
  assert.equal(pushed.uploaded.length, 2);
  const got = await pull(ref, {
    content: s.content,
    meta: s.meta,
    registries: new Registries({ credentials: s.credentials }),
  });
  assert.equal(got.manifestDescriptor.digest, s.img.manifest.digest);

  await assert.rejects(
    pull(ref, { content: s.content, meta: s.meta, registries: new Registries() }),
    /401 unauthorized/,
  );
  const wrong = new Registries({ credentials: () => ({ username: "alice", password: "nope" }) });
  await assert.rejects(pull(ref, { content: s.content, meta: s.meta, registries: wrong }), /401/);
});

Deno.test({ name: "registry auth: bearer tokens from an issuer", ignore }, async () => {
  await using issuer = await startTokenIssuer({ bob: "hunter2" });
  await using reg = await startRegistry({ token: issuer.auth });
  await using dir = await tempDir();
  // An auths key in URL form: "http://127.0.0.1:PORT".
  const s = await setup(dir.path, reg.host, "bob", "hunter2", `http://${reg.host}`);
  using _ = s.meta;
  const ref = `${reg.host}/team/app:1`;
  const registries = new Registries({ credentials: s.credentials });
  await push(ref, { content: s.src, registries, target: s.img.manifest });
  assert.ok(issuer.requests.some((r) => r.scopes.includes("repository:team/app:pull,push")));

  issuer.requests.length = 0;
  const puller = new Registries({ credentials: s.credentials });
  const opts = { content: s.content, meta: s.meta, registries: puller };
  const got = await pull(ref, opts);
  assert.equal(got.manifestDescriptor.digest, s.img.manifest.digest);
  await pull(ref, opts);
  await pull(`${reg.host}/team/app@${s.img.manifest.digest}`, opts);
  const pulls = issuer.requests.filter((r) => r.scopes.join() === "repository:team/app:pull");
  assert.equal(pulls.length, 1, "one token per scope, cached");
  assert.equal(pulls[0].user, "bob");

  await assert.rejects(
    pull(ref, { ...opts, registries: new Registries() }),
    /token .*401: unauthorized/,
  );
});

Deno.test({ name: "registry: HTTPS with a trusted CA, refused without it", ignore }, async () => {
  await using dir = await tempDir();
  const cert = await makeServerCert(dir.path);
  await using reg = await startRegistry({ tls: cert });
  const s = await setup(dir.path, reg.host, "nobody", "x");
  using _ = s.meta;
  const ref = `${reg.host}/tls/app:1`;
  const pem = await Deno.readTextFile(cert.caPath);
  const registries = new Registries({ secure: [reg.host], caCerts: [pem] });
  assert.equal(registries.transport(reg.host).base, `https://${reg.host}`);
  await push(ref, { content: s.src, registries, target: s.img.manifest });
  const got = await pull(ref, { content: s.content, meta: s.meta, registries });
  assert.equal(got.manifestDescriptor.digest, s.img.manifest.digest);
  await assert.rejects(
    pull(ref, {
      content: s.content,
      meta: s.meta,
      registries: new Registries({ secure: [reg.host], attempts: 1 }),
    }),
    (e: Error & { kind: string }) =>
      e.kind === "unavailable" && /certificate|UnknownIssuer/i.test(e.message),
  );
});
