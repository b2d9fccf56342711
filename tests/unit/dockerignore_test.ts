// .dockerignore: reading the file and matching as the docker CLI 20.10/28 does (the facts
// of moby's fileutils/patternmatcher tests, and contexts sent by the real CLI to a
// recording server).

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  goClean,
  keepBuildFiles,
  PatternMatcher,
  readDockerignore,
} from "../../src/lib/dockerignore.ts";

const excluded = (patterns: string[], file: string) => new PatternMatcher(patterns).matches(file);

Deno.test("reading: comments, blanks, BOM, cleaning, leading / and ./ removed, ! kept", () => {
  const text = "\uFEFF# comment\n\n  .git \n/abs/path\n./rel/../x\n! ./keep\n #not a comment\n" +
    "a//b/\r\n!\n/\n";
  assertEquals(readDockerignore(text), [
    ".git",
    "abs/path",
    "x",
    "!keep",
    "#not a comment",
    "a/b",
    "!",
    "/",
  ]);
});

Deno.test("goClean", () => {
  assertEquals(goClean(""), ".");
  assertEquals(goClean("./a/./b/"), "a/b");
  assertEquals(goClean("a/../.."), "..");
  assertEquals(goClean("/../a"), "/a");
  assertEquals(goClean("a//b"), "a/b");
});

Deno.test("* and ? stay in one path segment; ** crosses them", () => {
  assertEquals(excluded(["*.go"], "main.go"), true);
  assertEquals(excluded(["*.go"], "pkg/main.go"), false);
  assertEquals(excluded(["**/*.go"], "pkg/a/main.go"), true);
  assertEquals(excluded(["**/*.go"], "main.go"), true);
  assertEquals(excluded(["**"], "anything/at/all"), true);
  assertEquals(excluded(["a/**"], "a/b/c"), true);
  assertEquals(excluded(["a/**/b"], "a/b"), true);
  assertEquals(excluded(["a/**/b"], "a/x/y/b"), true);
  assertEquals(excluded(["a/**/b"], "a/xb"), false);
  assertEquals(excluded(["**/b"], "xb"), false);
  assertEquals(excluded(["?.txt"], "a.txt"), true);
  assertEquals(excluded(["?.txt"], "ab.txt"), false);
  assertEquals(excluded(["a?b"], "a/b"), false);
  assertEquals(excluded(["dir/*"], "dir/sub/file"), true); // through the parent "dir/sub"
  assertEquals(excluded(["*"], "a/b"), true); // the parent "a" matches
});

Deno.test("dots and dollars are literal; brackets are classes; backslash escapes", () => {
  assertEquals(excluded(["a.b"], "axb"), false);
  assertEquals(excluded(["$x"], "$x"), true);
  assertEquals(excluded(["[abc].txt"], "b.txt"), true);
  assertEquals(excluded(["[^abc].txt"], "b.txt"), false);
  assertEquals(excluded(["[a-c].txt"], "d.txt"), false);
  assertEquals(excluded(["\\*"], "*"), true);
  assertEquals(excluded(["\\*"], "x"), false);
  assertEquals(excluded(["a\\?"], "ab"), false);
});

Deno.test("a pattern matching a parent directory excludes everything below it", () => {
  assertEquals(excluded(["node_modules"], "node_modules/x/i.js"), true);
  assertEquals(excluded(["a/b"], "a/b/c/d"), true);
  assertEquals(excluded(["a/b"], "a/bc"), false);
  assertEquals(excluded(["b"], "a/b"), false); // patterns are anchored at the context root
});

Deno.test("exceptions: the last matching pattern wins", () => {
  assertEquals(excluded(["*.md", "!README.md"], "README.md"), false);
  assertEquals(excluded(["*.md", "!README.md"], "CHANGES.md"), true);
  assertEquals(excluded(["!README.md", "*.md"], "README.md"), true);
  assertEquals(excluded(["docs", "!docs/keep.md"], "docs/keep.md"), false);
  assertEquals(excluded(["docs", "!docs/keep.md"], "docs/drop.md"), true);
  // an exception for a child does not re-include the rest of an excluded parent
  assertEquals(excluded(["**/*.go", "!a/b/z.go"], "a/b/z.go"), false);
  assertEquals(excluded(["**/*.go", "!a/b/z.go"], "a/b/y.go"), true);
});

Deno.test("mustEnter: an excluded directory is walked when an exception names something under it", () => {
  const pm = new PatternMatcher(["c", "!c/keep.md", "d"]);
  assertEquals(pm.mustEnter("c"), true);
  assertEquals(pm.mustEnter("d"), false);
  assertEquals(new PatternMatcher(["c"]).mustEnter("c"), false);
});

Deno.test("bad patterns are refused as filepath.Match refuses them", () => {
  throws(() => new PatternMatcher(["!"]), /illegal exclusion pattern: "!"/);
  throws(() => new PatternMatcher(["[a"]), /syntax error in pattern/);
  throws(() => new PatternMatcher(["[]a]"]), /syntax error in pattern/);
  throws(() => new PatternMatcher(["a\\"]), /syntax error in pattern/);
  throws(() => new PatternMatcher(["[a-]"]), /syntax error in pattern/);
  new PatternMatcher(["[a-c]", "[\\]]", "x"]);
});

Deno.test("the Dockerfile and .dockerignore are sent even when ignored (not a stdin Dockerfile)", () => {
  const ex = ["/Dockerfile", ".dockerignore", "*.txt"].map((p) => readDockerignore(p)[0]);
  assertEquals(keepBuildFiles(ex, "Dockerfile", false), [
    "Dockerfile",
    ".dockerignore",
    "*.txt",
    "!.dockerignore",
    "!Dockerfile",
  ]);
  assertEquals(keepBuildFiles(ex, "Dockerfile", true), [
    "Dockerfile",
    ".dockerignore",
    "*.txt",
    "!.dockerignore",
  ]);
  assertEquals(keepBuildFiles(["x"], "sub/Dockerfile", false), ["x"]);
  assertEquals(
    new PatternMatcher(keepBuildFiles(["*"], "Dockerfile", false)).matches("Dockerfile"),
    false,
  );
});
