// Go's time.ParseDuration, for the CLI's duration flags and the Dockerfile's HEALTHCHECK
// --interval/--timeout/--start-period (the same syntax and error texts as Docker: "1m30s",
// "1.5h", "300ms"; no unit only for "0").

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3, // U+00B5
  "μs": 1e3, // U+03BC
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const quote = (s: string) => JSON.stringify(s);

/** Nanoseconds of a Go duration string. */
export function parseDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [all, whole, frac] = m;
    if (whole === "" && (frac === undefined || frac === "")) throw invalid();
    s = s.slice(all.length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === "") throw new Error(`time: missing unit in duration ${quote(text)}`);
    const scale = UNITS[unit];
    if (scale === undefined) {
      throw new Error(`time: unknown unit ${quote(unit)} in duration ${quote(text)}`);
    }
    s = s.slice(unit.length);
    total += Number(`${whole || "0"}.${frac || "0"}`) * scale;
  }
  if (total > 2 ** 63 - 1) throw invalid();
  return sign * Math.round(total);
}
