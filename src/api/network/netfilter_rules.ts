// The netfilter rules of bridge networks and published ports, as iptables-restore text (pure:
// no process runs here). Our chains mirror dockerd's: nat ENGINE (DNAT of published ports,
// reached from PREROUTING and OUTPUT for local destinations, 127.0.0.1 included), filter
// ENGINE-FORWARD (jumped to from FORWARD), ENGINE (accepts published ports),
// ENGINE-ISOLATION-STAGE-1/2 (no traffic between two bridge networks). Every rule of a
// network or container carries a comment "engine/<daemon> n:<id>" or "engine/<daemon> c:<id>"
// so exactly those rules can be found again and removed. IPv4 only.
import { createHash } from "node:crypto";
import type { Proto } from "../../lib/ports.ts";

export type Table = "nat" | "filter";

/** One rule: its table, chain and the rule text after `-A CHAIN`. */
export interface Rule {
  table: Table;
  chain: string;
  spec: string;
}

export const CHAINS: Record<Table, string[]> = {
  nat: ["ENGINE"],
  filter: ["ENGINE", "ENGINE-FORWARD", "ENGINE-ISOLATION-STAGE-1", "ENGINE-ISOLATION-STAGE-2"],
};

/** Jumps into our chains, shared by every engine daemon on the host; `insert` goes first. */
export const JUMPS: (Rule & { insert: boolean })[] = [
  {
    table: "nat",
    chain: "PREROUTING",
    spec: "-m addrtype --dst-type LOCAL -j ENGINE",
    insert: false,
  },
  { table: "nat", chain: "OUTPUT", spec: "-m addrtype --dst-type LOCAL -j ENGINE", insert: false },
  { table: "filter", chain: "FORWARD", spec: "-j ENGINE-FORWARD", insert: true },
  {
    table: "filter",
    chain: "ENGINE-FORWARD",
    spec: "-j ENGINE-ISOLATION-STAGE-1",
    insert: true,
  },
];

export type Kind = "n" | "c";

/** A daemon's mark in its rules' comments, from its data root (daemons side by side differ). */
export const ownerMark = (dataRoot: string) =>
  createHash("sha256").update(dataRoot).digest("hex").slice(0, 8);

/** The comment of a rule: daemon, kind (network or container) and id. */
export const tag = (owner: string, kind: Kind, id: string) => `engine/${owner} ${kind}:${id}`;
const TAG = /-m comment --comment "?engine\/([0-9a-f]+) ([nc]):([\w.-]+)"?/;

const NAME = /^[\w.-]{1,15}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

function check(ok: boolean, what: string, value: string): void {
  if (!ok) throw new Error(`netfilter: invalid ${what} ${JSON.stringify(value)}`);
}

export interface BridgeNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

/**
 * A bridge network's rules (dockerd's bridge driver): replies and published ports in, its
 * containers out and to each other, isolation from other bridge networks (or, internal,
 * from everything off the bridge), masquerade of its subnet going elsewhere and of loopback
 * sources (127.0.0.1:port DNATed to a container, route_localnet on the bridge) going in.
 */
