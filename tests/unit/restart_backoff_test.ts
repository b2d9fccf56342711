// Docker's restart back-off: 100 ms, doubling up to a minute, back to 100 ms after a run of
// 10 s or more.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { nextRestartDelay } from "../../src/api/containers/monitor.ts";

Deno.test("restart back-off doubles from 100 ms up to a minute", () => {
  const delays: number[] = [];
  let delay: number | undefined;
  for (let i = 0; i < 12; i++) delays.push(delay = nextRestartDelay(delay, 50));
  assertEquals(
    delays,
    [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000],
  );
});

Deno.test("restart back-off resets after 10 s of running", () => {
  assertEquals(nextRestartDelay(6400, 10_000), 100);
  assertEquals(nextRestartDelay(6400, 9_999), 12800);
});
