// The Dockerfile's lines into nodes, as buildkit's frontend/dockerfile/parser (the version
// Docker 20.10 vendors): parser directives at the top, comments, continuation lines with the
// escape character, builder flags (`--name=value`), and each instruction's argument shape
// (JSON array or shell words, key=value pairs, ONBUILD's sub-instruction).

/** One instruction line after the line parser: Docker's parser.Node, flattened. */
export interface Node {
  /** The keyword, lower-cased. */
  cmd: string;
  /** Builder flags as written (`--from=x`), quotes removed. */
  flags: string[];
  /** The arguments as the line parser shaped them (Docker's nodeArgs). */
  args: string[];
  /** The arguments were a JSON array. */
  json: boolean;
  /** The whole logical line (continuations joined, escape characters removed). */
  original: string;
  startLine: number;
  endLine: number;
}

export interface ParseResult {
  nodes: Node[];
  escapeChar: string;
  syntax?: string;
  warnings: string[];
}

/** A failure of the line parser (Docker: "failed to parse Dockerfile: <message>"). */
export class LineSyntaxError extends Error {
  /** The 1-based line it was found on (0 when it concerns the whole file). */
  line = 0;
}

const WHITESPACE = /[\t\v\f\r ]+/;
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only";

const isSpace = (ch: string) => /^\s$/u.test(ch);
const trimLeft = (s: string) => s.replace(/^\s+/u, "");
const isComment = (line: string) => trimLeft(line).startsWith("#");

class Directives {
  escape = "\\";
  syntax?: string;
  private done = false;
  private readonly seen = new Set<string>();
  private continuation = /([^\\])\\[ \t]*$|^\\[ \t]*$/;

  setEscape(s: string) {
    if (s !== "`" && s !== "\\") {
      throw new LineSyntaxError(`invalid escape token '${s}' does not match \` or \\`);
    }
    this.escape = s;
    // Docker's: the escape character at the end of the line, not itself escaped (an
    // escaped escape "\\\\" ends the line; Go has no lookbehind, so "\\\\\\" ends it too)
    const e = s === "\\" ? "\\\\" : s;
    this.continuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  }

  /** Directives count only before any instruction, comment or blank line. */
  check(line: string) {
    if (this.done) return;
    const m = DIRECTIVE.exec(line);
    const key = m?.[1].toLowerCase();
    if (!m || (key !== "escape" && key !== "syntax")) {
      this.done = true;
      return;
    }
    if (this.seen.has(key)) {
      throw new LineSyntaxError(`only one ${key} parser directive can be used`);
    }
    this.seen.add(key);
    if (key === "escape") this.setEscape(m[2]);
    else this.syntax = m[2];
  }

  /** Removes a trailing escape character; says whether the line ends the instruction. */
  trimContinuation(line: string): [string, boolean] {
    if (this.continuation.test(line)) return [line.replace(this.continuation, "$1"), false];
    return [line, true];
  }
}

/** bufio.Scanner's default buffer: a line of this many bytes or more fails the scan. */
const MAX_LINE_BYTES = 64 * 1024;
const encoder = new TextEncoder();

/** Lines as Go's bufio.ScanLines gives them: split on \n, a trailing \r dropped. */
function scanLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) {
    if (l.length * 3 >= MAX_LINE_BYTES && encoder.encode(l).length >= MAX_LINE_BYTES) {
      throw new LineSyntaxError(
        `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`,
      );
    }
  }
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

export function parseLines(text: string): ParseResult {
  const d = new Directives();
  const lines = scanLines(text.replace(/^\uFEFF/, ""));
  const nodes: Node[] = [];
  const warnings: string[] = [];
  /** The 1-based line being read, for errors. */
  let at = 0;
  const atLine = <T>(n: number, f: () => T): T => {
    at = n;
    return f();
  };
  try {
    let i = 0;
    while (i < lines.length) {
      const raw = trimLeft(lines[i]);
      atLine(i + 1, () => d.check(raw));
      const startLine = ++i;
      let [line, end] = d.trimContinuation(raw.startsWith("#") ? "" : raw);
      if (end && line === "") continue;
      let emptyContinuation = false;
      while (!end && i < lines.length) {
        const next = lines[i++];
        atLine(i, () => d.check(next));
        if (isComment(next)) continue;
        if (trimLeft(next) === "") {
          emptyContinuation = true;
          continue;
        }
        const [part, isEnd] = d.trimContinuation(next);
        line += part;
        end = isEnd;
      }
      if (emptyContinuation) {
        warnings.push("[WARNING]: Empty continuation line found in:\n    " + line);
      }
      const node = atLine(startLine, () => nodeFromLine(line, d));
      node.startLine = startLine;
      node.endLine = i;
      nodes.push(node);
    }
  } catch (e) {
    if (e instanceof LineSyntaxError) e.line = at;
    throw e;
  }
  if (warnings.length > 0) {
    warnings.push("[WARNING]: Empty continuation lines will become errors in a future release.");
  }
  if (nodes.length === 0) throw new LineSyntaxError("file with no instructions");
  return { nodes, escapeChar: d.escape, syntax: d.syntax, warnings };
}

