// The classic builder's pure parts: Go's text for #(nop) comments, ARG resolution
// (--build-arg over the default over the meta ARG; what RUN sees and records), the Env
// update of ENV, and the cache key's independence from key order.
import { deepStrictEqual as assertEquals, notDeepStrictEqual } from "node:assert/strict";
import { goDuration, goQuoteRune } from "../../src/api/build/gofmt.ts";
import { BuildArgs, setEnv, type StageState } from "../../src/api/build/state.ts";
import { cacheKey } from "../../src/api/build/cache.ts";

Deno.test("build gofmt: time.Duration.String and %q of an int", () => {
  assertEquals(goDuration(0), "0s");
  assertEquals(goDuration(5e9), "5s");
  assertEquals(goDuration(1.5e9), "1.5s");
  assertEquals(goDuration(90e9), "1m30s");
  assertEquals(goDuration(3600e9), "1h0m0s");
  assertEquals(goDuration(500e6), "500ms");
  assertEquals(goDuration(1500), "1.5µs");
  assertEquals(goQuoteRune(2), "'\\x02'");
  assertEquals(goQuoteRune(0), "'\\x00'");
  assertEquals(goQuoteRune(10), "'\\n'");
  assertEquals(goQuoteRune(65), "'A'");
});

function stage(): StageState {
  return {
    index: 0,
    imageId: "sha256:x",
    record: "r",
    config: { Env: ["PATH=/bin", "E=env"] } as StageState["config"],
    args: new Map(),
    cmdSet: false,
    maintainer: "",
  };
}

Deno.test("build args: option over default over meta ARG; env wins; builtins", () => {
  const args = new BuildArgs({ A: "opt", UNUSED: "u", HTTP_PROXY: "p" });
  args.declareMeta("M", "meta");
  args.declareMeta("A", "metaA");
  const st = stage();
  args.declare(st, "A", "default");
  args.declare(st, "M", undefined);
  args.declare(st, "D", "dflt");
  args.declare(st, "E", "arg");
  args.declare(st, "NONE", undefined);
  assertEquals(args.value(st, "A"), "opt");
  assertEquals(args.value(st, "M"), "meta");
  assertEquals(args.value(st, "D"), "dflt");
  assertEquals(args.value(st, "NONE"), undefined);
  assertEquals(args.value(st, "UNDECLARED"), undefined);
  const allowed = args.allowed(st, st.config.Env ?? []);
  assertEquals(allowed.sort(), ["A=opt", "D=dflt", "HTTP_PROXY=p", "M=meta"]);
  // Recorded before a RUN's command: declared ones only, sorted (not the builtin proxy).
  assertEquals(args.recorded(st, allowed), ["A=opt", "D=dflt", "M=meta"]);
  // Substitution sees the Env first.
  assertEquals(args.expansionEnv(st).E, "env");
  assertEquals(args.unused(), ["UNUSED"]);
});

Deno.test("build state: ENV replaces in place or appends", () => {
  assertEquals(setEnv(["A=1", "B=2"], "A", "3"), ["A=3", "B=2"]);
  assertEquals(setEnv(["A=1"], "C", "x y"), ["A=1", "C=x y"]);
});

Deno.test("build cache key: canonical JSON (key order does not matter, values do)", () => {
  assertEquals(
    cacheKey({ a: 1, b: [1, { c: 2, d: 3 }] }),
    cacheKey({ b: [1, { d: 3, c: 2 }], a: 1 }),
  );
  notDeepStrictEqual(cacheKey({ Cmd: ["a"] }), cacheKey({ Cmd: ["b"] }));
});
