// The Engine API client's bytes: a recording server on a temp unix socket keeps what the
// client sent (method, path, query, headers, body); a second one answers 101 and echoes.

import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  ApiError,
  encodeQuery,
  EngineClient,
  negotiateVersion,
  queryEscape,
} from "../../src/cli/client.ts";
import { Demuxer, encodeFrame } from "../../src/cli/stdcopy.ts";
import { USER_AGENT } from "../../src/cli/client.ts";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function recordingServer(
  answer: (req: Request) => Response = () => new Response(null, { status: 204 }),
  pingVersion: string | null = "1.45",
) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api.sock`;
  const seen: Seen[] = [];
  const server = Deno.serve({ path, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      url: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    });
    if (url.pathname === "/_ping") {
      return new Response(req.method === "HEAD" ? null : "OK", {
        headers: pingVersion ? { "Api-Version": pingVersion } : {},
      });
    }
    return answer(req);
  });
  return {
    path,
    seen,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("query encoding: sorted keys, booleans as 1, Go's QueryEscape", () => {
  assertEquals(
    encodeQuery({ stream: true, stdout: true, stderr: true, stdin: undefined }),
    "stderr=1&stdout=1&stream=1",
  );
  assertEquals(
    encodeQuery({ tag: "1", repo: "127.0.0.1:5000/bb" }),
    "repo=127.0.0.1%3A5000%2Fbb&tag=1",
  );
  assertEquals(
    encodeQuery({ filters: '{"type":{"container":true}}' }),
    "filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D",
  );
  assertEquals(encodeQuery({ names: ["a:1", "b"] }), "names=a%3A1&names=b");
  assertEquals(queryEscape("a b*~"), "a+b%2A~");
});

Deno.test("version negotiation: min(ours, daemon's), 1.24 without a header", () => {
  assertEquals(negotiateVersion("1.41"), "1.41");
  assertEquals(negotiateVersion("1.60"), "1.47");
  assertEquals(negotiateVersion(null), "1.24");
  assertEquals(negotiateVersion("1.9", "1.47"), "1.9");
});

Deno.test("client: one HEAD /_ping, then versioned paths, headers, JSON bodies", async () => {
  await using srv = await recordingServer((req) =>
    new URL(req.url).pathname.endsWith("/create")
      ? Response.json({ Id: "abc", Warnings: [] }, { status: 201 })
      : new Response(null, { status: 204 })
  );
  using client = new EngineClient(`unix://${srv.path}`);
  const created = await client.json<{ Id: string }>("POST", "/containers/create", {
    query: { name: "xx" },
    json: { Image: "bb:latest" },
  });
  assertEquals(created.Id, "abc");
  await client.json("POST", "/containers/abc/start");
  await client.json("POST", "/containers/abc/stop", { query: { t: 1 } });
  assertEquals(srv.seen.map((s) => `${s.method} ${s.url}`), [
    "HEAD /_ping",
    "POST /v1.45/containers/create?name=xx",
    "POST /v1.45/containers/abc/start",
    "POST /v1.45/containers/abc/stop?t=1",
  ]);
  const [ping, create, start] = srv.seen;
  assertEquals(ping.headers["user-agent"], USER_AGENT);
  // docker sends api.moby.localhost; Deno would resolve that name, so the URL says 127.0.0.1.
  assertEquals(ping.headers["host"], "127.0.0.1");
  assertEquals(create.headers["content-type"], "application/json");
  assertEquals(create.body, '{"Image":"bb:latest"}');
  assertEquals(start.headers["content-type"], undefined);
  assertEquals(start.headers["content-length"], "0");
});

Deno.test("client: HEAD /_ping answered 405 → GET /_ping; no Api-Version → /v1.24", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api.sock`;
  const seen: string[] = [];
  const server = Deno.serve({ path, onListen() {} }, (req) => {
    seen.push(`${req.method} ${new URL(req.url).pathname}`);
    if (req.method === "HEAD") return new Response(null, { status: 405 });
    return new Response("[]", { status: 200 });
  });
  try {
    using client = new EngineClient(`unix://${path}`);
    await client.json("GET", "/containers/json");
    assertEquals(seen, ["HEAD /_ping", "GET /_ping", "GET /v1.24/containers/json"]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: daemon errors become 'Error response from daemon: …' with the status", async () => {
  await using srv = await recordingServer(() =>
    Response.json({ message: "No such container: x" }, { status: 404 })
  );
  using client = new EngineClient(`unix://${srv.path}`);
  await rejects(client.json("GET", "/containers/x/json"), (e: ApiError) => {
    assertEquals(e.status, 404);
    assertEquals(e.message, "Error response from daemon: No such container: x");
    return true;
  });
});

