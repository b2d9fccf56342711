// Chain ids (OCI image spec, config.md "Layer ChainID"): the identity of a stack of layers.
//   ChainID(L0) = DiffID(L0)
//   ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))

import { createHash } from "node:crypto";
import { invalidArgument } from "../../lib/errors.ts";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function checkDiffID(d: string): void {
  if (!DIGEST.test(d)) throw invalidArgument(`invalid diff_id ${JSON.stringify(d).slice(0, 90)}`);
}

/** The chain id of every prefix of `diffIDs`: result[i] identifies layers 0..i. */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    checkDiffID(d);
    const prev = out[out.length - 1];
    out.push(
      prev === undefined
        ? d
        : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`,
    );
  }
  return out;
}

/** The chain id of the whole stack. */
export function chainID(diffIDs: string[]): string {
  if (diffIDs.length === 0) throw invalidArgument("chain id of no layers");
  return chainIDs(diffIDs)[diffIDs.length - 1];
}
