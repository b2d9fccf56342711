// The stats' "networks": the counters of a container's interfaces (eth0, …) read from its
// network namespace through /proc/<pid>/net/dev, as dockerd's sandbox statistics give them.
import type { Container } from "../containers/store.ts";
import { modeKind } from "../network/manager.ts";

export interface InterfaceStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** /proc/net/dev's rows, loopback aside, by interface name (sorted, as Go's map). */
export function parseNetDev(text: string): Record<string, InterfaceStats> {
  const rows: [string, InterfaceStats][] = [];
  for (const line of text.split("\n").slice(2)) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    if (name === "lo" || f.length < 12 || f.some((n) => !Number.isFinite(n))) continue;
    rows.push([name, {
      rx_bytes: f[0],
      rx_packets: f[1],
      rx_errors: f[2],
      rx_dropped: f[3],
      tx_bytes: f[8],
      tx_packets: f[9],
      tx_errors: f[10],
      tx_dropped: f[11],
    }]);
  }
  return Object.fromEntries(rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The container's interfaces, or undefined (dockerd leaves the key out) when it has none of
 * its own: no network, the host's, another container's, or not running.
 */
export async function networkStats(
  c: Container,
): Promise<Record<string, InterfaceStats> | undefined> {
  const pid = c.rec.State.Pid;
  if (!pid || modeKind(c.host.NetworkMode) !== "bridge") return undefined;
  const text = await Deno.readTextFile(`/proc/${pid}/net/dev`).catch(() => "");
  const out = parseNetDev(text);
  return Object.keys(out).length ? out : undefined;
}
