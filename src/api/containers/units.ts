// Docker's human sizes ("10m", "1g", "512k", "100") as bytes (go-units RAMInBytes).
import { invalidArgument } from "../../lib/errors.ts";

export function parseSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(raw.trim());
  if (!m) throw invalidArgument(`invalid size: '${raw}'`);
  const mult = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40, p: 2 ** 50 }[
    m[2].toLowerCase() as "" | "k"
  ];
  return Math.floor(Number(m[1]) * mult);
}
