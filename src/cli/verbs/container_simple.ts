// stop, restart, kill, rm, pause, unpause, wait, rename, port, diff, top: one request each.

import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { clientFor, forEachTarget, write } from "./common.ts";

const c = (name: string) => `/containers/${escapePath(name)}`;

export async function stop(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const t = inv.flags.isSet("timeout") ? inv.flags.number("timeout") : undefined;
  const signal = inv.flags.string("signal") || undefined;
  return await forEachTarget(
    inv.args,
    (id) => client.json("POST", `${c(id)}/${inv.def.verb}`, { query: { signal, t } }),
  );
}

export const restart = stop;

export async function kill(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const signal = inv.flags.string("signal") || undefined;
  return await forEachTarget(
    inv.args,
    (id) => client.json("POST", `${c(id)}/kill`, { query: { signal } }),
  );
}

export async function rm(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const query = {
    force: inv.flags.bool("force") || undefined,
    link: inv.flags.bool("link") || undefined,
    v: inv.flags.bool("volumes") || undefined,
  };
  return await forEachTarget(inv.args, (id) => client.json("DELETE", c(id), { query }));
}

export async function pause(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  return await forEachTarget(inv.args, (id) => client.json("POST", `${c(id)}/${inv.def.verb}`));
}

export const unpause = pause;

export async function wait(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  return await forEachTarget(inv.args, async (id) => {
    const res = await client.json<{ StatusCode: number; Error?: { Message: string } | null }>(
      "POST",
      `${c(id)}/wait`,
    );
    if (res.Error?.Message) throw new Error(res.Error.Message);
    write(`${res.StatusCode}\n`);
  }, false);
}

export async function rename(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [old, name] = inv.args;
  if (name.trim() === "") throw new Error("Error: Neither old nor new names may be empty");
  await client.json("POST", `${c(old)}/rename`, { query: { name } });
  return 0;
}

interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export async function port(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [id, want] = inv.args;
  const info = await client.json<
    { NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> } }
  >(
    "GET",
    `${c(id)}/json`,
  );
  const ports = info.NetworkSettings?.Ports ?? {};
  const fmt = (b: PortBinding) =>
    `${b.HostIp.includes(":") ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
  if (want) {
    const key = want.includes("/") ? want : `${want}/tcp`;
    const bindings = ports[key];
    if (!bindings || bindings.length === 0) {
      throw new Error(`Error: No public port '${key}' published for ${id}`);
    }
    for (const b of bindings) write(`${fmt(b)}\n`);
    return 0;
  }
  for (const [key, bindings] of Object.entries(ports).sort()) {
    for (const b of bindings ?? []) write(`${key} -> ${fmt(b)}\n`);
  }
  return 0;
}

export async function diff(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const changes = await client.json<{ Kind: number; Path: string }[] | null>(
    "GET",
    `${c(inv.args[0])}/changes`,
  );
  for (const ch of changes ?? []) write(`${["C", "A", "D"][ch.Kind] ?? "?"} ${ch.Path}\n`);
  return 0;
}

export async function top(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [id, ...psArgs] = inv.args;
  const query = { ps_args: psArgs.length > 0 ? psArgs.join(" ") : undefined };
  const res = await client.json<{ Titles: string[]; Processes: string[][] | null }>(
    "GET",
    `${c(id)}/top`,
    { query },
  );
  const { tabwrite } = await import("../format/tabwriter.ts");
  const lines = [res.Titles.join("\t"), ...(res.Processes ?? []).map((p) => p.join("\t"))];
  write(tabwrite(lines.join("\n") + "\n", { minwidth: 20, padding: 3 }));
  return 0;
}
