// Signal names and numbers as runc's kill parses them.
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseSignal } from "../../src/runc/signals.ts";

Deno.test("runc signals: names with or without SIG, numbers, real-time offsets", () => {
  const cases: [string, number][] = [
    ["KILL", 9],
    ["SIGKILL", 9],
    ["term", 15],
    ["9", 9],
    ["0", 0], // only checks the process is there
    ["IOT", 6],
    ["RTMIN", 34],
    ["RTMIN+2", 36],
    ["SIGRTMAX-1", 63],
    ["64", 64],
  ];
  for (const [raw, n] of cases) assertEquals(parseSignal(raw), n, raw);
  for (const bad of ["65", "FOO", "RTMIN+31", "-1", ""]) {
    throws(() => parseSignal(bad), /unknown signal/, bad);
  }
});