Deno.test("client: newline-delimited JSON streams (\\r\\n and split chunks)", async () => {
  const text =
    '{"status":"Pulling from bt","id":"1"}\r\n{"status":"Digest: sha256:28"}\r\n{"status":"Status: Downloaded"}\r\n';
  await using srv = await recordingServer(() => {
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
        c.close();
      },
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  });
  using client = new EngineClient(`unix://${srv.path}`);
  const got = [];
  for await (
    const m of client.stream("POST", "/images/create", {
      query: { fromImage: "127.0.0.1:5000/bt", tag: "1" },
      headers: { "X-Registry-Auth": "e30=" },
    })
  ) got.push(m);
  assertEquals(got.map((m) => m.status), [
    "Pulling from bt",
    "Digest: sha256:28",
    "Status: Downloaded",
  ]);
  assertEquals(srv.seen[1].url, "/v1.45/images/create?fromImage=127.0.0.1%3A5000%2Fbt&tag=1");
  assertEquals(srv.seen[1].headers["x-registry-auth"], "e30=");
});

Deno.test("hijack: request bytes, 101, raw duplex with half-close", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  let requestHead = "";
  const handle = async (conn: Deno.UnixConn) => {
    const buf = new Uint8Array(4096);
    let got = "";
    while (!got.includes("\r\n\r\n")) {
      const r = await conn.read(buf);
      if (r === null) return conn.close();
      got += new TextDecoder().decode(buf.subarray(0, r));
    }
    if (/^HEAD \S*\/_ping /.test(got)) { // fetch may send the absolute form through the socket
      await conn.write(
        new TextEncoder().encode(
          "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 0\r\n\r\n",
        ),
      );
      return; // keep-alive: the client closes it
    }
    requestHead = got;
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    ));
    // echo stdin back as stdout frames until the client half-closes
    while (true) {
      const r = await conn.read(buf);
      if (r === null) break;
      await conn.write(encodeFrame(1, buf.slice(0, r)));
    }
    await conn.write(encodeFrame(2, new TextEncoder().encode("bye\n")));
    conn.close();
  };
  const conns: Promise<void>[] = [];
  const served = (async () => {
    for await (const conn of listener) conns.push(handle(conn).catch(() => {}));
  })().catch(() => {});
  try {
    using client = new EngineClient(`unix://${path}`);
    const conn = await client.hijack("POST", "/containers/abc/attach", {
      query: { stream: true, stdin: true, stdout: true, stderr: true },
    });
    assertEquals(conn.status, 101);
    await conn.write(new TextEncoder().encode("hello\n"));
    await conn.closeWrite();
    const demux = new Demuxer();
    const frames = [];
    for await (const chunk of conn.readable) frames.push(...demux.push(chunk));
    conn.close();
    assertEquals(frames.map((f) => [f.stream, new TextDecoder().decode(f.data)]), [[1, "hello\n"], [
      2,
      "bye\n",
    ]]);
    assertEquals(
      requestHead,
      "POST /v1.47/containers/abc/attach?stderr=1&stdin=1&stdout=1&stream=1 HTTP/1.1\r\n" +
        `Host: api.moby.localhost\r\nUser-Agent: ${USER_AGENT}\r\nContent-Length: 0\r\n` +
        "Connection: Upgrade\r\nContent-Type: text/plain\r\nUpgrade: tcp\r\n\r\n",
    );
  } finally {
    listener.close();
    await served;
    await Promise.all(conns);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stdcopy: frames split across reads and several frames in one read", () => {
  const d = new Demuxer();
  const bytes = new Uint8Array([
    ...encodeFrame(2, new TextEncoder().encode("err\n")),
    ...encodeFrame(1, new TextEncoder().encode("out\n")),
  ]);
  assertEquals(d.push(bytes.slice(0, 5)), []);
  const frames = d.push(bytes.slice(5));
  assertEquals(frames.map((f) => f.stream), [2, 1]);
  assertEquals(d.pending, 0);
});
