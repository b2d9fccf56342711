// Variable substitution as Docker's shell lexer (buildkit frontend/dockerfile/shell, the
// version Docker 20.10's classic builder uses): `$VAR`, `${VAR}`, `${VAR:-word}`,
// `${VAR:+word}`, `${VAR?msg}`, `${VAR:?msg}`; single quotes literal, double quotes literal
// except `$` and the escape of `"`, `$` and the escape character; the escape character
// outside quotes takes the next character literally. `${VAR-word}` and `${VAR+word}` are
// refused ("missing ':' in substitution") exactly as Docker 20.10 refuses them.

/** A substitution error, worded as Docker's ("failed to process \"…\": …"). */
export class ExpandError extends Error {
  constructor(source: string, reason: string) {
    super(`failed to process ${goQuote(source)}: ${reason}`);
    this.name = "ExpandError";
  }
}

/** Go's %q for the strings Dockerfiles hold (printable text; escapes for the rest). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/gi, "\\x7f");
}

const EOF = "";
const SPECIAL_PARAMS = new Set(["@", "*", "#", "?", "-", "$", "!", "0"]);
const isSpace = (ch: string) => /^\s$/u.test(ch);
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isNameChar = (ch: string) => /^[\p{L}\p{Nd}_]$/u.test(ch);

/** Splits the expanded text into words as the lexer does (quoted text never splits). */
class Words {
  word = "";
  words: string[] = [];
  inWord = false;

  addChar(ch: string) {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = "";
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }

  addString(s: string) {
    for (const ch of s) this.addChar(ch);
  }

  addRaw(s: string) {
    this.word += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.word.length > 0) this.words.push(this.word);
    this.word = "";
    this.inWord = false;
    return this.words;
  }
}

class Lexer {
  private pos = 0;
  private readonly chars: string[];

  constructor(
    source: string,
    private readonly env: Record<string, string>,
    private readonly escape: string,
  ) {
    this.chars = [...source];
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    return this.chars[this.pos++] ?? EOF;
  }

  private lookup(name: string): string | undefined {
    return Object.hasOwn(this.env, name) ? this.env[name] : undefined;
  }

  /** Reads up to `stop` (consumed) or the end; returns the text and its words. */
  stopOn(stop: string): { text: string; words: string[] } {
    let text = "";
    const words = new Words();
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (stop !== EOF && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === "'" || ch === '"' || ch === "$") {
        const part = ch === "'"
          ? this.singleQuote()
          : ch === '"'
          ? this.doubleQuote()
          : this.dollar();
        text += part;
        if (ch === "$") words.addString(part);
        else words.addRaw(part);
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        c = this.next();
        if (c === EOF) break;
        words.addRaw(c);
      } else words.addChar(c);
      text += c;
    }
    if (stop !== EOF) {
      throw new Error(`unexpected end of statement while looking for matching ${stop}`);
    }
    return { text, words: words.finish() };
  }

  private singleQuote(): string {
    this.next();
    let out = "";
    for (;;) {
      const ch = this.next();
      if (ch === EOF) {
        throw new Error("unexpected end of statement while looking for matching single-quote");
      }
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuote(): string {
    this.next();
    let out = "";
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) {
        throw new Error("unexpected end of statement while looking for matching double-quote");
      }
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === "$") {
        out += this.dollar();
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        const after = this.peek();
        if (after === EOF) continue; // a trailing escape is dropped
        if (after === '"' || after === "$" || after === this.escape) c = this.next();
      }
      out += c;
    }
  }

  private name(): string {
    let name = "";
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === "" && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === "" && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  /** The word after a modifier, up to the closing brace. */
  private modifierWord(): string {
    try {
      return this.stopOn("}").text;
    } catch (e) {
      if (this.peek() === EOF) throw new Error("syntax error: missing '}'");
      throw e;
    }
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.name();
      return name === "" ? "$" : this.lookup(name) ?? "";
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new Error("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") {
      throw new Error("syntax error: bad substitution");
    }
    const name = this.name();
    const ch = this.next();
    if (ch === "}") return this.lookup(name) ?? "";
    if (ch === "?") {
      const word = this.modifierWord();
      const value = this.lookup(name);
      if (value === undefined) {
        throw new Error(`${name}: ${word || "is not allowed to be unset"}`);
      }
      return value;
    }
    if (ch !== ":") throw new Error("missing ':' in substitution");
    const modifier = this.next();
    const word = this.modifierWord();
    const value = this.lookup(name);
    switch (modifier) {
      case "+":
        return value ? word : "";
      case "-":
        return value ? value : word;
      case "?":
        if (value === undefined) {
          throw new Error(`${name}: ${word || "is not allowed to be unset"}`);
        }
        if (value === "") throw new Error(`${name}: ${word || "is not allowed to be empty"}`);
        return value;
      default:
        throw new Error(`unsupported modifier (${modifier}) in substitution`);
    }
  }
}

function run(word: string, env: Record<string, string>, escapeChar: string) {
  try {
    return new Lexer(word, env, escapeChar).stopOn(EOF);
  } catch (e) {
    throw new ExpandError(word, (e as Error).message);
  }
}

/** Docker's ProcessWord: one word, quotes removed, variables substituted. */
export function expandWord(word: string, env: Record<string, string>, escapeChar: string): string {
  return run(word, env, escapeChar).text;
}

/**
 * Docker's ProcessWords: substituted and split on whitespace, except whitespace that was
 * quoted or escaped (EXPOSE $PORTS with PORTS="80 443" gives two words).
 */
export function expandWords(
  word: string,
  env: Record<string, string>,
  escapeChar: string,
): string[] {
  return run(word, env, escapeChar).words;
}
