// Adversarial review of the Engine API (SECURITY.md classes c, e): names, ids, tags and
// network options with path separators, NUL bytes and huge lengths; query parameters of the
// wrong type; a body that claims a huge Content-Length, a chunked body that never ends or
// never stops, a huge header; concurrent create/remove of one name. Each gets a 4xx (never
// a 5xx or a crash), nothing is created outside the daemon's data, and the daemon keeps
// answering with its memory bounded.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const DOCKER = "/usr/local/bin/docker";
const ignore = missing(root(), command(DOCKER));

async function api(d: TestDaemon, method: string, path: string, body?: unknown) {
  const args = ["-X", method, `http://127.0.0.1/v1.47${path}`];
  if (body !== undefined) {
    const file = `${d.dir}/body-${crypto.randomUUID()}.json`;
    await Deno.writeTextFile(file, JSON.stringify(body));
    args.unshift("-H", "Content-Type: application/json", "--data-binary", `@${file}`);
    try {
      return await d.curl(args);
    } finally {
      await Deno.remove(file);
    }
  }
  return await d.curl(args);
}

async function alive(d: TestDaemon) {
  const r = await d.curl(["-m", "5", "http://127.0.0.1/_ping"]);
  assertEquals([r.status, r.body], [200, "OK"], "the daemon stopped answering");
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return Number(m?.[1] ?? 0);
}

/** The names under the test's directory, the daemon's data root and its volumes. */
function topNames(d: TestDaemon): string[] {
  const list = (p: string) => {
    try {
      return [...Deno.readDirSync(p)].map((e) => `${p}/${e.name}`).sort();
    } catch {
      return [];
    }
  };
  // data/volumes is made on first use.
  const data = list(`${d.dir}/data`).filter((p) => !p.endsWith("/volumes"));
  return [...list(d.dir), ...data, ...list(`${d.dir}/data/volumes`)];
}

/** A raw connection to the daemon's socket, for requests curl will not send. */
async function raw(d: TestDaemon) {
  const conn = await Deno.connect({ transport: "unix", path: d.socket });
  const enc = new TextEncoder();
  let text = "";
  let closed = false;
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    const dec = new TextDecoder();
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += dec.decode(buf.subarray(0, n));
      }
    } catch { /* reset */ }
    closed = true;
  })();
  return {
    /** Writes; false once the daemon has closed the connection. */
    async write(s: string | Uint8Array) {
      try {
        const b = typeof s === "string" ? enc.encode(s) : s;
        for (let off = 0; off < b.length;) off += await conn.write(b.subarray(off));
        return true;
      } catch {
        return false;
      }
    },
    reply: () => text,
    closed: () => closed,
    async close() {
      try {
        conn.close();
      } catch { /* closed */ }
      await reading;
    },
  };
}

