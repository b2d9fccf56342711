// Netfilter for bridge networks and published ports (dockerd's bridge driver and port mapper):
// rules built in netfilter_rules.ts, applied with one `iptables-restore --noflush` per change.
// Measured from Deno here (median of 20, busy host): a port's three rules take 7.6 ms in one
// iptables-restore and 26 ms as three `iptables -A` (a process and a ruleset fetch each);
// iptables-save alone costs 11.6 ms, so only init() reads the ruleset: removal deletes the
// rules we applied (known in memory), and what a previous run left is found at start by its
// comment. Host ports are allocated and held open (a socket each, as Docker's port
// reservation) so a conflict with another container or a host process fails clearly. With
// iptables off, only the allocation remains. Loopback publishing is DNAT with route_localnet;
// with --userland-proxy=true the port's socket relays loopback connections instead (proxy.ts)
// and DNAT serves the other addresses. IPv4 only.
import { conflict, internal, invalidArgument, wrap } from "../../lib/errors.ts";
import type { NetworkOptions } from "../daemon.ts";
import {
  CHAINS,
  hasRule,
  JUMPS,
  type Kind,
  networkRules,
  ownerMark,
  parseSave,
  portRules,
  restoreScript,
  type Rule,
  ruleTag,
  type Saved,
  type Table,
  tag,
} from "./netfilter_rules.ts";
import {
  isIPv4,
  parsePortKey,
  parsePortRange,
  portKey,
  type PortMap,
  type Proto,
  validatePortBindings,
} from "../../lib/ports.ts";
import { PortAllocator, PortUnavailable } from "./ports.ts";
import { type Reservation, reserve, startProxy } from "./proxy.ts";
import type { NetworkRecord } from "./types.ts";

/** Serialises chain creation between engine daemons on one host (a flock). */
const LOCK = "/run/engine-netfilter.lock";

export interface PublishEndpoint {
  /** The container's address on its bridge. */
  ip: string;
  bridge: string;
  /** For error messages, as Docker's "endpoint NAME (ID)". */
  name?: string;
  endpointId?: string;
}

