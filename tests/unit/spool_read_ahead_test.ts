// readAhead (the import spool's reader of the request body): every chunk in order, at most
// its cap read ahead of the consumer, a source's error after the chunks before it, and a
// consumer that stops early releases the source.

import assert from "node:assert/strict";
import { readAhead } from "../../src/containerd/images/spool.ts";

const chunk = (n: number, v: number) => new Uint8Array(n).fill(v);

Deno.test("readAhead: all chunks in order, bounded read-ahead", async () => {
  let produced = 0;
  async function* source() {
    for (let i = 0; i < 20; i++) {
      produced += 10;
      yield chunk(10, i);
    }
  }
  let consumed = 0;
  const seen: number[] = [];
  for await (const c of readAhead(source(), 35)) {
    // Never more than the cap ahead of us, plus the chunk that crossed it and this one.
    assert.ok(produced - consumed <= 35 + 2 * 10, `${produced} produced, ${consumed} consumed`);
    await new Promise((r) => setTimeout(r, 1));
    consumed += c.length;
    seen.push(c[0]);
  }
  assert.deepEqual(seen, [...Array(20).keys()]);
});

Deno.test("readAhead: the source's error reaches the consumer after its chunks", async () => {
  async function* source() {
    yield chunk(4, 1);
    yield chunk(4, 2);
    throw new Error("connection reset");
  }
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const c of readAhead(source())) seen.push(c[0]);
  }, /connection reset/);
  assert.deepEqual(seen, [1, 2]);
});

Deno.test("readAhead: a consumer that stops early releases the source", async () => {
  let released!: () => void;
  const done = new Promise<void>((r) => released = r);
  async function* source() {
    try {
      for (let i = 0;; i++) yield chunk(8, i);
    } finally {
      released();
    }
  }
  for await (const c of readAhead(source(), 64)) {
    if (c[0] === 3) break;
  }
  await done; // hangs (test timeout) if the source were never returned
});
