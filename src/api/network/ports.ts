// The host port allocator (libnetwork's portallocator: a specific port or the first free one
// of a range, dynamic ports taken in turn from the kernel's ephemeral range). Port keys,
// bindings and `-p` specs are parsed in src/lib/ports.ts.
import type { PortRange, Proto } from "../../lib/ports.ts";

/** The kernel's ephemeral port range, where dynamic host ports come from (as Docker's). */
export function ephemeralRange(): PortRange {
  try {
    const [start, end] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range")
      .trim().split(/\s+/).map(Number);
    if (start > 0 && end >= start && end <= 65535) return { start, end };
  } catch { /* not Linux procfs: Docker's defaults */ }
  return { start: 49153, end: 65535 };
}

/** Why a port could not be had: ours already, or refused by `probe` (a host process has it). */
export class PortUnavailable extends Error {
  constructor(readonly hostIp: string, readonly port: number, readonly ours: boolean, msg: string) {
    super(msg);
  }
}

/**
 * Host ports in use, per protocol. 0.0.0.0 overlaps every address: a port held on 0.0.0.0
 * cannot be had on 127.0.0.1 and the other way round.
 */
export class PortAllocator {
  /** "proto/port" → host addresses holding it. */
  #held = new Map<string, Set<string>>();
  /** Per protocol and range, the last port handed out (the next search starts after it). */
  #last = new Map<string, number>();

  constructor(readonly dynamic: PortRange = ephemeralRange()) {}

  isHeld(hostIp: string, proto: Proto, port: number): boolean {
    const ips = this.#held.get(`${proto}/${port}`);
    if (!ips) return false;
    return hostIp === "0.0.0.0" ? ips.size > 0 : ips.has(hostIp) || ips.has("0.0.0.0");
  }

  /**
   * A port of `range` (the dynamic range when null) for hostIp: a single port is taken or
   * refused; from a range, the next free one that `probe` also accepts (a bind test).
   * `probe` throws PortUnavailable (or another error, which stops the search).
   */
  async allocate(
    hostIp: string,
    proto: Proto,
    range: PortRange | null,
    probe: (port: number) => Promise<void>,
  ): Promise<number> {
    const r = range && range.start !== 0 ? range : this.dynamic;
    if (r.start === r.end) {
      if (this.isHeld(hostIp, proto, r.start)) {
        throw new PortUnavailable(
          hostIp,
          r.start,
          true,
          `Bind for ${hostIp}:${r.start} failed: port is already allocated`,
        );
      }
      this.#hold(hostIp, proto, r.start);
      try {
        await probe(r.start);
      } catch (err) {
        this.release(hostIp, proto, r.start);
        throw err;
      }
      return r.start;
    }
    const key = `${proto}/${r.start}-${r.end}`;
    let last = this.#last.get(key) ?? r.start - 1;
    for (let i = 0; i <= r.end - r.start; i++) {
      last = last >= r.end ? r.start : last + 1;
      if (this.isHeld(hostIp, proto, last)) continue;
      this.#hold(hostIp, proto, last);
      this.#last.set(key, last);
      try {
        await probe(last);
        return last;
      } catch (err) {
        this.release(hostIp, proto, last);
        if (!(err instanceof PortUnavailable)) throw err;
      }
    }
    throw new PortUnavailable(
      hostIp,
      0,
      true,
      `Bind for ${hostIp}:${range ? `${r.start}-${r.end}` : 0} failed: all ports are allocated`,
    );
  }

  release(hostIp: string, proto: Proto, port: number): void {
    const k = `${proto}/${port}`;
    const ips = this.#held.get(k);
    ips?.delete(hostIp);
    if (ips && !ips.size) this.#held.delete(k);
  }

  #hold(hostIp: string, proto: Proto, port: number): void {
    const k = `${proto}/${port}`;
    let ips = this.#held.get(k);
    if (!ips) this.#held.set(k, ips = new Set());
    ips.add(hostIp);
  }
}
