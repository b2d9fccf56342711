// What runc accepts in a config with a warning rather than refusing: capability names it
// does not know (a newer kernel's, a typo) are dropped, and relative mount destinations are
// taken from /. Said in runc's words on the runtime's log.
import { type Process, relativeMounts, type Spec, unknownCapabilities } from "./config.ts";
import { logWarning } from "./log.ts";

export function warnUnknownCapabilities(p: Process): void {
  const unknown = unknownCapabilities(p);
  if (unknown.length) {
    logWarning(`ignoring unknown or unavailable capabilities: [${unknown.join(" ")}]`);
  }
}

export function warnRelativeMounts(spec: Spec): void {
  for (const d of relativeMounts(spec)) {
    logWarning(
      `mount destination ${d} is not absolute. Support for non-absolute mount destinations will be removed in a future release.`,
    );
  }
}
