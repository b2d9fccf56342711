// push, tag, rmi, save, load, import, history, image prune, commit, export.

import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { familiarString, parseNormalizedNamed, repositoryName } from "../../lib/reference.ts";
import { displayJSONMessages, type JSONMessage } from "../progress.ts";
import { humanSize } from "../units.ts";
import { registryAuthHeader } from "./registry_auth.ts";
import {
  clientFor,
  confirm,
  filtersJSON,
  forEachTarget,
  stdoutIsTerminal,
  terminalWidth,
  write,
} from "./common.ts";

export async function push(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const ref = parseNormalizedNamed(inv.args[0]);
  const name = familiarString({ ...ref, tag: undefined, digest: undefined });
  const tag = inv.flags.bool("all-tags") ? undefined : ref.tag ?? "latest";
  const messages = client.stream<JSONMessage>("POST", `/images/${escapePath(name)}/push`, {
    query: { tag, platform: inv.flags.string("platform") || undefined },
    headers: { "X-Registry-Auth": await registryAuthHeader(inv, ref) },
  });
  const quiet = inv.flags.bool("quiet");
  await displayJSONMessages(messages, quiet ? () => {} : write, {
    isTerminal: stdoutIsTerminal(),
    width: terminalWidth(),
  });
  if (quiet) write(`${inv.args[0]}\n`);
  return 0;
}

export async function tag(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [source, target] = inv.args;
  let ref;
  try {
    ref = parseNormalizedNamed(target);
  } catch (err) {
    throw new Error(
      `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${
        (err as Error).message
      }`,
    );
  }
  await client.json("POST", `/images/${escapePath(source)}/tag`, {
    query: { repo: repositoryName(ref), tag: ref.tag ?? "latest" },
  });
  return 0;
}

export async function rmi(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const query = {
    force: inv.flags.bool("force") || undefined,
    noprune: inv.flags.bool("no-prune") || undefined,
  };
  return await forEachTarget(inv.args, async (name) => {
    const items = await client.json<{ Untagged?: string; Deleted?: string }[]>(
      "DELETE",
      `/images/${escapePath(name)}`,
      { query },
    );
    for (const it of items ?? []) {
      if (it.Untagged) write(`Untagged: ${it.Untagged}\n`);
      if (it.Deleted) write(`Deleted: ${it.Deleted}\n`);
    }
  }, false);
}

export async function save(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const output = inv.flags.string("output");
  if (!output && stdoutIsTerminal()) {
    throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const res = await client.request("GET", "/images/get", { query: { names: inv.args } });
  if (!output) {
    await res.body?.pipeTo(Deno.stdout.writable, { preventClose: true });
    return 0;
  }
  const tmp = `${output}.tmp-${Deno.pid}`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  await res.body?.pipeTo(file.writable);
  await Deno.rename(tmp, output);
  return 0;
}

export async function load(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const input = inv.flags.string("input");
  const body = input ? (await Deno.open(input)).readable : Deno.stdin.readable;
  const quiet = inv.flags.bool("quiet") || !stdoutIsTerminal();
  const messages = client.stream<JSONMessage>("POST", "/images/load", {
    query: { quiet },
    body,
    headers: { "Content-Type": "application/x-tar" },
  });
  await displayJSONMessages(messages, write, {
    isTerminal: stdoutIsTerminal(),
    width: terminalWidth(),
  });
  return 0;
}

export async function importImage(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [source, repository] = inv.args;
  const ref = repository ? parseNormalizedNamed(repository) : undefined;
  const query = {
    fromSrc: source === "-" || !/^https?:\/\//.test(source) ? "-" : source,
    repo: ref ? familiarString({ ...ref, tag: undefined }) : undefined,
    tag: ref?.tag,
    message: inv.flags.string("message") || undefined,
    changes: inv.flags.list("change").length > 0 ? inv.flags.list("change") : undefined,
    platform: inv.flags.string("platform") || undefined,
  };
  const body = source === "-"
    ? Deno.stdin.readable
    : /^https?:\/\//.test(source)
    ? undefined
    : (await Deno.open(source)).readable;
  const messages = client.stream<JSONMessage & { status?: string }>("POST", "/images/create", {
    query,
    body,
  });
  await displayJSONMessages(messages, write, { isTerminal: stdoutIsTerminal() });
  return 0;
}

export async function history(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const items = await client.json<
    { Id: string; Created: number; CreatedBy: string; Size: number; Comment: string }[]
  >(
    "GET",
    `/images/${escapePath(inv.args[0])}/history`,
  );
  const { renderRows } = await import("../format/formatter.ts");
  const { HistoryContext, DEFAULT_HISTORY_TABLE } = await import("../format/history.ts");
  const trunc = !inv.flags.bool("no-trunc");
  const human = inv.flags.bool("human");
  const format = inv.flags.bool("quiet")
    ? "{{.ID}}"
    : inv.flags.string("format") || DEFAULT_HISTORY_TABLE;
  write(
    renderRows(
      format,
      items.map((i) => new HistoryContext(i, trunc, human)),
      new HistoryContext(undefined, trunc, human),
    ),
  );
  return 0;
}

export async function imagePrune(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const all = inv.flags.bool("all");
  const filters = [...inv.flags.list("filter"), `dangling=${all ? "false" : "true"}`];
  if (!inv.flags.bool("force")) {
    const warning = all
      ? "WARNING! This will remove all images without at least one container associated to them."
      : "WARNING! This will remove all dangling images.";
    if (!confirm(`${warning}\nAre you sure you want to continue?`)) return 0;
  }
  const res = await client.json<
    { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }
  >(
    "POST",
    "/images/prune",
    { query: { filters: filtersJSON(filters) } },
  );
  if (res.ImagesDeleted && res.ImagesDeleted.length > 0) {
    write("Deleted Images:\n");
    for (const d of res.ImagesDeleted) {
      write(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
    }
    write("\n");
  }
  write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`);
  return 0;
}

export async function commit(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const [container, reference] = inv.args;
  const ref = reference ? parseNormalizedNamed(reference) : undefined;
  const res = await client.json<{ Id: string }>("POST", "/commit", {
    query: {
      container,
      repo: ref ? familiarString({ ...ref, tag: undefined }) : undefined,
      tag: ref?.tag,
      comment: inv.flags.string("message") || undefined,
      author: inv.flags.string("author") || undefined,
      changes: inv.flags.list("change").length > 0 ? inv.flags.list("change") : undefined,
      pause: inv.flags.bool("pause"),
    },
    json: {},
  });
  write(`${res.Id}\n`);
  return 0;
}

export async function exportContainer(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const output = inv.flags.string("output");
  if (!output && stdoutIsTerminal()) {
    throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const res = await client.request("GET", `/containers/${escapePath(inv.args[0])}/export`);
  if (!output) await res.body?.pipeTo(Deno.stdout.writable, { preventClose: true });
  else {await res.body?.pipeTo(
      (await Deno.open(output, { write: true, create: true, truncate: true })).writable,
    );}
  return 0;
}