export function networkRules(n: BridgeNetwork, masquerade: boolean, comment: string): Rule[] {
  check(NAME.test(n.bridge), "bridge name", n.bridge);
  check(CIDR.test(n.subnet), "subnet", n.subnet);
  const c = ` -m comment --comment "${comment}"`;
  const br = n.bridge;
  const rules: Rule[] = [];
  // The comment goes before the target, where iptables-save prints it.
  const add = (table: Table, chain: string, spec: string) =>
    rules.push({ table, chain, spec: spec.replace(/ -j /, `${c} -j `) });
  if (n.internal) {
    add("filter", "ENGINE-ISOLATION-STAGE-1", `-i ${br} ! -d ${n.subnet} -j DROP`);
    add("filter", "ENGINE-ISOLATION-STAGE-1", `! -s ${n.subnet} -o ${br} -j DROP`);
    add("filter", "ENGINE-FORWARD", `-i ${br} -o ${br} -j ACCEPT`);
    return rules;
  }
  add("filter", "ENGINE-ISOLATION-STAGE-1", `-i ${br} ! -o ${br} -j ENGINE-ISOLATION-STAGE-2`);
  add("filter", "ENGINE-ISOLATION-STAGE-2", `-o ${br} -j DROP`);
  add("filter", "ENGINE-FORWARD", `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  add("filter", "ENGINE-FORWARD", `-o ${br} -j ENGINE`);
  add("filter", "ENGINE-FORWARD", `-i ${br} ! -o ${br} -j ACCEPT`);
  add("filter", "ENGINE-FORWARD", `-i ${br} -o ${br} -j ACCEPT`);
  add("nat", "POSTROUTING", `-s 127.0.0.0/8 -o ${br} -j MASQUERADE`);
  if (masquerade) add("nat", "POSTROUTING", `-s ${n.subnet} ! -o ${br} -j MASQUERADE`);
  return rules;
}

export interface PortRule {
  /** The container's address and bridge. */
  ip: string;
  bridge: string;
  port: number;
  proto: Proto;
  /** The host side: 0.0.0.0 for every local address. */
  hostIp: string;
  hostPort: number;
  /** Leave 127.0.0.0/8 to a userland proxy (no DNAT for loopback destinations). */
  proxyLoopback: boolean;
}

/**
 * A published port: DNAT of local destinations (from outside through PREROUTING, from the
 * host itself through OUTPUT), the forward accept, and the masquerade that lets a container
 * reach its own published port (hairpin).
 */
export function portRules(p: PortRule, comment: string): Rule[] {
  check(IPV4.test(p.ip), "container address", p.ip);
  check(IPV4.test(p.hostIp), "host address", p.hostIp);
  check(NAME.test(p.bridge), "bridge name", p.bridge);
  const c = ` -m comment --comment "${comment}"`;
  const match = `-p ${p.proto} -m ${p.proto}`;
  const dst = p.hostIp === "0.0.0.0" ? "" : `-d ${p.hostIp}/32 `;
  const lo = p.proxyLoopback ? "! -d 127.0.0.0/8 " : "";
  return [
    {
      table: "nat",
      chain: "ENGINE",
      spec:
        `${dst}${lo}${match} --dport ${p.hostPort}${c} -j DNAT --to-destination ${p.ip}:${p.port}`,
    },
    {
      table: "nat",
      chain: "POSTROUTING",
      spec: `-s ${p.ip}/32 -d ${p.ip}/32 ${match} --dport ${p.port}${c} -j MASQUERADE`,
    },
    {
      table: "filter",
      chain: "ENGINE",
      spec:
        `-d ${p.ip}/32 ! -i ${p.bridge} -o ${p.bridge} ${match} --dport ${p.port}${c} -j ACCEPT`,
    },
  ];
}

export interface Batch {
  /** Chains to create (absent ones only: declaring an existing chain flushes it). */
  chains?: { table: Table; chain: string }[];
  /** Rules to delete, then rules to insert at the top, then rules to append. */
  del?: Rule[];
  insert?: Rule[];
  add?: Rule[];
}

/** The iptables-restore --noflush input for a batch: one transaction per table. */
export function restoreScript(b: Batch): string {
  let out = "";
  for (const table of ["nat", "filter"] as Table[]) {
    const lines: string[] = [];
    for (const c of b.chains ?? []) if (c.table === table) lines.push(`:${c.chain} - [0:0]`);
    for (const r of b.del ?? []) if (r.table === table) lines.push(`-D ${r.chain} ${r.spec}`);
    for (const r of b.insert ?? []) if (r.table === table) lines.push(`-I ${r.chain} 1 ${r.spec}`);
    for (const r of b.add ?? []) if (r.table === table) lines.push(`-A ${r.chain} ${r.spec}`);
    if (lines.length) out += `*${table}\n${lines.join("\n")}\nCOMMIT\n`;
  }
  return out;
}

export interface Saved {
  chains: Record<Table, Set<string>>;
  rules: Rule[];
}

/** iptables-save output (nat and filter tables) as chains and rules. */
export function parseSave(text: string): Saved {
  const saved: Saved = { chains: { nat: new Set(), filter: new Set() }, rules: [] };
  let table: Table | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) {
      const t = line.slice(1);
      table = t === "nat" || t === "filter" ? t : undefined;
    } else if (!table) continue;
    else if (line.startsWith(":")) saved.chains[table].add(line.slice(1).split(" ")[0]);
    else if (line.startsWith("-A ")) {
      const sp = line.indexOf(" ", 3);
      if (sp > 0) saved.rules.push({ table, chain: line.slice(3, sp), spec: line.slice(sp + 1) });
    }
  }
  return saved;
}

/** The daemon, kind and id a rule's comment names, if it is one of ours. */
export function ruleTag(r: Rule): { owner: string; kind: Kind; id: string } | undefined {
  const m = TAG.exec(r.spec);
  return m ? { owner: m[1], kind: m[2] as Kind, id: m[3] } : undefined;
}

/** Whether `saved` already holds rule `r` (jumps are compared as iptables-save prints them). */
export function hasRule(saved: Saved, r: Rule): boolean {
  return saved.rules.some((s) => s.table === r.table && s.chain === r.chain && s.spec === r.spec);
}