interface Held {
  hostIp: string;
  proto: Proto;
  port: number;
  res: Reservation;
}

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw internal(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr).trim() || out.code}`);
  }
  return dec.decode(out.stdout);
}

function writeSysctl(path: string, value: string): void {
  try {
    if (Deno.readTextFileSync(path).trim() !== value) Deno.writeTextFileSync(path, value);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Hairpin mode on the bridge's ports, as dockerd sets it: a container reaching its own
 * published port through a host address is DNATed back out of the port its packet came in.
 */
function hairpin(bridge: string): void {
  const dir = `/sys/class/net/${bridge}/brif`;
  try {
    for (const port of Deno.readDirSync(dir)) writeSysctl(`${dir}/${port.name}/hairpin_mode`, "1");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

export class Netfilter {
  /** This daemon's mark in rule comments (from its data root: daemons side by side differ). */
  readonly owner: string;
  readonly ports = new PortAllocator();
  /** Rules applied, by "n:<id>" / "c:<id>". */
  #rules = new Map<string, Rule[]>();
  #held = new Map<string, Held[]>();
  #ready = false;

  constructor(readonly opts: NetworkOptions, owner = "") {
    this.owner = ownerMark(owner);
  }

  /**
   * Daemon start: our chains and the jumps into them, and no rule of this daemon's previous
   * run except those of the networks and containers in `keep` (live-restore): theirs are
   * replaced by the next addNetwork/publish of the same id.
   */
  async init(keep: Set<string> = new Set()): Promise<void> {
    if (!this.opts.iptables) return;
    writeSysctl("/proc/sys/net/ipv4/ip_forward", "1");
    // Bridged traffic through iptables: a container reaching a published port of a
    // neighbour on its own bridge needs conntrack to undo the DNAT on the reply.
    writeSysctl("/proc/sys/net/bridge/bridge-nf-call-iptables", "1");
    using lock = await Deno.open(LOCK, { create: true, write: true, mode: 0o600 });
    await lock.lock(true);
    const saved = await this.#save();
    const chains = (Object.keys(CHAINS) as Table[]).flatMap((table) =>
      CHAINS[table].filter((chain) => !saved.chains[table].has(chain)).map((chain) => ({
        table,
        chain,
      }))
    );
    const missing = JUMPS.filter((j) => !hasRule(saved, j));
    const stale: Rule[] = [];
    for (const r of saved.rules) {
      const t = ruleTag(r);
      if (!t || t.owner !== this.owner) continue;
      if (keep.has(t.id)) {
        const key = `${t.kind}:${t.id}`;
        this.#rules.set(key, [...this.#rules.get(key) ?? [], r]);
      } else stale.push(r);
    }
    await this.#restore({
      chains,
      del: stale,
      insert: missing.filter((j) => j.insert),
      add: missing.filter((j) => !j.insert),
    });
    this.#ready = true;
  }

  /** A bridge network's forwarding, isolation and masquerade rules (replacing earlier ones). */
  async addNetwork(n: NetworkRecord): Promise<void> {
    if (!this.opts.iptables || n.Driver !== "bridge") return;
    await this.#ensureReady();
    const rules = networkRules(
      { bridge: n.bridge, subnet: n.subnet, internal: n.Internal },
      this.opts.ipMasq,
      tag(this.owner, "n", n.Id),
    );
    // 127.0.0.1:port DNATed to a container is routed out of the bridge (names checked above).
    writeSysctl(`/proc/sys/net/ipv4/conf/${n.bridge}/route_localnet`, "1");
    await this.#replace("n", n.Id, rules).catch((err) => {
      throw wrap(err, `netfilter rules of network ${n.Name}`);
    });
  }

  async removeNetwork(n: NetworkRecord): Promise<void> {
    if (!this.opts.iptables || n.Driver !== "bridge") return;
    await this.#replace("n", n.Id, []).catch((err) => {
      throw wrap(err, `netfilter rules of network ${n.Name}`);
    });
  }

  /**
   * Publishes a container's ports: the bindings of `portBindings` (HostPort "" or "0": a
   * dynamic port; a range: its first free port), and with `publishAll` every port of
   * `exposed` on a dynamic port. Returns NetworkSettings.Ports: each published port with the
   * host ports it got, the exposed ones not published as null. Earlier bindings of the same
   * container are replaced.
   */
  async publish(
    containerId: string,
    ep: PublishEndpoint,
    portBindings: PortMap,
    exposed: string[],
    publishAll: boolean,
  ): Promise<PortMap> {
    const bindings = validatePortBindings(portBindings);
    const result: PortMap = {};
    for (const e of exposed) result[portKey(parsePortKey(e))] = null;
    const wanted = new Map<string, { HostIp: string; HostPort: string }[]>();
    for (const [key, list] of Object.entries(bindings)) {
      wanted.set(key, list && list.length ? list : [{ HostIp: "", HostPort: "" }]);
    }
    if (publishAll) {
      for (const key of Object.keys(result)) {
        if (!wanted.has(key)) wanted.set(key, [{ HostIp: "", HostPort: "" }]);
      }
    }
    this.#release(containerId);
    const held: Held[] = [];
    const rules: Rule[] = [];
    const comment = tag(this.owner, "c", containerId);
    try {
      for (const [key, list] of wanted) {
        const { port, proto } = parsePortKey(key);
        for (const b of list) {
          const hostIp = b.HostIp || this.opts.defaultBindIp;
          if (!isIPv4(hostIp)) {
            throw invalidArgument(
              `publishing on ${hostIp}: only IPv4 host addresses are supported`,
            );
          }
          let res: Reservation | undefined;
          const hostPort = await this.ports.allocate(
            hostIp,
            proto,
            parsePortRange(b.HostPort),
            async (p) => {
              res = this.opts.userlandProxy
                ? await startProxy(hostIp, proto, p, { ip: ep.ip, port })
                : await reserve(hostIp, proto, p);
            },
          );
          held.push({ hostIp, proto, port: hostPort, res: res! });
          (result[key] ??= []).push({ HostIp: hostIp, HostPort: String(hostPort) });
          rules.push(...portRules({
            ip: ep.ip,
            bridge: ep.bridge,
            port,
            proto,
            hostIp,
            hostPort,
            proxyLoopback: this.opts.userlandProxy,
          }, comment));
        }
      }
      if (this.opts.iptables) {
        await this.#ensureReady();
        if (held.length) hairpin(ep.bridge);
        await this.#replace("c", containerId, rules);
      }
    } catch (err) {
      for (const h of held) this.#drop(h);
      const endpoint = `endpoint ${ep.name ?? containerId.slice(0, 12)} (${
        ep.endpointId ?? containerId
      })`;
      if (err instanceof PortUnavailable) {
        throw conflict(
          `driver failed programming external connectivity on ${endpoint}: ${err.message}`,
        );
      }
      throw wrap(err, `driver failed programming external connectivity on ${endpoint}`);
    }
    this.#held.set(containerId, held);
    return result;
  }

  /** Removes a container's port rules and frees its host ports. */
  async unpublish(containerId: string): Promise<void> {
    this.#release(containerId);
    if (!this.opts.iptables) return;
    await this.#replace("c", containerId, []).catch((err) => {
      throw wrap(err, `removing the port rules of container ${containerId}`);
    });
  }

  /** Daemon shutdown: closes the port reservations, leaves the rules (live-restore). */
  close(): void {
    for (const id of [...this.#held.keys()]) this.#release(id);
  }

  #release(containerId: string): void {
    for (const h of this.#held.get(containerId) ?? []) this.#drop(h);
    this.#held.delete(containerId);
  }

  #drop(h: Held): void {
    h.res.close();
    this.ports.release(h.hostIp, h.proto, h.port);
  }

  async #ensureReady(): Promise<void> {
    if (!this.#ready) await this.init();
  }

  /**
   * Replaces the rules of a network or container in one transaction per table. If deleting
   * the rules we believe applied fails (someone flushed them), the rules carrying its comment
   * in iptables-save are removed instead.
   */
  async #replace(kind: Kind, id: string, rules: Rule[]): Promise<void> {
    const key = `${kind}:${id}`;
    const old = this.#rules.get(key) ?? [];
    if (!old.length && !rules.length) return;
    try {
      await this.#restore({ del: old, add: rules });
    } catch (err) {
      if (!old.length) throw err;
      const found = (await this.#save()).rules.filter((r) => {
        const t = ruleTag(r);
        return t?.owner === this.owner && t.kind === kind && t.id === id;
      });
      await this.#restore({ del: found, add: rules });
    }
    if (rules.length) this.#rules.set(key, rules);
    else this.#rules.delete(key);
  }

  async #save(): Promise<Saved> {
    return parseSave(await run("iptables-save", []));
  }

  async #restore(b: Parameters<typeof restoreScript>[0]): Promise<void> {
    const script = restoreScript(b);
    if (script) await run("iptables-restore", ["--noflush", "-w"], script);
  }
}