Deno.test(
  { name: "breakout review: hostile names, ids, tags and query values", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const before = topNames(d);
      const long = "a".repeat(70_000);
      for (const name of ["../x", "a/b", "/a/b", "x\u0000y", "..", ".", long, "a\nb"]) {
        const r = await d.curl([
          "-X",
          "POST",
          "-H",
          "Content-Type: application/json",
          "--data-binary",
          JSON.stringify({ Image: "busybox", Cmd: ["true"] }),
          `http://127.0.0.1/v1.47/containers/create?name=${encodeURIComponent(name)}`,
        ]);
        assert(r.status === 400, `${JSON.stringify(name.slice(0, 20))}: ${r.status} ${r.body}`);
      }
      for (
        const id of ["..%2F..%2Fetc", "%2E%2E", "x%00y", "..%2Fimages", long, "%2Fetc%2Fpasswd"]
      ) {
        for (const p of [`/containers/${id}/json`, `/images/${id}/json`, `/volumes/${id}`]) {
          const r = await api(d, "GET", p);
          assert(r.status === 404 || r.status === 400, `${p.slice(0, 60)}: ${r.status}`);
        }
        const r = await api(d, "DELETE", `/containers/${id}?force=1`);
        assert(r.status === 404 || r.status === 400, `${id.slice(0, 30)}: ${r.status}`);
      }
      // Tags and repositories: path separators where they are not allowed, NUL, length.
      for (
        const [repo, tag] of [
          ["../x", "1"],
          ["x", "a/b"],
          ["x", "../1"],
          ["x\u0000y", "1"],
          ["x", long],
          [`${"a".repeat(300)}`, "1"],
          ["UPPER", "1"],
        ]
      ) {
        const q = `repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`;
        const r = await api(d, "POST", `/images/busybox/tag?${q}`);
        assertEquals(r.status, 400, `${repo.slice(0, 20)}:${tag.slice(0, 20)}: ${r.body}`);
      }
      // Networks: names with separators and NUL, a bridge name that is a path, labels.
      for (
        const body of [
          { Name: "x\u0000y" },
          { Name: long },
          { Name: "ok1", Options: { "com.docker.network.bridge.name": "../../../etc" } },
          { Name: "ok2", Options: { "com.docker.network.bridge.name": "a/b" } },
          { Name: "ok3", Options: { "com.docker.network.bridge.name": "x".repeat(16) } },
          { Name: "ok4", Labels: { "a\u0000b": "1" }, Driver: "../../bin/sh" },
        ]
      ) {
        const r = await api(d, "POST", "/networks/create", body);
        assert(
          r.status >= 400 && r.status < 500,
          `${JSON.stringify(body).slice(0, 80)}: ${r.body}`,
        );
      }
      // Labels with separators and NUL are data, not paths: kept as given or refused.
      const r = await api(d, "POST", "/containers/create?name=lab", {
        Image: "busybox",
        Cmd: ["true"],
        Labels: { "../../x": "1", "a/b": "../c", "n\u0000ul": "v\u0000" },
      });
      assert(r.status === 201 || r.status === 400, r.body);
      if (r.status === 201) assertEquals((await api(d, "DELETE", "/containers/lab")).status, 204);
      // Query values of the wrong type.
      await api(d, "POST", "/containers/create?name=q1", { Image: "busybox", Cmd: ["true"] });
      for (
        const [method, p] of [
          ["GET", "/containers/json?all=maybe"],
          ["GET", "/containers/json?limit=-5"],
          ["GET", "/containers/json?limit=1e999"],
          ["GET", "/containers/json?filters=notjson"],
          ["GET", '/containers/json?filters={"label":5}'],
          ["GET", '/containers/json?filters={"status":["nope"]}'],
          ["GET", "/images/json?filters=[1,2]"],
          ["GET", "/containers/q1/logs?stdout=1&tail=99999999999999999999999"],
          ["GET", "/containers/q1/logs?stdout=1&since=abc"],
          ["POST", "/containers/q1/stop?t=abc"],
          ["POST", "/containers/q1/resize?h=-1&w=abc"],
          ["POST", "/containers/q1/kill?signal=SIGNOPE"],
          ["POST", "/containers/q1/wait?condition=%00"],
          ["GET", "/containers/q1/archive?path=%00"],
          ["GET", "/containers/q1/archive"],
          ["POST", "/containers/q1/update"],
          ["GET", "/events?since=abc&until=-1e400"],
          ["GET", "/volumes?filters={%22dangling%22:[%22maybe%22]}"],
        ]
      ) {
        const r = await d.curl(["-g", "-m", "5", "-X", method, `http://127.0.0.1/v1.47${p}`]);
        assert(r.status > 0 && r.status < 500, `${method} ${p}: ${r.status} ${r.body}`);
      }
      await api(d, "DELETE", "/containers/q1");
      // Config sizes: too many Env entries, a body over create's cap.
      const many = Array.from({ length: 5000 }, (_, i) => `E${i}=x`);
      let big = await api(d, "POST", "/containers/create", { Image: "busybox", Env: many });
      assertEquals(big.status, 400, big.body);
      const huge = Array.from({ length: 3000 }, (_, i) => `E${i}=${"x".repeat(2000)}`);
      big = await api(d, "POST", "/containers/create", { Image: "busybox", Env: huge });
      assertEquals(big.status, 400, big.body);
      await alive(d);
      assertEquals(topNames(d), before);
    } finally {
      await d.close();
    }
  },
);

