// Names inside a layer: cleaned into components, never absolute, never with "..".
// A stricter rule than tar's (which strips them): layers from real builders never need
// either, and refusing names the hostile entry in the error.

import { invalidArgument } from "../errors.ts";

/**
 * The path's components ([] for the root itself). Refuses absolute paths and "..";
 * callers add which entry it was.
 */
export function entryComponents(name: string): string[] {
  if (name.startsWith("/")) throw invalidArgument("absolute path refused");
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw invalidArgument(`".." refused (path escape)`);
  return parts;
}

/** Whiteout prefix of the OCI image spec / AUFS. */
export const WHITEOUT_PREFIX = ".wh.";
/** Marks its directory opaque: nothing from lower layers shows through. */
export const WHITEOUT_OPAQUE = ".wh..wh..opq";
/** Other AUFS metadata entries (".wh..wh.plnk", ".wh..wh.aufs"): skipped, as Docker does. */
export const WHITEOUT_META_PREFIX = ".wh..wh.";
