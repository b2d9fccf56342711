// .dockerignore as the docker CLI 20.10 applies it (dockerignore.ReadAll, pkg/fileutils'
// PatternMatcher, build.TrimBuildFilesFromExcludes and archive.TarWithOptions' walk):
// patterns are cleaned paths relative to the context; `*` and `?` stop at `/`, `**` crosses
// directories, `\` escapes; `!` makes an exception and the last matching pattern wins; a
// pattern matching a parent directory excludes what is under it.

/** Go's filepath.Clean (Unix). */
export function goClean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/** The patterns of a .dockerignore file (dockerignore.ReadAll). */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("#")) continue;
    let pattern = line.trim();
    if (pattern === "") continue;
    const invert = pattern.startsWith("!");
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** filepath.Match's syntax check: escapes complete, character classes closed and non-empty. */
function checkSyntax(pattern: string): void {
  const bad = () => new Error("syntax error in pattern");
  // one class character (getEsc): not "-" or "]", an escape needs its character
  const esc = (i: number) => {
    if (i >= pattern.length || pattern[i] === "-" || pattern[i] === "]") throw bad();
    if (pattern[i] === "\\" && ++i >= pattern.length) throw bad();
    if (i + 1 >= pattern.length) throw bad();
    return i + 1;
  };
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === "\\") {
      if (++i >= pattern.length) throw bad();
    } else if (pattern[i] === "[") {
      i++;
      if (pattern[i] === "^") i++;
      for (let ranges = 0;; ranges++) {
        if (pattern[i] === "]" && ranges > 0) break;
        i = esc(i);
        if (pattern[i] === "-") i = esc(i + 1);
      }
    }
  }
}

/** fileutils' pattern → regexp conversion (Unix separators). */
function compile(pattern: string): RegExp {
  let re = "^";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        if (chars[i + 1] === "/") i++;
        re += i + 1 >= chars.length ? ".*" : "(.*/)?";
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else if (ch === "." || ch === "$") re += `\\${ch}`;
    else if (ch === "\\") re += i + 1 < chars.length ? `\\${chars[++i]}` : "\\\\";
    else re += ch;
  }
  // no "u" flag: like Go's regexp, a lone "{" or "]" is a literal
  return new RegExp(re + "$", "s");
}

interface Pattern {
  text: string;
  exclusion: boolean;
  dirs: number;
  regexp?: RegExp;
}

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly hasExclusions: boolean = false;

  /** Throws on a pattern filepath.Match would refuse, or on a lone "!". */
  constructor(patterns: string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (p === "") continue;
      p = goClean(p);
      const exclusion = p.startsWith("!");
      if (exclusion) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        p = p.slice(1);
        this.hasExclusions = true;
      }
      checkSyntax(p);
      this.patterns.push({ text: p, exclusion, dirs: p.split("/").length });
    }
  }

  /** Whether `file` (relative, `/`-separated) is excluded: last match wins, parents count. */
  matches(file: string): boolean {
    const rel = goClean(file);
    const slash = rel.lastIndexOf("/");
    const parent = slash < 0 ? "." : rel.slice(0, slash);
    const parentDirs = parent.split("/");
    let matched = false;
    for (const p of this.patterns) {
      p.regexp ??= compileChecked(p.text);
      let match = p.regexp.test(rel);
      if (!match && parent !== "." && p.dirs <= parentDirs.length) {
        match = p.regexp.test(parentDirs.slice(0, p.dirs).join("/"));
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * For an excluded directory: whether the walk must still enter it because an exception
   * (`!dir/file`) names something under it (archive.TarWithOptions' rule).
   */
  mustEnter(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const prefix = `${dir}/`;
    return this.patterns.some((p) => p.exclusion && `${p.text}/`.startsWith(prefix));
  }
}

/** Patterns Go's regexp accepts can be invalid in JavaScript (e.g. "(" alone): say so. */
function compileChecked(text: string): RegExp {
  try {
    return compile(text);
  } catch {
    throw new Error(`error parsing regexp in .dockerignore pattern ${JSON.stringify(text)}`);
  }
}

/**
 * The CLI's rule: the Dockerfile and .dockerignore are sent even when ignored (exceptions
 * appended), except a Dockerfile read from stdin (build.TrimBuildFilesFromExcludes).
 */
export function keepBuildFiles(
  excludes: string[],
  dockerfile: string,
  dockerfileFromStdin: boolean,
): string[] {
  const pm = new PatternMatcher(excludes);
  const out = [...excludes];
  if (pm.matches(".dockerignore")) out.push("!.dockerignore");
  if (pm.matches(dockerfile) && !dockerfileFromStdin) out.push(`!${dockerfile}`);
  return out;
}
