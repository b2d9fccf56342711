// Debian's docker-compose (1.29, the Python docker SDK) against our daemon: a two-service app
// with its own network, a published port and a named volume; the client finds the server
// by service name through the network's embedded DNS; `down -v` removes everything.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const COMPOSE = "/usr/bin/docker-compose";
const DOCKER = "/usr/bin/docker";
const ignore = missing(root(), command(COMPOSE), command(DOCKER));

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// busybox-static's wget crashes in static glibc's NSS on this image, so the client speaks
// HTTP with nc, which resolves the service name through the network's embedded DNS.
const composeFile = (port: number) =>
  `version: "3.7"
services:
  web:
    image: busybox
    command: sh -c 'echo hello-from-volume > /www/index.html && exec httpd -f -p 80 -h /www'
    volumes: ["data:/www"]
    ports: ["127.0.0.1:${port}:80"]
    networks: [app]
  client:
    image: busybox
    command:
      - sh
      - -c
      - >-
        for i in $$(seq 50); do
        printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc web 80 | tail -n1 | grep . && exit 0;
        sleep 0.2; done; exit 1
    depends_on: [web]
    networks: [app]
networks:
  app: {}
volumes:
  data: {}
`;

async function compose(d: TestDaemon, dir: string, args: string[]) {
  const o = await new Deno.Command(COMPOSE, {
    args: ["-p", "ct", ...args],
    cwd: dir,
    env: { DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/dockercfg` },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

Deno.test(
  { name: "docker-compose: network, published port, named volume, up and down", ignore },
  async () => {
    const d = await startDaemon();
    const dir = await Deno.makeTempDir({ prefix: "compose" });
    const port = freePort();
    try {
      await Deno.writeTextFile(`${dir}/docker-compose.yml`, composeFile(port));
      let r = await compose(d, dir, ["up", "-d"]);
      assertEquals(r.code, 0, r.err);
      const wait = await d.docker(DOCKER, ["wait", "ct_client_1"]);
      const logs = await d.docker(DOCKER, ["logs", "ct_client_1"]);
      assertEquals([wait.out, logs.out], ["0\n", "hello-from-volume\n"], logs.err);
      const web = await fetch(`http://127.0.0.1:${port}/index.html`);
      assertEquals(await web.text(), "hello-from-volume\n");
      r = await d.docker(DOCKER, ["network", "ls", "--format", "{{.Name}}"]);
      assert(r.out.split("\n").includes("ct_app"), r.out);
      r = await compose(d, dir, ["down", "-v"]);
      assertEquals(r.code, 0, r.err);
      assert(/Removing network ct_app/.test(r.err) && /Removing volume ct_data/.test(r.err), r.err);
      r = await d.docker(DOCKER, ["ps", "-aq"]);
      assertEquals(r.out, "");
      r = await d.docker(DOCKER, ["network", "ls", "--format", "{{.Name}}"]);
      assertEquals(r.out, "bridge\nhost\nnone\n");
      r = await d.docker(DOCKER, ["volume", "ls", "-q"]);
      assertEquals(r.out, "");
    } finally {
      await compose(d, dir, ["down", "-v"]).catch(() => {});
      await d.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
