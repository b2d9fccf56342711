// engine images / image ls: GET /images/json rendered with docker's imageContext.

import type { Invocation } from "../command.ts";
import {
  type ApiImage,
  DEFAULT_IMAGES_DIGESTS_TABLE,
  DEFAULT_IMAGES_TABLE,
  ImageContext,
  imageRows,
  IMAGES_QUIET,
} from "../format/images.ts";
import { renderRows, resolveFormat } from "../format/formatter.ts";
import { clientFor, filtersJSON, write } from "./common.ts";

export async function images(inv: Invocation): Promise<number> {
  const f = inv.flags;
  using client = clientFor(inv);
  const filters = [...f.list("filter")];
  if (inv.args[0]) filters.push(`reference=${inv.args[0]}`);
  const query = { all: f.bool("all") || undefined, filters: filtersJSON(filters) };
  const list = await client.json<ApiImage[]>("GET", "/images/json", { query });
  const digests = f.bool("digests");
  const format = resolveFormat({
    format: f.string("format"),
    defaultTable: digests ? DEFAULT_IMAGES_DIGESTS_TABLE : DEFAULT_IMAGES_TABLE,
    quiet: IMAGES_QUIET,
  }, f.bool("quiet"));
  let rows = imageRows(list, { digests, trunc: !f.bool("no-trunc") });
  if (f.bool("quiet") && format === IMAGES_QUIET) {
    const seen = new Set<string>();
    rows = rows.filter((r) => !seen.has(r.ID) && seen.add(r.ID));
  }
  write(renderRows(format, rows, new ImageContext({ Id: "" }, "", "", "")));
  return 0;
}
