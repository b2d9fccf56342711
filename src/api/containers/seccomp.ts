// The container's seccomp profile from HostConfig.SecurityOpt, as dockerd chooses it: the
// default profile for its capabilities, none with seccomp=unconfined or --privileged, or
// a custom profile given as JSON (seccomp=<json>, as the docker CLI sends a file's content).
import { invalidArgument } from "../../lib/errors.ts";
import { defaultSeccomp } from "../../lib/seccomp_default.ts";
import type { SpecOpt } from "../../containerd/oci/mod.ts";
import { withSeccomp } from "../../containerd/oci/mod.ts";

export function seccompOpt(securityOpt: string[] = [], privileged = false): SpecOpt {
  let choice: string | undefined;
  for (const opt of securityOpt) {
    const m = /^seccomp[=:](.*)$/s.exec(opt);
    if (m) choice = m[1];
  }
  if (choice === "unconfined" || (privileged && choice === undefined)) {
    return withSeccomp(undefined);
  }
  if (choice !== undefined && choice !== "builtin" && choice !== "") {
    let profile: Record<string, unknown>;
    try {
      profile = JSON.parse(choice);
    } catch {
      throw invalidArgument(
        `opening seccomp profile (${choice.slice(0, 40)}) failed: not a JSON profile`,
      );
    }
    // Docker's profile format: archMap and per-rule includes/excludes are not OCI fields.
    const { archMap: _a, ...rest } = profile;
    const syscalls = (rest.syscalls as Record<string, unknown>[] | undefined)?.map(
      ({ includes: _i, excludes: _e, comment: _c, ...rule }) => rule,
    );
    return withSeccomp({ ...rest, ...(syscalls ? { syscalls } : {}) });
  }
  // The default profile widens with the capabilities the container ends up holding.
  return (spec) => {
    const caps = spec.process?.capabilities?.bounding ?? [];
    return withSeccomp(defaultSeccomp(caps))(spec);
  };
}