function nodeFromLine(line: string, d: Directives): Node {
  const trimmed = line.trim();
  const m = WHITESPACE.exec(trimmed);
  const keyword = m ? trimmed.slice(0, m.index) : trimmed;
  const afterKeyword = m ? trimmed.slice(m.index + m[0].length) : "";
  const cmd = keyword.toLowerCase();
  const [rest, flags] = afterKeyword ? extractFlags(afterKeyword) : ["", []];
  const { args, json } = shapeArgs(cmd, rest.trim(), d);
  return { cmd, flags, args, json, original: line, startLine: 0, endLine: 0 };
}

/** Leading `--name[=value]` words (quotes and backslashes handled as Docker's). */
function extractFlags(line: string): [string, string[]] {
  const words: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) return ["", words];
    if (!line.startsWith("--", pos)) return [line.slice(pos), words];
    let word = "";
    let quote = "";
    let blankOk = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos];
      if (quote) {
        if (ch === quote) {
          quote = "";
          continue;
        }
      } else {
        if (isSpace(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOk = true;
          continue;
        }
      }
      if (ch === "\\") {
        if (pos + 1 === line.length) continue;
        ch = line[++pos];
      }
      word += ch;
    }
    if (word === "--") return [line.slice(pos), words];
    if (blankOk || word.length > 0) words.push(word);
  }
}

/** Docker's parseWords: words split on unquoted whitespace, quotes and escapes kept. */
function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = [...rest];
  let word = "";
  let blankOk = false;
  let quote = "";
  let inWord = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (!quote) {
      if (isSpace(ch)) {
        if (blankOk || word.length > 0) words.push(word);
        word = "";
        blankOk = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
      } else if (ch === escape) {
        if (i + 1 === chars.length) continue; // an escape at the end is dropped
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    const closing = ch === quote;
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        quote = "";
        continue;
      }
      word += ch;
      ch = chars[++i];
    }
    if (closing) quote = "";
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}

const splitWhitespace = (rest: string) => (rest === "" ? [] : rest.split(WHITESPACE));

/**
 * The length of the JSON value at the start of `text` (brackets and strings balanced), as
 * far as Go's json.Decoder reads: Docker decodes the first value and ignores what follows.
 */
function firstValueLength(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") {
      if (--depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** A JSON array of strings, undefined when `rest` does not start with a JSON array. */
function parseJson(rest: string): string[] | undefined {
  const text = trimLeft(rest);
  if (!text.startsWith("[")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, firstValueLength(text)));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === "string")) throw new LineSyntaxError(NOT_STRING_ARRAY);
  return value;
}

function maybeJson(rest: string): { args: string[]; json: boolean } {
  if (rest === "") return { args: [], json: false };
  const json = parseJson(rest);
  return json ? { args: json, json: true } : { args: [rest], json: false };
}

function maybeJsonToList(rest: string): { args: string[]; json: boolean } {
  const json = parseJson(rest);
  return json ? { args: json, json: true } : { args: splitWhitespace(rest), json: false };
}

/** ENV/LABEL: `k=v ...` pairs, or the legacy `k value` (key, value, key, value…). */
function nameVal(rest: string, key: string, d: Directives): string[] {
  const words = parseWords(rest, d.escape);
  if (words.length === 0) return [];
  if (!words[0].includes("=")) {
    const m = WHITESPACE.exec(rest);
    if (!m) throw new LineSyntaxError(`${key} must have two arguments`);
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length)];
  }
  const out: string[] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new LineSyntaxError(
        `Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`,
      );
    }
    out.push(word.slice(0, eq), word.slice(eq + 1));
  }
  return out;
}

function shapeArgs(cmd: string, rest: string, d: Directives): { args: string[]; json: boolean } {
  switch (cmd) {
    case "add":
    case "copy":
    case "volume":
      return maybeJsonToList(rest);
    case "cmd":
    case "entrypoint":
    case "run":
    case "shell":
      return maybeJson(rest);
    case "arg":
      return { args: parseWords(rest, d.escape), json: false };
    case "env":
      return { args: nameVal(rest, "ENV", d), json: false };
    case "label":
      return { args: nameVal(rest, "LABEL", d), json: false };
    case "expose":
    case "from":
      return { args: splitWhitespace(rest), json: false };
    case "healthcheck": {
      const m = /\s/u.exec(rest);
      if (rest === "") return { args: [], json: false };
      const type = m ? rest.slice(0, m.index) : rest;
      const cmdPart = m ? trimLeft(rest.slice(m.index)) : "";
      const sub = maybeJson(cmdPart);
      return { args: [type, ...sub.args], json: sub.json };
    }
    case "maintainer":
    case "stopsignal":
    case "user":
    case "workdir":
      return { args: rest === "" ? [] : [rest], json: false };
    case "onbuild": {
      if (rest === "") return { args: [], json: false };
      const sub = nodeFromLine(rest, d);
      return { args: [sub.cmd, ...sub.args], json: false };
    }
    default:
      return { args: [], json: false };
  }
}
