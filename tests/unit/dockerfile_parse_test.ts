// The Dockerfile parser against facts observed from dockerd 20.10 (DOCKER_BUILDKIT=0):
// the "Step N/M : …" text, typed fields, and the exact error messages.

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  type Dockerfile,
  DockerfileParseError,
  type Instruction,
  parseDockerfile,
} from "../../src/api/build/dockerfile/mod.ts";

const fails = (text: string, message: string) =>
  throws(
    () => parseDockerfile(text),
    (e: Error) => {
      assertEquals(e instanceof DockerfileParseError, true);
      assertEquals(e.message, message);
      return true;
    },
  );

/** "Step N/M : <original>" texts as the classic builder prints them. */
function steps(df: Dockerfile): string[] {
  const all = df.stages.flatMap((s) => [s.original, ...s.instructions.map((i) => i.original)]);
  return all.map((o, i) => `Step ${i + 1}/${all.length} : ${o}`);
}

const only = (text: string): Instruction => {
  const df = parseDockerfile(`FROM scratch\n${text}\n`);
  assertEquals(df.stages[0].instructions.length, 1);
  return df.stages[0].instructions[0];
};

const omit = <T extends object>(o: T, ...keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

Deno.test("the reference build: steps, lines, forms", () => {
  const df = parseDockerfile('FROM bb:latest\nRUN echo hi > /f\nCMD ["cat","/f"]\n');
  assertEquals(steps(df), [
    "Step 1/3 : FROM bb:latest",
    "Step 2/3 : RUN echo hi > /f",
    'Step 3/3 : CMD ["cat","/f"]',
  ]);
  assertEquals(df.stages[0].baseName, "bb:latest");
  assertEquals(df.stages[0].instructions[0], {
    kind: "run",
    line: 2,
    endLine: 2,
    original: "RUN echo hi > /f",
    args: ["echo hi > /f"],
    prependShell: true,
    flagsUsed: [],
  });
  assertEquals(omit(df.stages[0].instructions[1], "line", "endLine", "original"), {
    kind: "cmd",
    args: ["cat", "/f"],
    prependShell: false,
  });
});

Deno.test("continuations: escape removed, continuation lines kept as written, comments and blank lines skipped", () => {
  const df = parseDockerfile("FROM scratch\n  run \\\n  echo   a\\\n\n  # x\n  b\n");
  const run = df.stages[0].instructions[0];
  assertEquals(run.original, "run   echo   a  b");
  assertEquals([run.line, run.endLine], [2, 6]);
  assertEquals(df.warnings, [
    "[WARNING]: Empty continuation line found in:\n    run   echo   a  b",
    "[WARNING]: Empty continuation lines will become errors in a future release.",
  ]);
  assertEquals(only("RUN a\\ \t\n b").original, "RUN a b");
  assertEquals(
    parseDockerfile("FROM scratch\r\nRUN a \\\r\n b\r\n").stages[0].instructions[0].original,
    "RUN a  b",
  );
  assertEquals(
    parseDockerfile("FROM scratch\nRUN a \\").stages[0].instructions[0].original,
    "RUN a",
  );
  // an escaped escape character ends the line (and, as Go's regexp sees it, so do three)
  const ends = (text: string) =>
    parseDockerfile(text).stages[0].instructions.map((i) => i.original);
  assertEquals(ends("FROM scratch\nRUN echo \\\\\nRUN x\n"), ["RUN echo \\\\", "RUN x"]);
  assertEquals(ends("FROM scratch\nRUN a\\\\\\\nRUN x\n"), ["RUN a\\\\\\", "RUN x"]);
  assertEquals(ends("# escape=`\nFROM scratch\nRUN a ``\nRUN b\n"), ["RUN a ``", "RUN b"]);
  // a lone escape line continues into the next line
  assertEquals(parseDockerfile("\\\nFROM scratch\n").stages[0].original, "FROM scratch");
});

Deno.test("directives: escape and syntax only at the top, once each, before any other line", () => {
  const tick = parseDockerfile("# escape=`\nFROM scratch\nRUN a \\\nRUN b `\n c\n");
  assertEquals(tick.escapeChar, "`");
  assertEquals(tick.stages[0].instructions.map((i) => i.original), ["RUN a \\", "RUN b  c"]);
  const both = parseDockerfile("# syntax=x\n# ESCAPE = `\nFROM scratch\n");
  assertEquals([both.syntax, both.escapeChar], ["x", "`"]);
  // after a blank line, an unknown directive or a comment, it is only a comment
  assertEquals(parseDockerfile("\n# escape=`\nFROM scratch\n").escapeChar, "\\");
  assertEquals(parseDockerfile("# foo=bar\n# escape=`\nFROM scratch\n").escapeChar, "\\");
  fails(
    "# escape=`\n# escape=`\nFROM scratch\n",
    "failed to parse Dockerfile: only one escape parser directive can be used",
  );
  fails(
    "# syntax=a\n# syntax=b\nFROM scratch\n",
    "failed to parse Dockerfile: only one syntax parser directive can be used",
  );
  fails(
    "# escape=x\nFROM scratch\n",
    "failed to parse Dockerfile: invalid escape token 'x' does not match ` or \\",
  );
  fails(
    "# escape=`x\nFROM scratch\n",
    "failed to parse Dockerfile: invalid escape token '`x' does not match ` or \\",
  );
});

Deno.test("comments, BOM, empty files", () => {
  assertEquals(steps(parseDockerfile("\uFEFF  # c\n\n  FROM scratch\n")), [
    "Step 1/1 : FROM scratch",
  ]);
  fails("", "the Dockerfile (Dockerfile) cannot be empty");
  fails("\n", "failed to parse Dockerfile: file with no instructions");
  fails("# only\n", "failed to parse Dockerfile: file with no instructions");
  throws(() => parseDockerfile("", "sub/Dockerfile.dev"), /the Dockerfile \(sub\/Dockerfile.dev\)/);
  // bufio.Scanner's limit: a line of 65536 bytes or more
  parseDockerfile(`FROM scratch\nLABEL a=${"x".repeat(65535 - 8)}\n`);
  fails(
    `FROM scratch\nLABEL a=${"x".repeat(65536 - 8)}\n`,
    "failed to parse Dockerfile: dockerfile line greater than max allowed size of 65535",
  );
});

Deno.test("stages: names lower-cased, meta args, --platform, errors", () => {
  const df = parseDockerfile(
    "ARG BASE=bb\nARG V\nFROM --platform=linux/amd64 ${BASE} AS Build\nRUN x\nfrom build as final\n",
  );
  assertEquals(df.metaArgs.map((a) => a.args), [[{ key: "BASE", value: "bb" }], [{ key: "V" }]]);
  assertEquals(df.stages.map((s) => [s.name, s.baseName, s.platform, s.line]), [
    ["build", "${BASE}", "linux/amd64", 3],
    ["final", "build", undefined, 5],
  ]);
  assertEquals(df.stages[0].original, "FROM --platform=linux/amd64 ${BASE} AS Build");
  fails("ARG a\nENV x=y\nFROM scratch\n", "no build stage in current context");
  fails("FROM\n", "dockerfile parse error line 1: FROM requires either one or three arguments");
  fails(
    "FROM scratch AS\n",
    "dockerfile parse error line 1: FROM requires either one or three arguments",
  );
  fails(
    "FROM scratch as a b\n",
    "dockerfile parse error line 1: FROM requires either one or three arguments",
  );
  fails(
    "FROM scratch AS 1x\n",
    'dockerfile parse error line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols',
  );
  fails(
    "FROM --platform scratch\n",
    "dockerfile parse error line 1: Missing a value on flag: platform",
  );
  fails("FROM --x=1 scratch\n", "dockerfile parse error line 1: Unknown flag: x");
});

Deno.test("unknown instructions name the line and the keyword", () => {
  fails("FROM scratch\n\nFORM x\n", "dockerfile parse error line 3: unknown instruction: FORM");
  fails("form x\n", "dockerfile parse error line 1: unknown instruction: FORM");
});

Deno.test("RUN/CMD/ENTRYPOINT: JSON only when the text starts with a JSON array of strings", () => {
  assertEquals(omit(only('RUN ["a" , "b\\u0041"]'), "line", "endLine", "original", "flagsUsed"), {
    kind: "run",
    args: ["a", "bA"],
    prependShell: false,
  });
  // invalid JSON is shell text; Go's decoder ignores what follows the first value
  assertEquals(omit(only('CMD ["a",'), "line", "endLine", "original"), {
    kind: "cmd",
    args: ['["a",'],
    prependShell: true,
  });
  assertEquals(omit(only("CMD [ ] x"), "line", "endLine", "original"), {
    kind: "cmd",
    args: [],
    prependShell: false,
  });
  assertEquals(omit(only('CMD {"a":1}'), "line", "endLine", "original"), {
    kind: "cmd",
    args: ['{"a":1}'],
    prependShell: true,
  });
  assertEquals(omit(only("ENTRYPOINT"), "line", "endLine", "original"), {
    kind: "entrypoint",
    args: [],
    prependShell: true,
  });
  fails(
    'FROM scratch\nCMD ["a", 1]\n',
    "failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only",
  );
  fails("FROM scratch\nRUN --foo=bar true\n", "dockerfile parse error line 2: Unknown flag: foo");
  fails(
    "FROM scratch\nRUN --network=none true\n",
    "dockerfile parse error line 2: Unknown flag: network",
  );
  const mount = only("RUN --mount=type=cache,target=/x --mount=type=tmpfs,target=/y true");
  assertEquals(mount.kind === "run" && mount.flagsUsed, ["mount"]);
  fails(
    "FROM scratch\nRUN --mount a\n",
    "dockerfile parse error line 2: Missing a value on flag: mount",
  );
});

Deno.test("ENV and LABEL: k=v pairs with quotes kept, legacy `k v`, errors", () => {
  const env = only("ENV A=1 B=\"x y\" C='$A' D=\\$A E=");
  assertEquals(env.kind === "env" && env.pairs, [
    { key: "A", value: "1" },
    { key: "B", value: '"x y"' },
    { key: "C", value: "'$A'" },
    { key: "D", value: "\\$A" },
    { key: "E", value: "" },
  ]);
  const legacy = only("ENV a b  c  ");
  assertEquals(legacy.kind === "env" && legacy.pairs, [{ key: "a", value: "b  c" }]);
  const label = only('LABEL "a b"=c d="e f" g=h\\ i');
  assertEquals(label.kind === "label" && label.pairs, [
    { key: '"a b"', value: "c" },
    { key: "d", value: '"e f"' },
    { key: "g", value: "h\\ i" },
  ]);
  fails("FROM scratch\nENV A\n", "failed to parse Dockerfile: ENV must have two arguments");
  throws(
    () => parseDockerfile("FROM scratch\n\nENV A\n"),
    (e: DockerfileParseError) => e.line === 3,
  );
  fails(
    "FROM scratch\nLABEL a=b c\n",
    'failed to parse Dockerfile: Syntax error - can\'t find = in "c". Must be of the form: name=value',
  );
  fails("FROM scratch\nENV =x\n", "dockerfile parse error line 2: ENV names can not be blank");
  fails(
    "FROM scratch\nLABEL\n",
    "dockerfile parse error line 2: LABEL requires at least one argument",
  );
  fails("FROM scratch\nENV --x=y a b\n", "dockerfile parse error line 2: Unknown flag: x");
  // an unterminated quote parses; substitution fails at dispatch time
  const open = only('ENV a="b');
  assertEquals(open.kind === "env" && open.pairs, [{ key: "a", value: '"b' }]);
});

Deno.test("ARG: several definitions, defaults absent or empty", () => {
  const arg = only("ARG a b= c=d");
  assertEquals(arg.kind === "arg" && arg.args, [{ key: "a" }, { key: "b", value: "" }, {
    key: "c",
    value: "d",
  }]);
  fails("FROM scratch\nARG\n", "dockerfile parse error line 2: ARG requires at least one argument");
  fails("FROM scratch\nARG =x\n", "dockerfile parse error line 2: ARG names can not be blank");
  // ARG does not look at builder flags (it is parsed as a word)
  assertEquals(parseDockerfile("FROM scratch\nARG --x=y a\n").stages[0].instructions.length, 1);
});

Deno.test("COPY and ADD: flags, JSON form, last word is the destination", () => {
  const copy = only('COPY --chown="a b" --from=build a* "b c" /dst/');
  assertEquals(omit(copy, "line", "endLine", "original"), {
    kind: "copy",
    sources: ["a*", '"b', 'c"'],
    dest: "/dst/",
    from: "build",
    chown: "a b",
  });
  const json = only('COPY ["a b", "/x y/"]');
  assertEquals(json.kind === "copy" && [json.sources, json.dest], [["a b"], "/x y/"]);
  const add = only("ADD --chown=1 --chmod=2 a b");
  assertEquals(add.kind === "add" && [add.chown, add.chmod, add.sources, add.dest], ["1", "2", [
    "a",
  ], "b"]);
  const dashdash = only("COPY -- --x a");
  assertEquals(dashdash.kind === "copy" && [dashdash.sources, dashdash.dest], [["--x"], "a"]);
  const empty = only("COPY --from= a b");
  assertEquals(empty.kind === "copy" && empty.from, "");
  fails(
    "FROM scratch\nCOPY --from=x foo\n",
    "dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined",
  );
  fails("FROM scratch\nADD --from=a a /\n", "dockerfile parse error line 2: Unknown flag: from");
  fails("FROM scratch\nCOPY --link a b\n", "dockerfile parse error line 2: Unknown flag: link");
  fails(
    "FROM scratch\nCOPY --from a /\n",
    "dockerfile parse error line 2: Missing a value on flag: from",
  );
  fails(
    "FROM scratch\nCOPY --chown=a --chown=b a /\n",
    "dockerfile parse error line 2: Duplicate flag specified: chown",
  );
  fails(
    'FROM scratch\nCOPY ["a", 1]\n',
    "failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only",
  );
});

Deno.test("single-argument instructions take the whole rest of the line", () => {
  const w = only("WORKDIR a b");
  assertEquals(w.kind === "workdir" && w.path, "a b");
  const m = only("MAINTAINER  me  you ");
  assertEquals(m.kind === "maintainer" && m.maintainer, "me  you");
  const s = only("STOPSIGNAL --x=y 9"); // STOPSIGNAL ignores builder flags
  assertEquals(s.kind === "stopsignal" && s.signal, "9");
  fails(
    "FROM scratch\nWORKDIR  \n",
    "dockerfile parse error line 2: WORKDIR requires exactly one argument",
  );
  fails(
    "FROM scratch\nUSER\n",
    "dockerfile parse error line 2: USER requires exactly one argument",
  );
  fails(
    "FROM scratch\nSTOPSIGNAL\n",
    "dockerfile parse error line 2: STOPSIGNAL requires exactly one argument",
  );
  fails(
    "FROM scratch\nMAINTAINER\n",
    "dockerfile parse error line 2: MAINTAINER requires exactly one argument",
  );
});

Deno.test("EXPOSE and VOLUME: words, JSON volumes, errors", () => {
  const e = only('EXPOSE 80 $P "9 0"');
  assertEquals(e.kind === "expose" && e.ports, ['"9', "$P", '0"', "80"]); // sorted, as buildkit
  const v = only('VOLUME ["/a", " /b "]');
  assertEquals(v.kind === "volume" && v.volumes, ["/a", "/b"]);
  fails(
    "FROM scratch\nEXPOSE\n",
    "dockerfile parse error line 2: EXPOSE requires at least one argument",
  );
  fails("FROM scratch\nEXPOSE --x 80\n", "dockerfile parse error line 2: Unknown flag: x");
  fails(
    "FROM scratch\nVOLUME\n",
    "dockerfile parse error line 2: VOLUME requires at least one argument",
  );
  fails(
    'FROM scratch\nVOLUME [" "]\n',
    "dockerfile parse error line 2: VOLUME specified can not be an empty string",
  );
});

Deno.test("SHELL needs JSON", () => {
  const s = only('SHELL ["/bin/bash", "-c"]');
  assertEquals(s.kind === "shell" && s.shell, ["/bin/bash", "-c"]);
  fails(
    "FROM scratch\nSHELL sh -c\n",
    "dockerfile parse error line 2: SHELL requires the arguments to be in JSON form",
  );
  fails(
    "FROM scratch\nSHELL []\n",
    "dockerfile parse error line 2: SHELL requires at least one argument",
  );
  fails(
    "FROM scratch\nSHELL\n",
    "dockerfile parse error line 2: SHELL requires at least one argument",
  );
});

Deno.test("HEALTHCHECK: NONE, CMD (shell or JSON), durations in ns, retries", () => {
  const h = only(
    "HEALTHCHECK --interval=5s --timeout=.5s --start-period=1m30s --retries=3 CMD curl -f x",
  );
  assertEquals(h.kind === "healthcheck" && h.health, {
    Test: ["CMD-SHELL", "curl -f x"],
    Interval: 5e9,
    Timeout: 5e8,
    StartPeriod: 90e9,
    Retries: 3,
  });
  const j = only('HEALTHCHECK cmd ["a", "b"]');
  assertEquals(j.kind === "healthcheck" && j.health.Test, ["CMD", "a", "b"]);
  const none = only("HEALTHCHECK --foo=1 NONE"); // NONE never looks at flags
  assertEquals(none.kind === "healthcheck" && none.health.Test, ["NONE"]);
  const line = (s: string) => `dockerfile parse error line 2: ${s}`;
  fails("FROM scratch\nHEALTHCHECK\n", line("HEALTHCHECK requires at least one argument"));
  fails("FROM scratch\nHEALTHCHECK NONE x\n", line("HEALTHCHECK NONE takes no arguments"));
  fails("FROM scratch\nHEALTHCHECK CMD\n", line("Missing command after HEALTHCHECK CMD"));
  fails("FROM scratch\nHEALTHCHECK CMD []\n", line("Missing command after HEALTHCHECK CMD"));
  fails(
    "FROM scratch\nHEALTHCHECK FOO true\n",
    line('Unknown type "FOO" in HEALTHCHECK (try CMD)'),
  );
  fails("FROM scratch\nHEALTHCHECK --foo=1 CMD x\n", line("Unknown flag: foo"));
  fails(
    "FROM scratch\nHEALTHCHECK --start-interval=1s CMD x\n",
    line("Unknown flag: start-interval"),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --interval=0s CMD x\n",
    line('Interval "interval" cannot be less than 1ms'),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --interval=100us CMD x\n",
    line('Interval "interval" cannot be less than 1ms'),
  );
  fails("FROM scratch\nHEALTHCHECK --interval=x CMD x\n", line('time: invalid duration "x"'));
  fails(
    "FROM scratch\nHEALTHCHECK --interval=1 CMD x\n",
    line('time: missing unit in duration "1"'),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --interval=1x CMD x\n",
    line('time: unknown unit "x" in duration "1x"'),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --retries=0 CMD x\n",
    line("--retries must be at least 1 (not 0)"),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --retries=-1 CMD x\n",
    line("--retries must be at least 1 (not -1)"),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --retries=x CMD x\n",
    line('strconv.ParseInt: parsing "x": invalid syntax'),
  );
  fails(
    "FROM scratch\nHEALTHCHECK --retries=99999999999 CMD x\n",
    line('strconv.ParseInt: parsing "99999999999": value out of range'),
  );
});

Deno.test("ONBUILD: the wrapped instruction as written; chaining, FROM and MAINTAINER refused", () => {
  const o = only("onbuild  RUN echo $A");
  assertEquals(o.kind === "onbuild" && o.expression, "RUN echo $A");
  const unknown = only("ONBUILD FOO bar"); // checked when the trigger runs, not here
  assertEquals(unknown.kind === "onbuild" && unknown.expression, "FOO bar");
  const line = (s: string) => `dockerfile parse error line 2: ${s}`;
  fails(
    "FROM scratch\nONBUILD ONBUILD RUN x\n",
    line("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
  );
  fails("FROM scratch\nONBUILD from x\n", line("FROM isn't allowed as an ONBUILD trigger"));
  fails(
    "FROM scratch\nONBUILD maintainer x\n",
    line("MAINTAINER isn't allowed as an ONBUILD trigger"),
  );
  fails("FROM scratch\nONBUILD\n", line("ONBUILD requires at least one argument"));
  fails("FROM scratch\nONBUILD ENV a\n", "failed to parse Dockerfile: ENV must have two arguments");
});
