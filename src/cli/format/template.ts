// Executing docker --format templates: Go's text/template semantics for the subset people
// use, with docker's function map (json, join, split, title, lower, upper, pad, truncate)
// plus Go's builtins (index, len, print, printf, println, eq/ne/lt/le/gt/ge, and/or/not).

import {
  type Arg,
  type Command,
  type Node,
  parseTemplate,
  type Pipeline,
  TemplateError,
} from "./template_parse.ts";
import { goJSON, goPrint, goQuote, sprintf } from "./gofmt.ts";

export { TemplateError };

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => unknown;

/** A struct-like value (docker's formatter contexts): unknown fields are errors, not <no value>. */
export abstract class StructContext {
  abstract readonly typeName: string;
  toJSON(): Record<string, unknown> {
    return {};
  }
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && !(v instanceof StructContext)) return Object.keys(v).length > 0;
  return true;
}

function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, pre, c) => pre + c.toUpperCase());
}

export const BASIC_FUNCTIONS: Record<string, Fn> = {
  json: (v: unknown) => goJSON(v),
  split: (s: string, sep: string) => String(s).split(sep),
  join: (list: unknown[], sep: string) => (list ?? []).map((x) => goPrint(x)).join(sep),
  title: (s: string) => title(String(s)),
  lower: (s: string) => String(s).toLowerCase(),
  upper: (s: string) => String(s).toUpperCase(),
  pad: (s: string, left: number, right: number) => " ".repeat(left) + s + " ".repeat(right),
  truncate: (s: string, n: number) => [...String(s)].slice(0, n).join(""),
  len: (v: unknown) => {
    if (typeof v === "string") return new TextEncoder().encode(v).length;
    if (Array.isArray(v)) return v.length;
    if (v && typeof v === "object") return Object.keys(v).length;
    throw new TemplateError(`len of type ${typeof v}`);
  },
  index: (v: unknown, ...keys: unknown[]) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) throw new TemplateError("index of untyped nil");
      if (Array.isArray(cur)) {
        if (typeof k !== "number" || k < 0 || k >= cur.length) {
          throw new TemplateError(`error calling index: index out of range: ${k}`);
        }
        cur = cur[k];
      } else cur = (cur as Record<string, unknown>)[String(k)] ?? "";
    }
    return cur;
  },
  print: (...args: unknown[]) =>
    args.map((a, i) =>
      (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + goPrint(a)
    ).join(""),
  println: (...args: unknown[]) => args.map((a) => goPrint(a)).join(" ") + "\n",
  printf: (format: string, ...args: unknown[]) => sprintf(format, args),
  quote: (s: unknown) => goQuote(goPrint(s)),
  not: (v: unknown) => !truthy(v),
  and: (...args: unknown[]) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args: unknown[]) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  eq: (a: unknown, ...bs: unknown[]) => bs.some((b) => a === b),
  ne: (a: unknown, b: unknown) => a !== b,
  lt: (a: number, b: number) => a < b,
  le: (a: number, b: number) => a <= b,
  gt: (a: number, b: number) => a > b,
  ge: (a: number, b: number) => a >= b,
};

/** docker's HeaderFunctions: the same names, rendering only the header text. */
export const HEADER_FUNCTIONS: Record<string, Fn> = {
  ...BASIC_FUNCTIONS,
  json: () => "",
  split: (v: string) => v,
  join: (v: string) => v,
  title: (v: string) => v,
  lower: (v: string) => v,
  upper: (v: string) => v,
  pad: (v: string) => v,
  truncate: (v: string) => v,
};

const NO_VALUE = Symbol("no value");

export class Template {
  readonly nodes: Node[];
  constructor(readonly source: string, readonly funcs: Record<string, Fn> = BASIC_FUNCTIONS) {
    this.nodes = parseTemplate(source);
    this.#checkFunctions(this.nodes);
  }

  #checkFunctions(nodes: Node[]): void {
    const checkPipe = (p: Pipeline) => {
      for (const c of p.cmds) {
        for (const a of c.args) {
          if (a.kind === "ident" && !(a.name in this.funcs)) {
            throw new TemplateError(`function "${a.name}" not defined`);
          }
          if (a.kind === "pipe") checkPipe(a.pipe);
        }
      }
    };
    for (const n of nodes) {
      if (n.kind === "text") continue;
      checkPipe(n.pipe);
      if (n.kind !== "action") {
        this.#checkFunctions(n.body);
        this.#checkFunctions(n.elseBody);
      }
    }
  }

  execute(data: unknown, funcs: Record<string, Fn> = this.funcs): string {
    const exec = new Exec(funcs, data);
    return exec.run(this.nodes, data);
  }
}

