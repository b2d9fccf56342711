// Progress rendering of the JSON message streams recorded in docker-api-flows.md §6.5, §7.1.

import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  displayJSONMessages,
  type JSONMessage,
  progressString,
  StreamError,
} from "../../src/cli/progress.ts";

const PULL: JSONMessage[] = [
  { status: "Pulling from bt", id: "1" },
  { status: "Already exists", progressDetail: {}, id: "fefa7248d67e" },
  { status: "Pulling fs layer", progressDetail: {}, id: "16e69c951497" },
  {
    status: "Downloading",
    progressDetail: { current: 107, total: 107 },
    progress: "[==>]",
    id: "16e69c951497",
  },
  { status: "Verifying Checksum", progressDetail: {}, id: "16e69c951497" },
  { status: "Download complete", progressDetail: {}, id: "16e69c951497" },
  { status: "Extracting", progressDetail: { current: 107, total: 107 }, id: "16e69c951497" },
  { status: "Pull complete", progressDetail: {}, id: "16e69c951497" },
  { status: "Digest: sha256:283b7124" },
  { status: "Status: Downloaded newer image for 127.0.0.1:5000/bt:1" },
];

async function* from(list: JSONMessage[]) {
  yield* list;
}

async function renderText(list: JSONMessage[], isTerminal: boolean, width = 200) {
  let out = "";
  await displayJSONMessages(from(list), (s) => (out += s), { isTerminal, width });
  return out;
}

Deno.test("progress bar: 50 cells and human sizes as docker draws them", () => {
  assertEquals(progressString({ current: 107, total: 107 }), `[${"=".repeat(50)}>]     107B/107B`);
  assertEquals(
    progressString({ current: 37376, total: 1982347 }),
    `[>${" ".repeat(50)}]  37.38kB/1.982MB`,
  );
  assertEquals(
    progressString({ current: 1000, total: 4000 }),
    `[============>${" ".repeat(38)}]      1kB/4kB`,
  );
  assertEquals(
    progressString({ current: 1996800, total: 1982347 }),
    `[${"=".repeat(50)}>]  1.997MB`,
  );
  assertEquals(progressString({}), "");
  assertEquals(progressString({ current: 2048, total: 2048 }, 80), " 2.048kB/2.048kB");
});

Deno.test("pull without a terminal: one plain line per status, no progress lines", async () => {
  assertEquals(
    await renderText(PULL, false),
    "1: Pulling from bt\n" +
      "fefa7248d67e: Already exists\n" +
      "16e69c951497: Pulling fs layer\n" +
      "16e69c951497: Verifying Checksum\n" +
      "16e69c951497: Download complete\n" +
      "16e69c951497: Pull complete\n" +
      "Digest: sha256:283b7124\n" +
      "Status: Downloaded newer image for 127.0.0.1:5000/bt:1\n",
  );
});

Deno.test("pull on a terminal: per-layer lines redrawn in place", async () => {
  const out = await renderText(PULL.slice(0, 5), true);
  const E = "\x1b[";
  assertEquals(
    out,
    "1: Pulling from bt\n" +
      `\n${E}1A${E}2K\rfefa7248d67e: Already exists \r${E}1B` +
      `\n${E}1A${E}2K\r16e69c951497: Pulling fs layer \r${E}1B` +
      `${E}1A${E}2K\r16e69c951497: Downloading [${"=".repeat(50)}>]     107B/107B\r${E}1B` +
      `${E}1A${E}2K\r16e69c951497: Verifying Checksum \r${E}1B`,
  );
});

Deno.test("load: stream lines and the Loading layer bar", async () => {
  const load: JSONMessage[] = [
    { status: "Loading layer", progressDetail: { current: 2048, total: 2048 }, id: "805ad46d3d2e" },
    { stream: "Loaded image: 127.0.0.1:5000/bt:1\n" },
  ];
  assertEquals(await renderText(load, false), "Loaded image: 127.0.0.1:5000/bt:1\n");
});

Deno.test("errorDetail ends the stream with its message", async () => {
  const msgs: JSONMessage[] = [
    { status: "The push refers to repository [127.0.0.1:5009/bb]" },
    {
      errorDetail: { message: "An image does not exist locally with the tag: 127.0.0.1:5009/bb" },
      error: "An image does not exist locally with the tag: 127.0.0.1:5009/bb",
    },
  ];
  let out = "";
  await rejects(
    displayJSONMessages(from(msgs), (s) => (out += s), { isTerminal: false }),
    (e: StreamError) =>
      e.message === "An image does not exist locally with the tag: 127.0.0.1:5009/bb",
  );
  assertEquals(out, "The push refers to repository [127.0.0.1:5009/bb]\n");
});

Deno.test("push aux messages go to the callback, not the output", async () => {
  const aux: unknown[] = [];
  let out = "";
  await displayJSONMessages(
    from([{ status: "1: digest: sha256:391c size: 527" }, {
      progressDetail: {},
      aux: { Tag: "1", Digest: "sha256:391c", Size: 527 },
    }]),
    (s) => (out += s),
    { isTerminal: false },
    (a) => aux.push(a),
  );
  assertEquals(out, "1: digest: sha256:391c size: 527\n");
  assertEquals(aux, [{ Tag: "1", Digest: "sha256:391c", Size: 527 }]);
});
