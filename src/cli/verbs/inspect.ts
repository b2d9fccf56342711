// engine inspect / container inspect / image inspect: the raw JSON objects, indented like
// docker's (a JSON array), or each object through --format.

import type { Invocation } from "../command.ts";
import { ApiError, escapePath } from "../client.ts";
import { Template } from "../format/template.ts";
import { clientFor, write, writeErr } from "./common.ts";

type Kind = "container" | "image" | "network" | "volume";

const PATHS: Record<Kind, (n: string) => string> = {
  container: (n) => `/containers/${escapePath(n)}/json`,
  image: (n) => `/images/${escapePath(n)}/json`,
  network: (n) => `/networks/${escapePath(n)}`,
  volume: (n) => `/volumes/${escapePath(n)}`,
};

export async function inspect(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const type = inv.path.startsWith("container ")
    ? "container"
    : inv.path.startsWith("image ")
    ? "image"
    : (f.values.has("type") ? f.string("type") : "");
  const kinds: Kind[] = type ? [type as Kind] : ["container", "image", "network", "volume"];
  if (type && !PATHS[type as Kind]) throw new Error(`"${type}" is not a valid value for --type`);
  const size = f.values.has("size") && f.bool("size") ? { size: true } : undefined;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of inv.args) {
    let hit: unknown;
    for (const kind of kinds) {
      try {
        hit = await client.json("GET", PATHS[kind](name), {
          query: kind === "container" ? size : undefined,
        });
        break;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
        if (kinds.length === 1) {
          errors.push(
            e.daemonMessage.startsWith("No such") ? `Error: ${e.daemonMessage}` : e.message,
          );
        }
      }
    }
    if (hit !== undefined) found.push(hit);
    else if (kinds.length > 1) errors.push(`Error: No such object: ${name}`);
  }
  writeInspected(found, f.string("format"));
  if (errors.length > 0) {
    writeErr(errors.join("\n") + "\n");
    return 1;
  }
  return 0;
}

/** `network inspect` / `volume inspect`: each name as one kind; the errors after what was found. */
export async function inspectEach(inv: Invocation, kind: "network" | "volume"): Promise<number> {
  using client = clientFor(inv);
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of inv.args) {
    try {
      found.push(await client.json("GET", PATHS[kind](name)));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  writeInspected(found, inv.flags.string("format"));
  if (errors.length) throw new Error(errors.join("\n"));
  return 0;
}

/** Inspected objects as docker prints them: a JSON array indented by 4, or each through --format. */
function writeInspected(found: unknown[], format: string): void {
  if (format === "" || format === "json") write(JSON.stringify(found, null, 4) + "\n");
  else {
    const tmpl = new Template(format.replaceAll("\\t", "\t").replaceAll("\\n", "\n"));
    for (const obj of found) write(tmpl.execute(obj) + "\n");
  }
}