class Exec {
  out = "";
  vars: Map<string, unknown>[] = [];
  constructor(readonly funcs: Record<string, Fn>, root: unknown) {
    this.vars.push(new Map([["$", root]]));
  }

  run(nodes: Node[], dot: unknown): string {
    for (const node of nodes) this.node(node, dot);
    return this.out;
  }

  node(node: Node, dot: unknown): void {
    switch (node.kind) {
      case "text":
        this.out += node.text;
        return;
      case "action": {
        const v = this.pipeline(node.pipe, dot);
        if (node.pipe.decl.length === 0) this.out += v === NO_VALUE ? "<no value>" : goPrint(v);
        return;
      }
      case "if":
      case "with": {
        this.vars.push(new Map());
        const v = this.pipeline(node.pipe, dot);
        const ok = v !== NO_VALUE && truthy(v);
        for (const n of ok ? node.body : node.elseBody) {
          this.node(n, ok && node.kind === "with" ? v : dot);
        }
        this.vars.pop();
        return;
      }
      case "range": {
        this.vars.push(new Map());
        const v = this.pipeline({ decl: [], cmds: node.pipe.cmds }, dot);
        const entries: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === "object"
          ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
          : typeof v === "number"
          ? Array.from({ length: v }, (_, i) => [i, i])
          : [];
        if (entries.length === 0) { for (const n of node.elseBody) this.node(n, dot); }
        for (const [k, x] of entries) {
          const d = node.pipe.decl;
          if (d.length === 1) this.setVar(d[0], x);
          if (d.length === 2) {
            this.setVar(d[0], k);
            this.setVar(d[1], x);
          }
          for (const n of node.body) this.node(n, x);
        }
        this.vars.pop();
        return;
      }
    }
  }

  setVar(name: string, value: unknown): void {
    this.vars[this.vars.length - 1].set(name, value);
  }

  getVar(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].has(name)) return this.vars[i].get(name);
    }
    throw new TemplateError(`undefined variable "${name}"`);
  }

  pipeline(pipe: Pipeline, dot: unknown): unknown {
    let value: unknown = undefined;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.command(cmd, dot, first ? undefined : { value });
      first = false;
    }
    if (pipe.decl.length > 0) this.setVar(pipe.decl[0], value);
    return value;
  }

  command(cmd: Command, dot: unknown, piped?: { value: unknown }): unknown {
    const [head, ...rest] = cmd.args;
    if (head.kind === "ident") {
      const args = rest.map((a) => this.arg(a, dot));
      if (piped) args.push(piped.value);
      return this.funcs[head.name](...args.map((a) => (a === NO_VALUE ? undefined : a)));
    }
    if (head.kind === "field" && rest.length > 0 || piped) {
      // a method call with arguments: {{.Label "x"}}
      if (head.kind === "field" && head.chain.length > 0) {
        const args = rest.map((a) => this.arg(a, dot));
        if (piped) args.push(piped.value);
        return this.field(head, dot, args);
      }
      throw new TemplateError("can't give argument to non-function");
    }
    return this.arg(head, dot);
  }

  arg(a: Arg, dot: unknown): unknown {
    switch (a.kind) {
      case "literal":
        return a.value;
      case "pipe":
        return this.pipeline(a.pipe, dot);
      case "ident":
        return this.funcs[a.name]();
      case "field":
        return this.field(a, dot, []);
    }
  }

  field(a: Extract<Arg, { kind: "field" }>, dot: unknown, args: unknown[]): unknown {
    let cur = a.base === "dot" ? dot : this.getVar(a.base);
    a.chain.forEach((name, i) => {
      const last = i === a.chain.length - 1;
      if (cur === NO_VALUE || cur === undefined) {
        cur = NO_VALUE;
        return;
      }
      if (cur === null) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
      if (typeof cur !== "object") {
        throw new TemplateError(`can't evaluate field ${name} in type ${typeof cur}`);
      }
      const obj = cur as Record<string, unknown>;
      if (cur instanceof StructContext) {
        if (!(name in cur)) {
          throw new TemplateError(`can't evaluate field ${name} in type ${cur.typeName}`);
        }
        const member = obj[name];
        cur = typeof member === "function" ? member.apply(cur, last ? args : []) : member;
        return;
      }
      cur = name in obj ? obj[name] : NO_VALUE;
    });
    return cur;
  }
}

/** Parse and execute in one call (tests, one-off formats). */
export function render(source: string, data: unknown): string {
  return new Template(source).execute(data);
}
