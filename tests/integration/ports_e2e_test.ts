// Published ports end to end through the daemon: `engine run -d -p HOSTPORT:80 busybox httpd`
// is reached from the host through 127.0.0.1, the host's address and the bridge, `engine port`
// (and the docker CLI's) shows the binding, a second container on the same port gets Docker's
// conflict error, -P publishes exposed ports on dynamic ports, and stop removes every rule.
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { ENGINE, startDaemon } from "../helpers/daemon.ts";
import { command, missing, root } from "../helpers/require.ts";

const skip = missing(root(), command("/usr/sbin/iptables-save"), command("/usr/bin/curl"));

async function get(url: string): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-m", "3", url],
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.success ? new TextDecoder().decode(out.stdout) : "";
}

async function until(url: string, want: string): Promise<string> {
  let got = "";
  for (let i = 0; i < 100 && got !== want; i++) {
    got = await get(url);
    if (got !== want) await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

/** A global IPv4 address of this host (traffic to it stays on the machine). */
async function hostAddress(): Promise<string | undefined> {
  const out = await new Deno.Command("ip", {
    args: ["-4", "-o", "addr", "show", "scope", "global"],
    stdout: "piped",
  }).output();
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(new TextDecoder().decode(out.stdout))?.[1];
}

async function rulesOf(id: string): Promise<string[]> {
  const out = await new Deno.Command("iptables-save", { stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes(`c:${id}`));
}

const HTTPD = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";

Deno.test({
  name: "engine run -p: reached through 127.0.0.1, the host and the bridge; port; conflict; stop",
  ignore: skip,
  async fn() {
    const d = await startDaemon();
    try {
      // Bad ports are refused at create, as dockerd's verifyContainerSettings does.
      for (
        const [body, want] of [
          [{ ExposedPorts: { "8o/tcp": {} } }, 'invalid port specification: \\"8o\\"'],
          [{ HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "x" }] } } }, "x"],
          [{ HostConfig: { PortBindings: { "80/icmp": null } } }, "invalid proto: icmp"],
        ] as const
      ) {
        const c = await d.curl([
          "-X",
          "POST",
          "-H",
          "Content-Type: application/json",
          "-d",
          JSON.stringify({ Image: "busybox", Cmd: ["true"], ...body }),
          "http://127.0.0.1/containers/create",
        ]);
        deepStrictEqual(c.status, 400, c.body);
        ok(c.body.includes(want), c.body);
      }
      deepStrictEqual((await d.docker(ENGINE, ["ps", "-aq"])).out, "", "nothing kept");

      const port = 20000 + Math.floor(Math.random() * 10000);
      let r = await d.docker(ENGINE, [
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        `${port}:80`,
        "busybox",
        "sh",
        "-c",
        HTTPD,
      ]);
      deepStrictEqual(r.code, 0, r.err);
      const id = r.out.trim();
      deepStrictEqual(await until(`http://127.0.0.1:${port}/`, "hello\n"), "hello\n");
      const host = await hostAddress();
      if (host) deepStrictEqual(await get(`http://${host}:${port}/`), "hello\n", host);
      r = await d.docker(ENGINE, [
        "inspect",
        "-f",
        "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}",
        "web",
      ]);
      const [ip, gateway] = r.out.trim().split(" ");
      deepStrictEqual(await get(`http://${ip}:80/`), "hello\n", "the container's address");
      deepStrictEqual(await get(`http://${gateway}:${port}/`), "hello\n", "the bridge's address");

      // From containers: another one on the bridge, and the server itself (hairpin).
      r = await d.docker(ENGINE, [
        "run",
        "--rm",
        "busybox",
        "wget",
        "-q",
        "-O",
        "-",
        `http://${gateway}:${port}/`,
      ]);
      deepStrictEqual([r.code, r.out], [0, "hello\n"], `from a neighbour: ${r.err}`);
      r = await d.docker(ENGINE, [
        "exec",
        "web",
        "wget",
        "-q",
        "-O",
        "-",
        `http://${gateway}:${port}/`,
      ]);
      deepStrictEqual([r.code, r.out], [0, "hello\n"], `hairpin: ${r.err}`);

      r = await d.docker(ENGINE, ["port", "web"]);
      deepStrictEqual(r.out, `80/tcp -> 0.0.0.0:${port}\n`, r.err);
      r = await d.docker(ENGINE, ["port", "web", "80"]);
      deepStrictEqual(r.out, `0.0.0.0:${port}\n`, r.err);
      try {
        Deno.statSync("/usr/bin/docker");
        r = await d.docker("/usr/bin/docker", ["port", "web"]);
        deepStrictEqual(r.out, `80/tcp -> 0.0.0.0:${port}\n`, r.err);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }

      // The same host port again: Docker's error, and nothing of the second one stays.
      r = await d.docker(ENGINE, [
        "run",
        "-d",
        "--name",
        "web2",
        "-p",
        `${port}:80`,
        "busybox",
        "sleep",
        "9",
      ]);
      ok(r.code !== 0);
      match(
        r.err,
        new RegExp(
          `driver failed programming external connectivity on endpoint web2 \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`,
        ),
      );
      await d.docker(ENGINE, ["rm", "-f", "web2"]);

      // -P: exposed ports on dynamic ports.
      r = await d.docker(ENGINE, [
        "run",
        "-d",
        "--name",
        "all",
        "--expose",
        "80",
        "-P",
        "busybox",
        "sh",
        "-c",
        HTTPD,
      ]);
      deepStrictEqual(r.code, 0, r.err);
      const allId = r.out.trim();
      r = await d.docker(ENGINE, ["port", "all", "80/tcp"]);
      const dyn = /^0\.0\.0\.0:(\d+)\n$/.exec(r.out)?.[1];
      ok(dyn && Number(dyn) !== port, r.out + r.err);
      deepStrictEqual(await until(`http://127.0.0.1:${dyn}/`, "hello\n"), "hello\n");

      // Ranges pair up (the CLI expands them as docker's does); a host range for one port
      // gives its first free port.
      r = await d.docker(ENGINE, [
        "run",
        "-d",
        "--name",
        "ranges",
        "-p",
        `${port + 1}-${port + 2}:80-81`,
        "-p",
        `127.0.0.1:${port}-${port + 3}:82/udp`,
        "busybox",
        "sleep",
        "30",
      ]);
      deepStrictEqual(r.code, 0, r.err);
      r = await d.docker(ENGINE, ["port", "ranges"]);
      deepStrictEqual(
        r.out,
        `80/tcp -> 0.0.0.0:${port + 1}\n81/tcp -> 0.0.0.0:${port + 2}\n` +
          `82/udp -> 127.0.0.1:${port}\n`,
        r.err,
      );
      await d.docker(ENGINE, ["rm", "-f", "ranges"]);

      r = await d.docker(ENGINE, ["stop", "-t", "1", "web", "all"]);
      deepStrictEqual(r.code, 0, r.err);
      deepStrictEqual(await rulesOf(id), []);
      deepStrictEqual(await rulesOf(allId), []);
      deepStrictEqual(await get(`http://127.0.0.1:${port}/`), "");
      r = await d.docker(ENGINE, ["rm", "web", "all"]);
      deepStrictEqual(r.code, 0, r.err);
    } finally {
      await d.close();
    }
  },
});

