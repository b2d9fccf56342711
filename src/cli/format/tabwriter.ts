// Go's text/tabwriter (flags 0, left-aligned), as docker's formatter uses it:
// NewWriter(out, minwidth 10, tabwidth 1, padding 3, ' ', 0). A cell is text terminated by
// a tab; the last cell of a line does not size its column; a column block ends at the first
// line without a cell in that column.

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

export const DOCKER_TABWRITER: TabwriterOptions = { minwidth: 10, padding: 3 };

function width(s: string): number {
  return [...s].length;
}

export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABWRITER): string {
  const endsWithNewline = text.endsWith("\n");
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  let out = "";
  const widths: number[] = [];

  function writeLines(line0: number, line1: number) {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i];
      cells.forEach((cell, j) => {
        out += cell;
        if (j < widths.length && j < cells.length - 1) out += " ".repeat(widths[j] - width(cell));
      });
      if (i + 1 < lines.length || endsWithNewline) out += "\n";
    }
  }

  function format(line0: number, line1: number) {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let w = opts.minwidth;
      for (; t < line1; t++) {
        const cells = lines[t];
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]) + opts.padding);
      }
      widths.push(w);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  }

  format(0, lines.length);
  return out;
}
