import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { decompress, detectCompression, InflateWorkers } from "../../src/lib/tar/compression.ts";
import { assertRejects, chunked, concat, gzip, zstd } from "../helpers/layers.ts";

const data = new Uint8Array(100_000).map((_, i) => (i * 7919) % 251);

async function collect(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of src) parts.push(c.slice());
  return concat(parts);
}

Deno.test("detectCompression by magic", () => {
  assertEquals(detectCompression(gzip(data)), "gzip");
  assertEquals(detectCompression(zstd(data)), "zstd");
  assertEquals(detectCompression(data), "none");
  assertEquals(detectCompression(new Uint8Array(0)), "none");
});

Deno.test("decompress gzip, zstd and plain streams in small chunks", async () => {
  for (const [name, bytes] of [["gzip", gzip(data)], ["zstd", zstd(data)], ["none", data]]) {
    for (const chunk of [2, 4096]) {
      const got = await collect(decompress(chunked(bytes as Uint8Array, chunk)));
      assertEquals(got.length, data.length, `${name}/${chunk}`);
      assertEquals(got, data, `${name}/${chunk}`);
    }
  }
});

Deno.test("decompress reports the sha256 of what came out", async () => {
  const want = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  for (const [name, bytes] of [["gzip", gzip(data)], ["zstd", zstd(data)], ["none", data]]) {
    let digest = "";
    await collect(decompress(chunked(bytes as Uint8Array, 1000), { onDigest: (d) => digest = d }));
    assertEquals(digest, want, name as string);
  }
});

Deno.test("multi-member gzip is read whole", async () => {
  const got = await collect(decompress(chunked(concat([gzip(data), gzip(data)]))));
  assertEquals(got.length, data.length * 2);
});

Deno.test("decompression cap and corrupt input", async () => {
  const bomb = gzip(new Uint8Array(10_000_000));
  await assertRejects(
    () => collect(decompress(chunked(bomb), { maxBytes: 1_000_000 })),
    "more than",
  );
  const corrupt = gzip(data);
  corrupt.fill(0x55, 20, 60);
  await assertRejects(() => collect(decompress(chunked(corrupt))), "gzip layer");
  // node:zlib's zstd decoder in Deno 2.9 ends quietly on a truncated frame (gzip errors):
  // a truncated zstd layer is caught by the tar reader or the diff_id check instead.
  const truncated = await collect(decompress(chunked(zstd(data).slice(0, 100)))).catch(() => null);
  assertEquals(truncated === null || truncated.length < data.length, true);
  await assertRejects(
    () => collect(decompress(chunked(new Uint8Array([0x42, 0x5a, 0x68, 1])))),
    "bzip2",
  );
});

Deno.test("streams in a row share workers: each is whole, a failed one spoils no other", async () => {
  const want = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  using workers = new InflateWorkers();
  const corrupt = gzip(data);
  corrupt.fill(0x55, 20, 60);
  for (const [name, bytes] of [["gzip", gzip(data)], ["zstd", zstd(data)], ["gzip", gzip(data)]]) {
    let digest = "";
    const got = await collect(
      decompress(chunked(bytes as Uint8Array, 4096), { onDigest: (d) => digest = d, workers }),
    );
    assertEquals(got, data, name as string);
    assertEquals(digest, want, name as string);
    // A failed stream and one left early in between: their workers are not reused.
    await assertRejects(() => collect(decompress(chunked(corrupt), { workers })), "gzip layer");
    for await (const _ of decompress(chunked(gzip(data), 100), { workers })) break;
  }
});
