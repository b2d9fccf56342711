// `--help` and usage errors in docker's layout: docker's cobra usage template and pflag's
// FlagUsagesWrapped (wrapped at the terminal width - 1, 79 without a terminal).

import type { FlagSpec } from "./flags.ts";
import { type CommandDef, PROGRAM } from "./command.ts";

/** pflag's `wrapN`: split at the last whitespace before `i`, allowing `slop` over. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ""];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(" "), head.lastIndexOf("\t"), head.lastIndexOf("\n"));
  if (w <= 0) return [s, ""];
  const nl = head.lastIndexOf("\n");
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's `wrap`: wrap `s` to width `w` with indent `i` (first line not indented). */
export function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll("\n", "\n" + " ".repeat(i));
  let width = w - i;
  let r = "";
  if (width < 24) {
    i = 16;
    width = w - i;
    r += "\n" + " ".repeat(i);
  }
  if (width < 24) return s.replaceAll("\n", r);
  const slop = 5;
  width -= slop;
  const pad = " ".repeat(i);
  let [l, rest] = wrapN(width, slop, s);
  r += l.replaceAll("\n", "\n" + pad);
  while (rest !== "") {
    [l, rest] = wrapN(width, slop, rest);
    r += "\n" + pad + l.replaceAll("\n", "\n" + pad);
  }
  return r;
}

function typeWord(f: FlagSpec): string {
  if (f.typeName !== undefined) return f.typeName;
  return f.type === "bool" ? "" : f.type;
}

/** pflag's FlagUsagesWrapped for the visible flags, in name order. */
export function flagUsages(flags: FlagSpec[], cols: number): string {
  const visible = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  let maxlen = 0;
  const lines = visible.map((f) => {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const word = typeWord(f);
    if (word) line += " " + word;
    line += "\0";
    maxlen = Math.max(maxlen, line.length);
    line += f.help;
    if (f.defaultText !== undefined) line += ` (default ${f.defaultText})`;
    return line;
  });
  return lines.map((line) => {
    const sidx = line.indexOf("\0");
    const spacing = " ".repeat(maxlen - sidx);
    return `${line.slice(0, sidx)} ${spacing} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
  }).join("");
}

/** Terminal width - 1, as docker's wrappedFlagUsages; 79 when stdout is not a terminal. */
export function helpColumns(): number {
  try {
    if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns - 1;
  } catch { /* not a terminal */ }
  return 79;
}

export function useLine(def: CommandDef, path: string): string {
  return `${PROGRAM} ${path}${def.usage ? " " + def.usage : ""}`;
}

/** `engine <path> --help` in docker's layout. */
export function commandHelp(def: CommandDef, path: string, cols = helpColumns()): string {
  let out = `Usage:  ${useLine(def, path)}\n`;
  for (const more of def.moreUsage ?? []) out += `\t${PROGRAM} ${path} ${more}\n`;
  out += `\n${(def.long ?? def.short).trim()}\n`;
  if (def.aliases && def.aliases.length > 0) {
    out += `\nAliases:\n  ${def.aliases.map((a) => `${PROGRAM} ${a}`).join(", ")}\n`;
  }
  if (def.flags.some((f) => !f.hidden)) {
    out += `\nOptions:\n${flagUsages(def.flags, cols).trimEnd()}\n`;
  }
  return out;
}

/** `engine container` / `engine image` / `engine system` help: the subcommand list. */
export function groupHelp(group: string, short: string, subs: [string, string][]): string {
  const rows = subs.map(([name, s]) => `  ${name.padEnd(11)} ${s}`).join("\n");
  return `Usage:  ${PROGRAM} ${group} COMMAND\n\n${short}\n\nCommands:\n${rows}\n\n` +
    `Run '${PROGRAM} ${group} COMMAND --help' for more information on a command.\n`;
}

/** A flag error (exit 125), as docker 28 prints it. */
export function flagErrorText(message: string, def: CommandDef, path: string): string {
  return `${message}\n\nUsage:  ${useLine(def, path)}\n\n` +
    `Run '${PROGRAM} ${path} --help' for more information`;
}

/** Wrong number of positional arguments (exit 1), as docker 28 prints it. */
export function argsErrorText(def: CommandDef, path: string, count: number): string | undefined {
  const { min, max } = def.args;
  if (count >= min && count <= max) return undefined;
  const plural = (n: number) => (n === 1 ? "argument" : "arguments");
  const name = `'${PROGRAM} ${path}'`;
  let what: string;
  let verb = "Run";
  if (max === 0) what = `${name} accepts no arguments`;
  else if (min === max) what = `${name} requires ${min} ${plural(min)}`;
  else if (max === Infinity) {
    what = `${name} requires at least ${min} ${plural(min)}`;
    verb = "See";
  } else if (min === 0) {
    what = `${name} requires at most ${max} ${plural(max)}`;
    verb = "See";
  } else what = `${name} requires at least ${min} and at most ${max} ${plural(max)}`;
  return `${PROGRAM}: ${what}\n\nUsage:  ${useLine(def, path)}\n\n` +
    `${verb} '${PROGRAM} ${path} --help' for more information`;
}