Deno.test({
  name: "published ports across daemon restarts: kept with live-restore, none left after a crash",
  ignore: skip,
  async fn() {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const live = await startDaemon(["--live-restore"]);
    try {
      let r = await live.docker(ENGINE, [
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        `${port}:80`,
        "busybox",
        "sh",
        "-c",
        HTTPD,
      ]);
      deepStrictEqual(r.code, 0, r.err);
      const id = r.out.trim();
      deepStrictEqual(await until(`http://127.0.0.1:${port}/`, "hello\n"), "hello\n");
      const rules = await rulesOf(id);
      await live.stop();
      deepStrictEqual(await get(`http://127.0.0.1:${port}/`), "hello\n", "daemon stopped");
      await live.restart();
      deepStrictEqual((await rulesOf(id)).sort(), rules.sort(), "the same rules, once");
      deepStrictEqual(await get(`http://127.0.0.1:${port}/`), "hello\n", "after restart");
      r = await live.docker(ENGINE, ["port", "web"]);
      deepStrictEqual(r.out, `80/tcp -> 0.0.0.0:${port}\n`, r.err);
      // The port is held again: another container cannot take it.
      r = await live.docker(ENGINE, ["run", "-d", "-p", `${port}:80`, "busybox", "sleep", "9"]);
      match(r.err, /port is already allocated/);
      r = await live.docker(ENGINE, ["rm", "-f", "web"]);
      deepStrictEqual(r.code, 0, r.err);
      deepStrictEqual(await rulesOf(id), []);
    } finally {
      await live.close();
    }

    const d = await startDaemon();
    try {
      const r = await d.docker(ENGINE, [
        "run",
        "-d",
        "-p",
        `${port + 1}:80`,
        "busybox",
        "sh",
        "-c",
        HTTPD,
      ]);
      deepStrictEqual(r.code, 0, r.err);
      const id = r.out.trim();
      ok((await rulesOf(id)).length > 0);
      d.child.kill("SIGKILL");
      await d.child.status;
      await d.restart();
      deepStrictEqual(await rulesOf(id), [], "a crashed daemon's rules are gone after its restart");
    } finally {
      await d.close();
    }
  },
});

const DOCKER_CLIS = ["/usr/bin/docker", "/usr/local/bin/docker"].filter((b) => command(b).ok);

Deno.test({
  name: "the docker CLIs publish ports on our daemon (run -p, port, rm -f)",
  ignore: skip || DOCKER_CLIS.length === 0,
  async fn() {
    const d = await startDaemon();
    try {
      for (const [i, bin] of DOCKER_CLIS.entries()) {
        const port = 20000 + Math.floor(Math.random() * 10000);
        let r = await d.docker(bin, [
          "run",
          "-d",
          "--name",
          `web${i}`,
          "-p",
          `127.0.0.1:${port}:80`,
          "-p",
          "8000-8001:81-82/udp",
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ]);
        deepStrictEqual(r.code, 0, `${bin}: ${r.err}`);
        const id = r.out.trim();
        deepStrictEqual(await until(`http://127.0.0.1:${port}/`, "hello\n"), "hello\n", bin);
        r = await d.docker(bin, ["port", `web${i}`]);
        deepStrictEqual(
          r.out.split("\n").sort().join("\n"),
          ["", `80/tcp -> 127.0.0.1:${port}`, "81/udp -> 0.0.0.0:8000", "82/udp -> 0.0.0.0:8001"]
            .join("\n"),
          `${bin}: ${r.err}`,
        );
        r = await d.docker(bin, ["rm", "-f", `web${i}`]);
        deepStrictEqual(r.code, 0, r.err);
        deepStrictEqual(await rulesOf(id), [], bin);
      }
    } finally {
      await d.close();
    }
  },
});
