// Go's path/filepath.Match (Unix): `*` any run of non-"/" characters, `?` one non-"/"
// character, `[...]` a class (`^` negates, `a-z` ranges), `\` escapes. The whole name must
// match. A malformed pattern matches nothing (Docker's COPY ignores Match's error).

/** One class character at `i` (getEsc): its code point and the index after it. */
function classChar(p: string[], i: number): [string, number] | null {
  if (i >= p.length || p[i] === "-" || p[i] === "]") return null;
  if (p[i] === "\\") i++;
  if (i >= p.length) return null;
  return [p[i], i + 1];
}

/**
 * Matches the chunk (pattern without `*`) at the start of `s`; returns the rest of `s`,
 * or null (no match), or throws on a malformed chunk.
 */
function matchChunk(chunk: string[], s: string[]): string[] | null {
  let failed = false;
  let i = 0;
  while (i < chunk.length) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[i];
    if (c === "[") {
      const r = failed ? "" : s[0];
      if (!failed) s = s.slice(1);
      i++;
      let negated = false;
      if (chunk[i] === "^") {
        negated = true;
        i++;
      }
      let match = false;
      for (let n = 0;; n++) {
        if (chunk[i] === "]" && n > 0) {
          i++;
          break;
        }
        const lo = classChar(chunk, i);
        if (!lo) throw new Error("syntax error in pattern");
        let hi: [string, number] | null = lo;
        i = lo[1];
        if (chunk[i] === "-") {
          hi = classChar(chunk, i + 1);
          if (!hi) throw new Error("syntax error in pattern");
          i = hi[1];
        }
        const cp = r.codePointAt(0) ?? -1;
        if (lo[0].codePointAt(0)! <= cp && cp <= hi[0].codePointAt(0)!) match = true;
      }
      if (match === negated) failed = true;
    } else if (c === "?") {
      if (!failed) {
        if (s[0] === "/") failed = true;
        s = s.slice(1);
      }
      i++;
    } else {
      let lit = c;
      if (c === "\\") {
        i++;
        if (i >= chunk.length) throw new Error("syntax error in pattern");
        lit = chunk[i];
      }
      if (!failed) {
        if (s[0] !== lit) failed = true;
        s = s.slice(1);
      }
      i++;
    }
  }
  return failed ? null : s;
}

/** Splits off the leading stars and the chunk up to the next unescaped, unbracketed `*`. */
function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  while (p.length > 0 && p[0] === "*") {
    p = p.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
    }
  }
  return { star, chunk: p.slice(0, i), rest: p.slice(i) };
}

function match(pattern: string, name: string): boolean {
  let p = [...pattern];
  let s = [...name];
  Pattern: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !s.includes("/"); // trailing * matches the rest
    const t = matchChunk(chunk, s);
    if (t !== null && (t.length === 0 || p.length > 0)) {
      s = t;
      continue;
    }
    if (star) {
      // look for a match skipping i+1 bytes; * never crosses a separator
      for (let i = 0; i < s.length && s[i] !== "/"; i++) {
        const u = matchChunk(chunk, s.slice(i + 1));
        if (u !== null) {
          if (p.length === 0 && u.length > 0) continue;
          s = u;
          continue Pattern;
        }
      }
    }
    return false;
  }
  return s.length === 0;
}

/** filepath.Match(pattern, name); false also for a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  try {
    return match(pattern, name);
  } catch {
    return false;
  }
}
