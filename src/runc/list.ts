// `runc state ID` and `runc list [--format table|json] [--quiet]`.
import { cgroupOf } from "./cgroup_setup.ts";
import { computeStatus, containerDir, listIds, loadState, publicState } from "./state.ts";

export async function stateJson(root: string, id: string): Promise<string> {
  const s = await loadState(root, id);
  const cg = await cgroupOf(s);
  const status = await computeStatus(root, s, () => cg.frozen());
  return JSON.stringify(publicState(s, status), null, 2);
}

function userName(uid: number): string {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[2] === String(uid)) return f[0];
    }
  } catch { /* no passwd */ }
  return `#${uid}`;
}

async function states(root: string) {
  const out = [];
  for (const id of await listIds(root)) {
    let s;
    try {
      s = await loadState(root, id);
    } catch {
      continue; // being created or deleted
    }
    const owner = userName((await Deno.stat(containerDir(root, id))).uid ?? 0);
    const cg = await cgroupOf(s);
    out.push(publicState(s, await computeStatus(root, s, () => cg.frozen()), owner));
  }
  return out;
}

/** Go's text/tabwriter with minwidth 12, tabwidth 1, padding 3, as runc's list uses. */
export function tabwrite(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 3)));
  return rows.map((r) =>
    r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("")
  ).join("\n") + "\n";
}

export async function list(root: string, format: string, quiet: boolean): Promise<string> {
  const all = await states(root);
  if (quiet) return all.map((s) => `${s.id}\n`).join("");
  if (format === "json") return JSON.stringify(all) + "\n";
  if (format !== "table") throw new Error(`invalid format option`);
  const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
  for (const s of all) {
    rows.push([
      String(s.id),
      String(s.pid),
      String(s.status),
      String(s.bundle),
      String(s.created),
      String(s.owner),
    ]);
  }
  return tabwrite(rows);
}
