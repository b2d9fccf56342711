// Variable substitution against facts observed from dockerd 20.10's classic builder (each
// word below was built as `USER <word>` with ENV A=a B="x y" E= Q="'q'" and the image's
// User compared, or the build's error text).

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  ExpandError,
  expandInstruction,
  expandWord,
  expandWords,
  parseDockerfile,
} from "../../src/api/build/dockerfile/mod.ts";

const env = { A: "a", B: "x y", E: "", Q: "'q'" };
const w = (word: string, escape = "\\") => expandWord(word, env, escape);
const fails = (word: string, reason: string) =>
  throws(
    () => w(word),
    (e: Error) => {
      assertEquals(e instanceof ExpandError, true);
      assertEquals(e.message, `failed to process ${JSON.stringify(word)}: ${reason}`);
      return true;
    },
  );

Deno.test("plain and braced variables", () => {
  assertEquals(w("$A"), "a");
  assertEquals(w("${A}"), "a");
  assertEquals(w("$A$B"), "ax y");
  assertEquals(w("pre${A}post"), "preapost");
  assertEquals(w("$Aé"), "");
  assertEquals(w("$N/x"), "/x");
  assertEquals(w("${A}}"), "a}");
});

Deno.test("modifiers :- :+ ? :?", () => {
  assertEquals(w("${A:-d}"), "a");
  assertEquals(w("${N:-d}"), "d");
  assertEquals(w("${E:-d}"), "d");
  assertEquals(w("${A:+alt}"), "alt");
  assertEquals(w("${E:+alt}"), "");
  assertEquals(w("${N:+alt}"), "");
  assertEquals(w("${A?m}"), "a");
  assertEquals(w("${E?m}"), "");
  assertEquals(w("${A:?m}"), "a");
  assertEquals(w("${N:-$A}"), "a");
  assertEquals(w("${N:-${A:+z}}"), "z");
  assertEquals(w("${N:-a b}"), "a b");
  assertEquals(w("${N:-'x y'}"), "x y");
  assertEquals(w('${N:-"x"}'), "x");
  assertEquals(w("${N:-}}"), "}");
  assertEquals(w("${A:-\\}}"), "a");
  fails("${N?m}", "N: m");
  fails("${N?}", "N: is not allowed to be unset");
  fails("${E:?}", "E: is not allowed to be empty");
  fails("${E:?oops}", "E: oops");
});

Deno.test("Docker 20.10 refuses ${VAR-x} and ${VAR+x}, and bad substitutions", () => {
  fails("${A-x}", "missing ':' in substitution");
  fails("${A+x}", "missing ':' in substitution");
  fails("${A", "missing ':' in substitution");
  fails("${A:", "syntax error: missing '}'");
  fails("${A:-", "syntax error: missing '}'");
  fails("${}", "syntax error: bad substitution");
  fails("${:}", "syntax error: bad substitution");
  fails("${{A}}", "syntax error: bad substitution");
  fails("${A:x}", "unsupported modifier (x) in substitution");
});

Deno.test("special parameters and lone dollars", () => {
  assertEquals(w("$"), "$");
  assertEquals(w("a$"), "a$");
  assertEquals(w("$$"), "");
  assertEquals(w("$1"), "");
  assertEquals(w("$12x"), "x");
  assertEquals(w("$@"), "");
  assertEquals(w("$*x"), "x");
  assertEquals(w("${1}"), "");
  assertEquals(w("$-"), "");
});

Deno.test("quotes and escapes", () => {
  assertEquals(w("'$A'"), "$A");
  assertEquals(w('"$A"'), "a");
  assertEquals(w(`"'$A'"`), "'a'");
  assertEquals(w(`'"$A"'`), '"$A"');
  assertEquals(w("\\$A"), "$A");
  assertEquals(w('"\\$A"'), "$A");
  assertEquals(w('"\\x"'), "\\x");
  assertEquals(w("\\x"), "x");
  assertEquals(w("a\\\\b"), "a\\b");
  assertEquals(w('"a\\\\b"'), "a\\b");
  assertEquals(w('"a\\"b"'), 'a"b');
  assertEquals(w("a\\"), "a");
  assertEquals(w("x\\ y"), "x y");
  assertEquals(w("$Q"), "'q'"); // values are not re-lexed
  fails('"unterminated', "unexpected end of statement while looking for matching double-quote");
  fails("'unterminated", "unexpected end of statement while looking for matching single-quote");
  fails('"a\\"', "unexpected end of statement while looking for matching double-quote");
});

Deno.test("the backtick escape character", () => {
  assertEquals(w("`$A", "`"), "$A");
  assertEquals(w('"`$A"', "`"), "$A");
  assertEquals(w("\\$A", "`"), "\\a");
  assertEquals(w('"a`"b"', "`"), 'a"b');
  assertEquals(w("a``b", "`"), "a`b");
  assertEquals(w('"a``b"', "`"), "a`b");
  assertEquals(w('"`x"', "`"), "`x");
  assertEquals(w("a`", "`"), "a");
});

Deno.test("expandWords splits on unquoted whitespace only", () => {
  const ws = (word: string) => expandWords(word, { P: "80 443/udp", E: "" }, "\\");
  assertEquals(ws("$P"), ["80", "443/udp"]);
  assertEquals(ws('"$P"'), ["80 443/udp"]);
  assertEquals(ws("a\\ b c"), ["a b", "c"]);
  assertEquals(ws("$E"), []);
  assertEquals(ws("x$P"), ["x80", "443/udp"]);
  assertEquals(ws("''"), []);
});

Deno.test("expandInstruction substitutes where the classic builder does", () => {
  const df = parseDockerfile([
    "FROM scratch",
    "ENV $A=1 B=\"q r\" C='$A' D=\\$A",
    "LABEL $A=$B",
    "ARG $A=${B} n",
    "COPY --chown=$A:$A --from=$A $A* /$B/",
    'WORKDIR $A/"x y"',
    "USER ${U:-x}:${G:-g}",
    'VOLUME $A "/b"',
    "STOPSIGNAL $S",
    'EXPOSE $P "8080"',
    "RUN echo $A",
    "CMD $A",
    "ONBUILD RUN $A",
  ].join("\n"));
  const vars = { A: "x", B: "y z", S: "9", P: "80 443/udp" };
  const got = df.stages[0].instructions.map((i) => {
    const e = expandInstruction(i, vars, df.escapeChar);
    const { line: _l, endLine: _e, original: _o, ...rest } = e;
    return rest;
  });
  assertEquals(got, [
    {
      kind: "env",
      pairs: [
        { key: "x", value: "1" },
        { key: "B", value: "q r" },
        { key: "C", value: "$A" },
        { key: "D", value: "$A" },
      ],
    },
    { kind: "label", pairs: [{ key: "x", value: "y z" }] },
    { kind: "arg", args: [{ key: "x", value: "y z" }, { key: "n" }] },
    { kind: "copy", sources: ["x*"], dest: "/y z/", from: "$A", chown: "x:x" },
    { kind: "workdir", path: "x/x y" },
    { kind: "user", user: "x:g" },
    { kind: "volume", volumes: ["x", "/b"] },
    { kind: "stopsignal", signal: "9" },
    { kind: "expose", ports: ["8080", "80", "443/udp"] },
    { kind: "run", args: ["echo $A"], prependShell: true, flagsUsed: [] },
    { kind: "cmd", args: ["$A"], prependShell: true },
    { kind: "onbuild", expression: "RUN $A" },
  ]);
});
