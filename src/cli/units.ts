// docker/go-units and Go's time/strconv formatting, as the docker CLI prints them:
// HumanSize "1.98MB", BytesSize "1.5MiB", HumanDuration "2 minutes", RAMInBytes "512m",
// time.ParseDuration "1m30s", big.Rat decimals for --cpus.

const DECIMAL_ABBRS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_ABBRS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** Go's fmt `%.<precision>g` (shortest form, trailing zeros removed). */
export function formatG(value: number, precision: number): string {
  if (value === 0) return "0";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  const p = precision === 0 ? 1 : precision;
  const exp = Number(value.toExponential(p - 1).split("e")[1]);
  if (exp < -4 || exp >= p) {
    const [mant, e] = value.toExponential(p - 1).split("e");
    const m = mant.includes(".") ? mant.replace(/\.?0+$/, "") : mant;
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const fixed = value.toFixed(Math.max(0, p - 1 - exp));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

function customSize(size: number, precision: number, base: number, abbrs: string[]): string {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return `${formatG(size, precision)}${abbrs[i]}`;
}

/** go-units HumanSizeWithPrecision: decimal units (`docker images` uses precision 3). */
export function humanSize(size: number, precision = 4): string {
  return customSize(size, precision, 1000, DECIMAL_ABBRS);
}

/** go-units BytesSize: binary units with 4 significant digits (`docker stats` memory). */
export function bytesSize(size: number): string {
  return customSize(size, 4, 1024, BINARY_ABBRS);
}

/** go-units HumanDuration (the "2 minutes" of "2 minutes ago"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const RAM_UNITS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** go-units RAMInBytes ("512m", "1.5g", "1024", "2KiB"), with its error wording. */
export function parseMemoryBytes(raw: string): number {
  let sep = -1;
  for (let i = raw.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(raw[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${raw}'`);
  const num = raw[sep] === " " ? raw.slice(0, sep) : raw.slice(0, sep + 1);
  let sfx = raw.slice(sep + 1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  const size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${raw}'`);
  if (sfx.length === 0) return Math.trunc(size);
  sfx = sfx.toLowerCase();
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  if (sfx[0] === "b") {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = RAM_UNITS[sfx[0]];
  if (mul === undefined) throw bad();
  const ok = sfx.length === 1 || (sfx.length === 2 && (sfx[1] === "i" || sfx[1] === "b")) ||
    (sfx.length === 3 && sfx[1] === "i" && sfx[2] === "b");
  if (!ok) throw bad();
  return Math.trunc(size * mul);
}

/** Go's time.Duration.String() ("1m30s", "500ms", "0s"). */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e9) {
    const [unit, div] = n < 1e3 ? ["ns", 1] : n < 1e6 ? ["µs", 1e3] : ["ms", 1e6];
    out = `${trimFloat(n / (div as number))}${unit}`;
  } else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    out = `${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${trimFloat(n / 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** docker's NanoCPUs flag: a big.Rat decimal ("1.5", "3/2") × 1e9, which must be an integer. */
export function parseDecimal(raw: string): number {
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(raw);
  let nano: number;
  if (frac) {
    if (Number(frac[2]) === 0) throw new Error(`failed to parse ${raw} as a rational number`);
    nano = (Number(frac[1]) * 1e9) / Number(frac[2]);
  } else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    nano = Number(raw) * 1e9;
    const rounded = Math.round(nano);
    if (Math.abs(nano - rounded) < 1e-6) nano = rounded;
  } else {
    throw new Error(`failed to parse ${raw} as a rational number`);
  }
  if (!Number.isInteger(nano)) throw new Error("value is too precise");
  return nano;
}
