// engine ps / container ls: GET /containers/json rendered with docker's ContainerContext.

import type { Invocation } from "../command.ts";
import {
  type ApiContainer,
  ContainerContext,
  DEFAULT_PS_TABLE,
  PS_QUIET,
  PS_SIZE_COLUMN,
} from "../format/containers.ts";
import { renderRows, resolveFormat } from "../format/formatter.ts";
import { clientFor, filtersJSON, write } from "./common.ts";

export async function ps(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const last = f.bool("latest") ? 1 : f.number("last");
  const query = {
    all: f.bool("all") || last > 0 || undefined,
    limit: last > 0 ? last : undefined,
    size: f.bool("size") || undefined,
    filters: filtersJSON(f.list("filter")),
  };
  const list = await client.json<ApiContainer[]>("GET", "/containers/json", { query });
  const table = DEFAULT_PS_TABLE + (f.bool("size") ? PS_SIZE_COLUMN : "");
  const format = resolveFormat(
    { format: f.string("format"), defaultTable: table, quiet: PS_QUIET },
    f.bool("quiet"),
  );
  const trunc = !f.bool("no-trunc");
  const now = Date.now();
  const rows = list.map((c) => new ContainerContext(c, trunc, now));
  write(renderRows(format, rows, new ContainerContext({ Id: "" })));
  return 0;
}
