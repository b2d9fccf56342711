// TLS on the daemon's tcp listener: a CA, server and client certificates made with openssl;
// our CLI (flags and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) and the docker CLIs talk to it,
// hijacked streams (attach, exec) included; clients without a certificate, with one from
// another CA, or speaking plain HTTP are refused; tcp off loopback needs --tlsverify.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";

const CLIS = ["/usr/bin/docker", "/usr/local/bin/docker"].filter((b) => command(b).ok);
const ignore = missing(root(), command("/usr/bin/openssl"), command("/usr/bin/curl"));

async function sh(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A CA with a server (127.0.0.1) and a client certificate, in docker's file names. */
async function makeCerts(dir: string, name: string, withServer: boolean): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await sh("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
  ], dir);
  const sign = async (prefix: string, cn: string, ext: string) => {
    await Deno.writeTextFile(`${dir}/${prefix}.ext`, ext);
    await sh("openssl", [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${prefix}key.pem`,
      "-out",
      `${prefix}.csr`,
      "-subj",
      `/CN=${cn}`,
    ], dir);
    await sh("openssl", [
      "x509",
      "-req",
      "-in",
      `${prefix}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      `${prefix}cert.pem`,
      "-days",
      "1",
      "-extfile",
      `${prefix}.ext`,
    ], dir);
  };
  if (withServer) {
    await sign(
      "server-",
      "localhost",
      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
  }
  await sign("", "client", "extendedKeyUsage=clientAuth\n");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function cli(
  bin: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const p = new Deno.Command(bin, {
    args,
    env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await p.output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

async function curlStatus(args: string[]): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return Number(new TextDecoder().decode(out.stdout)) || 0;
}

Deno.test({ name: "daemon TLS: --tlsverify with our CLI and docker's", ignore }, async () => {
  const certs = await Deno.makeTempDir({ prefix: "engine-tls-" });
  try {
    await makeCerts(certs, "engine-test-ca", true);
    await makeCerts(`${certs}/other`, "other-ca", false);
    const port = freePort();
    const host = `tcp://127.0.0.1:${port}`;
    const d = await startDaemon([
      "-H",
      host,
      "--tlsverify",
      "--tlscacert",
      `${certs}/ca.pem`,
      "--tlscert",
      `${certs}/server-cert.pem`,
      "--tlskey",
      `${certs}/server-key.pem`,
    ]);
    try {
      const base = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: certs };
      const flags = [
        "-H",
        host,
        "--tlsverify",
        "--tlscacert",
        `${certs}/ca.pem`,
        "--tlscert",
        `${certs}/cert.pem`,
        "--tlskey",
        `${certs}/key.pem`,
      ];
      // Our CLI with flags: a plain call, run (attach hijack), exec -i with stdin.
      let r = await cli(ENGINE, [...flags, "version", "--format", "{{.Server.ApiVersion}}"], base);
      assertEquals([r.code, r.out], [0, "1.47\n"], r.err);
      r = await cli(
        ENGINE,
        [...flags, "run", "--rm", "busybox", "sh", "-c", "echo hi; exit 3"],
        base,
      );
      assertEquals([r.code, r.out], [3, "hi\n"], r.err);
      r = await cli(
        ENGINE,
        [...flags, "run", "-i", "--rm", "busybox", "cat"],
        base,
        "in-tls\n",
      );
      assertEquals([r.code, r.out], [0, "in-tls\n"], r.err);
      r = await cli(
        ENGINE,
        [...flags, "run", "-d", "--name", "bg", "busybox", "sleep", "60"],
        base,
      );
      assertEquals(r.code, 0, r.err);
      r = await cli(ENGINE, [...flags, "exec", "-i", "bg", "sh", "-c", "cat; exit 5"], base, "x\n");
      assertEquals([r.code, r.out], [5, "x\n"], r.err);

      // Our CLI from the environment, as docker's: DOCKER_TLS_VERIFY + DOCKER_CERT_PATH.
      const env = { ...base, DOCKER_HOST: host, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs };
      r = await cli(ENGINE, ["exec", "bg", "echo", "from-env"], env);
      assertEquals([r.code, r.out], [0, "from-env\n"], r.err);

      // The docker CLIs, with a config dir of their own.
      for (const bin of CLIS) {
        const denv = { ...env, DOCKER_CONFIG: `${certs}/dockercfg` };
        r = await cli(bin, [
          "run",
          "--network",
          "none",
          "--rm",
          "busybox",
          "sh",
          "-c",
          "echo out; exit 2",
        ], denv);
        assertEquals([r.code, r.out], [2, "out\n"], `${bin}: ${r.err}`);
        r = await cli(
          bin,
          ["run", "-i", "--rm", "busybox", "cat"],
          denv,
          "piped\n",
        );
        assertEquals([r.code, r.out], [0, "piped\n"], `${bin}: ${r.err}`);
        r = await cli(bin, ["exec", "-i", "bg", "cat"], denv, "exec-in\n");
        assertEquals([r.code, r.out], [0, "exec-in\n"], `${bin}: ${r.err}`);
        // The same client without its certificate: the handshake fails.
        const noCert = `${certs}/ca-only`;
        await Deno.mkdir(noCert, { recursive: true });
        await Deno.copyFile(`${certs}/ca.pem`, `${noCert}/ca.pem`);
        r = await cli(bin, ["version"], { ...denv, DOCKER_CERT_PATH: noCert });
        assert(r.code !== 0 && !r.out.includes("Server:"), `${bin} without a cert: ${r.out}`);
      }

      // Refused: no client certificate, one from another CA, plain HTTP.
      const url = `https://127.0.0.1:${port}/_ping`;
      assertEquals(
        await curlStatus([
          "--cacert",
          `${certs}/ca.pem`,
          "--cert",
          `${certs}/cert.pem`,
          "--key",
          `${certs}/key.pem`,
          url,
        ]),
        200,
      );
      assertEquals(await curlStatus(["--cacert", `${certs}/ca.pem`, url]), 0);
      assertEquals(
        await curlStatus([
          "--cacert",
          `${certs}/ca.pem`,
          "--cert",
          `${certs}/other/cert.pem`,
          "--key",
          `${certs}/other/key.pem`,
          url,
        ]),
        0,
      );
      assertEquals(await curlStatus([`http://127.0.0.1:${port}/_ping`]), 0);
      r = await cli(ENGINE, ["version"], { ...env, DOCKER_CERT_PATH: `${certs}/other` });
      assert(r.code !== 0, r.out);
      // The unix socket stays plain HTTP, and the daemon kept serving through the refusals.
      assertEquals((await d.curl(["http://127.0.0.1/_ping"])).body, "OK");
      r = await cli(ENGINE, [...flags, "rm", "-f", "bg"], base);
      assertEquals(r.code, 0, r.err);
    } finally {
      await d.close();
    }
  } finally {
    await Deno.remove(certs, { recursive: true });
  }
});

Deno.test({ name: "daemon TLS: refused listener settings", ignore }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-tls-" });
  try {
    const daemon = async (args: string[]) => {
      const out = await new Deno.Command(ENGINE, {
        args: ["daemon", "--data-root", `${dir}/data`, "--exec-root", `${dir}/r`, ...args],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output();
      return { code: out.code, err: new TextDecoder().decode(out.stderr) };
    };
    let r = await daemon(["-H", `tcp://0.0.0.0:${freePort()}`]);
    assertEquals(r.code, 1);
    assert(r.err.includes("without --tlsverify"), r.err);
    r = await daemon(["-H", `tcp://0.0.0.0:${freePort()}`, "--tls", "--tlscert", "/nonexistent"]);
    assertEquals(r.code, 1);
    r = await daemon([
      "-H",
      `tcp://127.0.0.1:${freePort()}`,
      "--tlsverify",
      "--tlscacert",
      `${dir}/nope.pem`,
      "--tlscert",
      `${dir}/nope.pem`,
      "--tlskey",
      `${dir}/nope.pem`,
    ]);
    assertEquals(r.code, 1);
    assert(r.err.includes("could not read TLS certificate"), r.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
