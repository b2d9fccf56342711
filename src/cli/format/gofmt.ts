// Go's value printing as templates see it: fmt %v, strconv.Quote, encoding/json (with its
// HTML escaping), and a Printf subset.

/** fmt's %v of a JSON-ish value. */
export function goPrint(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(" ")}]`;
  if (typeof v === "object") {
    const json = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof json === "function") return goPrint(json.call(v));
    const obj = v as Record<string, unknown>;
    return `map[${Object.keys(obj).sort().map((k) => `${k}:${goPrint(obj[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** strconv.Quote: printable runes kept (including non-ASCII), the rest escaped Go-style. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp >= 0x80 && cp < 0xa0) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** encoding/json Marshal: HTML characters escaped as \u003c \u003e \u0026, as Go does. */
export function goJSON(v: unknown): string {
  const text = JSON.stringify(v === undefined ? null : v) ?? "null";
  return text.replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** A Printf subset: %s %v %d %q %t %f %x %X %% with flags (-, 0, +, space), width, precision. */
export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  return format.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdqtfxXeg%])/g,
    (_m, flags: string, width?: string, prec?: string, verb?: string) => {
      if (verb === "%") return "%";
      if (argi >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[argi++];
      let s: string;
      switch (verb) {
        case "d":
          s = typeof arg === "number" ? String(Math.trunc(arg)) : `%!d(${typeof arg}=${arg})`;
          if (flags.includes("+") && typeof arg === "number" && arg >= 0) s = "+" + s;
          break;
        case "f":
        case "e":
        case "g":
          s = verb === "f"
            ? Number(arg).toFixed(prec === undefined ? 6 : Number(prec))
            : verb === "e"
            ? Number(arg).toExponential(prec === undefined ? 6 : Number(prec))
            : String(arg);
          break;
        case "x":
        case "X": {
          s = typeof arg === "number"
            ? arg.toString(16)
            : [...new TextEncoder().encode(goPrint(arg))]
              .map((b) => b.toString(16).padStart(2, "0")).join("");
          if (verb === "X") s = s.toUpperCase();
          break;
        }
        case "q":
          s = goQuote(goPrint(arg));
          break;
        case "t":
          s = String(Boolean(arg));
          break;
        default:
          s = goPrint(arg);
          if (prec !== undefined && verb === "s") s = [...s].slice(0, Number(prec)).join("");
      }
      const w = width === undefined ? 0 : Number(width);
      const len = [...s].length;
      if (len >= w) return s;
      if (flags.includes("-")) return s + " ".repeat(w - len);
      const padChar = flags.includes("0") && verb !== "s" && verb !== "q" ? "0" : " ";
      return padChar.repeat(w - len) + s;
    },
  ) + (argi < args.length
    ? `%!(EXTRA ${
      args.slice(argi).map((a) => `${typeof a}=${goPrint(a)}`).join(", ")
    })`
    : "");
}
