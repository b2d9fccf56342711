// docker's formatter.Context: --format "table …" / "json" / a raw template, rendered for
// each row, with the table header from the context's header names and docker's tabwriter.

import { HEADER_FUNCTIONS, StructContext, Template } from "./template.ts";
import { tabwrite } from "./tabwriter.ts";

export const TABLE_KEY = "table";
export const JSON_KEY = "json";

/** A row context that also knows its column headers (docker's SubContext). */
export abstract class RowContext extends StructContext {
  abstract headers(): Record<string, string>;
}

export interface FormatOptions {
  /** The user's --format ("" means the command's default). */
  format: string;
  /** The command's default table format (e.g. "table {{.ID}}\t{{.Image}}…"). */
  defaultTable: string;
  /** -q: the quiet format (e.g. "{{.ID}}"). */
  quiet?: string;
}

/** Resolve --format / -q into what docker would execute. */
export function resolveFormat(opts: FormatOptions, isQuiet = false): string {
  let f = opts.format;
  if (f === "" || f === TABLE_KEY) f = isQuiet && opts.quiet ? opts.quiet : opts.defaultTable;
  else if (isQuiet && opts.quiet && f.startsWith(TABLE_KEY)) f = opts.quiet;
  return f;
}

/** docker's preFormat: "json" → {{json .}}, "table X" → X plus a header, \t and \n escapes. */
export function prepare(format: string): { template: string; table: boolean } {
  let table = false;
  let t = format;
  if (t === JSON_KEY) t = "{{json .}}";
  else if (t.startsWith(TABLE_KEY)) {
    table = true;
    t = t.slice(TABLE_KEY.length).trim();
  }
  t = t.replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  return { template: t, table };
}

/** Render rows with a docker format string; returns the full output text. */
export function renderRows(format: string, rows: RowContext[], sample?: RowContext): string {
  const { template, table } = prepare(format);
  const tmpl = new Template(template);
  let body = "";
  for (const row of rows) body += tmpl.execute(row) + "\n";
  if (!table) return body;
  const headerSource = rows[0] ?? sample;
  const header = headerSource ? tmpl.execute(headerSource.headers(), HEADER_FUNCTIONS) : "";
  return tabwrite(header + "\n" + body);
}

/** Ellipsis by display width (docker's formatter.Ellipsis). */
export function ellipsis(s: string, max: number): string {
  const runes = [...s];
  if (runes.length <= max) return s;
  if (max <= 0) return "";
  return runes.slice(0, max - 1).join("") + "…";
}

/** stringid.TruncateID: drop an "algo:" prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(":");
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** Go's time.Time.String() for a unix time, in the local zone ("2026-11-27 19:38:16 +0000 UTC"). */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offMin * 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${
    pad(local.getUTCDate())
  }`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${
    pad(local.getUTCSeconds())
  }`;
  const sign = offMin < 0 ? "-" : "+";
  const abs = Math.abs(offMin);
  const zone = offMin === 0 && (Deno.env.get("TZ") ?? "UTC").match(/^(UTC|Etc\/UTC|)$/)
    ? "UTC"
    : new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d)
      .find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${date} ${time} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)} ${zone}`;
}
