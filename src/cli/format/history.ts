// `history` rows: docker's historyContext over GET /images/{name}/history.

import { humanDuration, humanSize } from "../units.ts";
import { ellipsis, RowContext, truncateId } from "./formatter.ts";

export const DEFAULT_HISTORY_TABLE =
  "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

export interface ApiHistory {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

const HEADERS = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};

export class HistoryContext extends RowContext {
  readonly typeName = "*formatter.historyContext";
  constructor(readonly h: ApiHistory | undefined, readonly trunc = true, readonly human = true) {
    super();
  }
  headers(): Record<string, string> {
    return HEADERS;
  }
  get ID(): string {
    const id = this.h?.Id ?? "";
    if (id === "<missing>") return id;
    return this.trunc ? truncateId(id) : id;
  }
  get CreatedSince(): string {
    return `${humanDuration(Date.now() - (this.h?.Created ?? 0) * 1000)} ago`;
  }
  get CreatedAt(): string {
    return new Date((this.h?.Created ?? 0) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  }
  get CreatedBy(): string {
    const by = (this.h?.CreatedBy ?? "").replaceAll("\t", " ");
    return this.trunc ? ellipsis(by, 45) : by;
  }
  get Size(): string {
    return this.human ? humanSize(this.h?.Size ?? 0) : String(this.h?.Size ?? 0);
  }
  get Comment(): string {
    return this.h?.Comment ?? "";
  }
}
