// `runc features`: what this runtime supports, in runc's JSON (runc/types/features). Every
// list is read from the table the runtime itself uses, so it cannot claim more than it does:
// dockerd and containerd decide on it (dockerd makes read-only binds recursive only when
// "rro" is listed).
import { CAPABILITIES, HOOK_KINDS } from "./config.ts";
import { KNOWN_MOUNT_OPTIONS } from "./mount_options.ts";
import { CLONE } from "./plan.ts";
import { ACTIONS, FILTERED_ARCHITECTURES, OPERATORS } from "./seccomp/bpf.ts";
import { ENGINE_VERSION, OCI_SPEC_VERSION } from "../lib/version.ts";

export function features(): Record<string, unknown> {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_SPEC_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: [...KNOWN_MOUNT_OPTIONS],
    linux: {
      namespaces: Object.keys(CLONE).sort(),
      capabilities: [...CAPABILITIES],
      // v1 and v2 through cgroupfs; a systemd cgroupsPath is mapped to its path, no
      // systemd unit is made.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: Object.keys(ACTIONS).sort(),
        operators: [...OPERATORS].sort(),
        archs: [...FILTERED_ARCHITECTURES],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { "org.opencontainers.engine.version": ENGINE_VERSION },
  };
}
