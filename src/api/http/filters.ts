// Docker's ?filters= JSON: {"key":{"value":true}} (or the legacy {"key":["value"]}).
import { invalidArgument } from "../../lib/errors.ts";

export type Filters = Map<string, string[]>;

export function parseFilters(raw: string | null, allowed: string[]): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${raw.slice(0, 200)}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw invalidArgument("invalid filter");
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
    if (!allowed.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
    const list = Array.isArray(vals)
      ? vals.map(String)
      : vals && typeof vals === "object"
      ? Object.entries(vals as Record<string, unknown>).filter(([, t]) => t).map(([x]) => x)
      : [];
    out.set(k, list);
  }
  return out;
}

/** label filters: "key" (present) or "key=value". */
export function matchLabels(wanted: string[] | undefined, labels: Record<string, string>): boolean {
  for (const w of wanted ?? []) {
    const i = w.indexOf("=");
    if (i < 0 ? !(w in labels) : labels[w.slice(0, i)] !== w.slice(i + 1)) return false;
  }
  return true;
}