Deno.test({ name: "breakout review: bodies and headers that never end", ignore }, async () => {
  const d = await startDaemon();
  try {
    const pid = d.child.pid;
    const rss0 = rssKiB(pid);
    // A Content-Length of a terabyte with a few bytes sent: nothing of that size is
    // allocated, other requests are served meanwhile, the daemon refuses it or waits.
    const big = await raw(d);
    await big.write(
      "POST /v1.47/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Content-Length: 1000000000000\r\n\r\n{",
    );
    // A chunked body that is never finished, and one that never stops.
    const slow = await raw(d);
    await slow.write(
      "POST /v1.47/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
    );
    await alive(d);
    const flood = await raw(d);
    await flood.write(
      "POST /v1.47/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = new TextEncoder().encode(`100000\r\n${" ".repeat(0x100000)}\r\n`);
    let sent = 0;
    while (sent < 96 && !flood.closed() && !flood.reply()) {
      if (!(await flood.write(chunk))) break;
      sent++;
    }
    // Refused once the JSON cap (8 MiB) is passed, long before 96 MiB.
    await new Promise((r) => setTimeout(r, 200));
    assert(sent < 96, `the daemon read ${sent} MiB of one JSON body`);
    assert(/^HTTP\/1\.1 4\d\d/.test(flood.reply()) || flood.closed(), flood.reply());
    await alive(d);
    // A 1 MiB header line.
    const hdr = await raw(d);
    await hdr.write(`GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${"h".repeat(1 << 20)}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 200));
    assert(/^HTTP\/1\.1 4\d\d/.test(hdr.reply()) || hdr.closed(), hdr.reply().slice(0, 100));
    await alive(d);
    assert(!/^HTTP\/1\.1 [25]/.test(big.reply()), big.reply());
    const grown = rssKiB(pid) - rss0;
    assert(grown < 150 * 1024, `the daemon grew by ${grown} KiB`);
    for (const c of [big, slow, flood, hdr]) await c.close();
    await alive(d);
  } finally {
    await d.close();
  }
});

Deno.test(
  { name: "breakout review: concurrent create and remove of one name", ignore },
  async () => {
    const d = await startDaemon();
    try {
      const body = JSON.stringify({ Image: "busybox", Cmd: ["sleep", "300"] });
      const create = () =>
        d.curl([
          "-X",
          "POST",
          "-H",
          "Content-Type: application/json",
          "--data-binary",
          body,
          "http://127.0.0.1/v1.47/containers/create?name=same",
        ]);
      for (let round = 0; round < 2; round++) {
        const made = await Promise.all(Array.from({ length: 8 }, create));
        const codes = made.map((r) => r.status).sort();
        assertEquals(codes, [201, 409, 409, 409, 409, 409, 409, 409], JSON.stringify(made));
        if (round === 1) {
          assertEquals((await api(d, "POST", "/containers/same/start")).status, 204);
        }
        const removed = await Promise.all(
          Array.from({ length: 8 }, () => api(d, "DELETE", "/containers/same?force=1")),
        );
        // While one removal runs the others get dockerd's 409 ("already in progress"); those
        // that come after it find the container gone. It is destroyed once.
        for (const r of removed) assert([204, 404, 409].includes(r.status), JSON.stringify(r));
        assert(removed.some((r) => r.status === 204), JSON.stringify(removed));
        const ps = JSON.parse((await api(d, "GET", "/containers/json?all=1")).body);
        assertEquals(ps, []);
      }
      // Create and remove racing each other: whatever wins, no half container is left.
      await Promise.all([
        create(),
        api(d, "DELETE", "/containers/same?force=1"),
        create(),
        api(d, "DELETE", "/containers/same?force=1"),
      ]);
      await api(d, "DELETE", "/containers/same?force=1");
      const ps = JSON.parse((await api(d, "GET", "/containers/json?all=1")).body);
      assertEquals(ps, []);
      const until = Math.ceil(Date.now() / 1000) + 1;
      const ev = await d.curl([
        "-g",
        `http://127.0.0.1/v1.47/events?since=0&until=${until}&filters={"event":["create","destroy"]}`,
      ]);
      const events = ev.body.trim().split("\n").map((l) => JSON.parse(l).Action);
      const count = (a: string) => events.filter((e) => e === a).length;
      assertEquals(count("destroy"), count("create"), ev.body);
      const dirs = [...Deno.readDirSync(`${d.dir}/data/containers`)];
      assertEquals(dirs, []);
      await alive(d);
    } finally {
      await d.close();
    }
  },
);
