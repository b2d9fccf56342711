// A container cannot hold a capability the daemon itself lacks (capset fails with EPERM):
// --privileged and --cap-add ALL mean every capability this host lets us give.
import { CAPABILITIES } from "../../lib/capabilities.ts";
import type { SpecOpt } from "../../containerd/oci/mod.ts";

let own: Set<string> | undefined;

/** The capabilities in our own bounding set. */
export function ownBoundingSet(): Set<string> {
  if (own) return own;
  const status = Deno.readTextFileSync("/proc/self/status");
  const mask = BigInt("0x" + (/^CapBnd:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? "0"));
  own = new Set(CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n));
  return own;
}

export function withinOwnBoundingSet(): SpecOpt {
  return (spec) => {
    const caps = spec.process?.capabilities as Record<string, string[] | undefined> | undefined;
    if (!caps) return;
    const have = ownBoundingSet();
    for (const set of Object.keys(caps)) caps[set] = caps[set]?.filter((c) => have.has(c));
  };
}
