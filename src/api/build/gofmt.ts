// Go's text for the values the classic builder prints with %q/%v in "#(nop)" comments:
// time.Duration's String() and strconv.QuoteRune (%q of an int).

function withFraction(v: number, unit: number, digits: number): string {
  const whole = Math.floor(v / unit);
  const frac = String(v % unit).padStart(digits, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

/** time.Duration(ns).String(): "0s", "500ms", "1.5s", "1m30s", "1h0m0s". */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let u = Math.abs(Math.trunc(ns));
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${withFraction(u, 1e3, 3)}µs`;
  if (u < 1e9) return `${sign}${withFraction(u, 1e6, 6)}ms`;
  const h = Math.floor(u / 3.6e12);
  u -= h * 3.6e12;
  const m = Math.floor(u / 6e10);
  u -= m * 6e10;
  const s = `${withFraction(u, 1e9, 9)}s`;
  return sign + (h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s);
}

const ESCAPES: Record<number, string> = {
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  39: "\\'",
  92: "\\\\",
};

/** %q of an int: strconv.QuoteRune ('a', '\x02', '\n'). */
export function goQuoteRune(n: number): string {
  if (ESCAPES[n]) return `'${ESCAPES[n]}'`;
  if (n < 0x20 || n === 0x7f) return `'\\x${n.toString(16).padStart(2, "0")}'`;
  if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return "'\\ufffd'";
  return `'${String.fromCodePoint(n)}'`;
}
