// Records what exists before the suite runs; zzz_leaks_test.ts checks nothing was added.
import { BASELINE, snapshot } from "../helpers/leaks.ts";

Deno.test("leak baseline (taken before the other test files)", async () => {
  await Deno.writeTextFile(BASELINE, JSON.stringify(await snapshot()));
});
