// A parser for the Go text/template subset docker users write in --format:
//   {{.A.B}} {{json .}} {{index .M "k"}} {{range .X}}…{{else}}…{{end}} {{if …}}…{{else if …}}…
//   {{with …}} {{$v := …}} pipelines with |, parenthesised calls, {{- trim -}} markers.

export type Arg =
  | { kind: "field"; base: "dot" | string; chain: string[] } // .A.B, $x.A, $
  | { kind: "literal"; value: unknown }
  | { kind: "ident"; name: string }
  | { kind: "pipe"; pipe: Pipeline };

export interface Command {
  args: Arg[];
}

export interface Pipeline {
  decl: string[];
  cmds: Command[];
}

export type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipeline }
  | { kind: "if" | "with" | "range"; pipe: Pipeline; body: Node[]; elseBody: Node[] };

export class TemplateError extends Error {}

interface RawAction {
  text?: string;
  action?: string;
}

/** Split the template into text and `{{ }}` actions, applying `{{-`/`-}}` trimming. */
function lex(src: string): RawAction[] {
  const out: RawAction[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (
      src.startsWith("- ", start) || src.startsWith("-\t", start) || src.startsWith("-\n", start)
    ) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    if (text) out.push({ text });
    let j = start;
    let quote = "";
    while (j < src.length) {
      const c = src[j];
      if (quote) {
        if (c === "\\" && quote === '"') j++;
        else if (c === quote) quote = "";
      } else if (c === '"' || c === "`") quote = c;
      else if (src.startsWith("}}", j)) break;
      j++;
    }
    if (j >= src.length) throw new TemplateError("unclosed action");
    let body = src.slice(start, j);
    i = j + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(i))!;
      i += m[0].length;
    }
    out.push({ action: body.trim() });
  }
  return out;
}

type Token =
  | { t: "str" | "num" | "ident" | "field" | "var"; v: string }
  | { t: "(" | ")" | "|" | ":=" | "=" | "," };

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      tokens.push({ t: "str", v: JSON.parse(s.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === "`") {
      const j = s.indexOf("`", i + 1);
      tokens.push({ t: "str", v: s.slice(i + 1, j) });
      i = j + 1;
    } else if ("()|,".includes(c)) {
      tokens.push({ t: c as "(" });
      i++;
    } else if (s.startsWith(":=", i)) {
      tokens.push({ t: ":=" });
      i += 2;
    } else if (c === "=") {
      tokens.push({ t: "=" });
      i++;
    } else {
      const m = /^[^\s()|,=:]+/.exec(s.slice(i));
      if (!m) throw new TemplateError(`unexpected "${c}" in command`);
      const w = m[0];
      if (w.startsWith(".")) tokens.push({ t: "field", v: w });
      else if (w.startsWith("$")) tokens.push({ t: "var", v: w });
      else if (/^[-+]?\d/.test(w)) tokens.push({ t: "num", v: w });
      else tokens.push({ t: "ident", v: w });
      i += w.length;
    }
  }
  return tokens;
}

function parsePipeline(tokens: Token[], pos = { i: 0 }, nested = false): Pipeline {
  const decl: string[] = [];
  // $x := … / $k, $v := …
  const save = pos.i;
  while (tokens[pos.i]?.t === "var") {
    decl.push((tokens[pos.i] as { v: string }).v);
    pos.i++;
    if (tokens[pos.i]?.t === ",") pos.i++;
    else break;
  }
  if (decl.length > 0 && (tokens[pos.i]?.t === ":=" || tokens[pos.i]?.t === "=")) pos.i++;
  else {
    decl.length = 0;
    pos.i = save;
  }
  const cmds: Command[] = [];
  let args: Arg[] = [];
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i++];
    if (tok.t === ")") {
      if (!nested) throw new TemplateError("unexpected right paren");
      break;
    }
    if (tok.t === "|") {
      if (args.length === 0) throw new TemplateError("missing command before |");
      cmds.push({ args });
      args = [];
      continue;
    }
    if (tok.t === "(") {
      args.push({ kind: "pipe", pipe: parsePipeline(tokens, pos, true) });
      continue;
    }
    if (tok.t === "str") args.push({ kind: "literal", value: tok.v });
    else if (tok.t === "num") args.push({ kind: "literal", value: Number(tok.v) });
    else if (tok.t === "field") {
      args.push({
        kind: "field",
        base: "dot",
        chain: tok.v === "." ? [] : tok.v.slice(1).split("."),
      });
    } else if (tok.t === "var") {
      const [name, ...chain] = tok.v.split(".");
      args.push({ kind: "field", base: name, chain });
    } else if (tok.t === "ident") {
      if (tok.v === "true" || tok.v === "false") {
        args.push({ kind: "literal", value: tok.v === "true" });
      } else if (tok.v === "nil") args.push({ kind: "literal", value: null });
      else args.push({ kind: "ident", name: tok.v });
    } else throw new TemplateError(`unexpected "${tok.t}" in command`);
  }
  if (args.length > 0) cmds.push({ args });
  if (cmds.length === 0) throw new TemplateError("missing value for command");
  return { decl, cmds };
}

/** Parse a template into nodes. Throws TemplateError with Go-like wording. */
export function parseTemplate(src: string): Node[] {
  const raws = lex(src);
  let i = 0;
  function list(terminators: string[]): { nodes: Node[]; end: string } {
    const nodes: Node[] = [];
    while (i < raws.length) {
      const raw = raws[i++];
      if (raw.text !== undefined) {
        nodes.push({ kind: "text", text: raw.text });
        continue;
      }
      const action = raw.action!;
      if (action.startsWith("/*")) continue;
      const word = /^\w+/.exec(action)?.[0] ?? "";
      if (word === "end" || word === "else") {
        if (!terminators.includes(word)) throw new TemplateError(`unexpected {{${word}}}`);
        if (word === "else" && /^else\s+if\s/.test(action)) {
          // {{else if X}} is {{else}}{{if X}}…{{end}}, sharing the outer {{end}}
          raws[--i] = { action: action.replace(/^else\s+/, "") };
          return { nodes, end: "else-if" };
        }
        return { nodes, end: word };
      }
      if (word === "if" || word === "range" || word === "with") {
        i--;
        nodes.push(block(word));
        continue;
      }
      if (word === "define" || word === "template" || word === "block") {
        throw new TemplateError(`{{${word}}} is not supported`);
      }
      nodes.push({ kind: "action", pipe: parsePipeline(tokenize(action)) });
    }
    if (terminators.length > 0) throw new TemplateError("unexpected EOF");
    return { nodes, end: "" };
  }
  function block(word: "if" | "range" | "with"): Node {
    const action = raws[i++].action!;
    const pipe = parsePipeline(tokenize(action.slice(word.length)));
    const body = list(["else", "end"]);
    let elseBody: Node[] = [];
    if (body.end === "else-if") elseBody = [block("if")];
    else if (body.end === "else") elseBody = list(["end"]).nodes;
    return { kind: word, pipe, body: body.nodes, elseBody };
  }
  return list([]).nodes;
}
