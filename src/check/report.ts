// The host check's output: text grouped by section (like check-config.sh), or JSON.
import type { CgroupLayout } from "./cgroups.ts";
import { type CheckItem, failures } from "./item.ts";

const COLORS = { ok: "\x1b[32m", missing: "\x1b[31m", warn: "\x1b[33m", unknown: "\x1b[33m" };
const RESET = "\x1b[0m";

function label(i: CheckItem): keyof typeof COLORS {
  if (i.status === "ok") return "ok";
  if (i.status === "unknown") return "unknown";
  return i.required ? "missing" : "warn";
}

export function summary(items: CheckItem[]): string {
  const failed = failures(items);
  const warned = items.filter((i) => !i.required && i.status !== "ok").length;
  if (failed.length > 0) {
    return `FAIL: ${failed.length} required feature(s) missing: ` +
      failed.map((i) => `${i.section.toLowerCase()} ${i.name}`).join(", ");
  }
  return `ok: every required feature is present` +
    (warned ? ` (${warned} optional item(s) missing or unknown)` : "");
}

export function formatText(header: string, items: CheckItem[], color: boolean): string {
  const out: string[] = [header];
  const width = Math.max(...items.map((i) => i.name.length));
  let section = "";
  for (const i of items) {
    if (i.section !== section) {
      section = i.section;
      out.push("", `${section}:`);
    }
    const l = label(i);
    const tag = l.padEnd(7);
    const shown = color ? `${COLORS[l]}${tag}${RESET}` : tag;
    const req = i.required ? "*" : " ";
    out.push(`  ${shown} ${req} ${i.name.padEnd(width)}  ${i.detail}`);
    if (i.fix && i.status !== "ok") {
      out.push(`  ${" ".repeat(10)}${" ".repeat(width)}  fix: ${i.fix}`);
    }
  }
  out.push("", "(* required: missing makes `engine check` fail)", summary(items));
  return out.join("\n");
}

export interface JsonReport {
  ok: boolean;
  kernel: string;
  kernelConfig: string | null;
  cgroup: CgroupLayout;
  dataRoot: string;
  items: CheckItem[];
  summary: string;
}

export function formatJson(report: Omit<JsonReport, "ok" | "summary">): string {
  const full: JsonReport = {
    ok: failures(report.items).length === 0,
    ...report,
    summary: summary(report.items),
  };
  return JSON.stringify(full, null, 2);
}
