// runc's checks of the settings that belong to a namespace (libcontainer/configs/validate):
// a hostname, a domainname or a sysctl is refused, before anything is made, unless the
// container has a namespace of its own for it; written from a host namespace it would
// change the host. SELinux and AppArmor are refused as runc refuses them on a host without
// them: this runtime applies neither (`runc features` says so).
import type { Process, Spec } from "./config.ts";
import { isIpcSysctl } from "../lib/sysctls.ts";

/** Is the network namespace at `path` the one this process is in (the host's, to runc)? */
function isCurrentNetns(path: string): boolean {
  let theirs: Deno.FileInfo, ours: Deno.FileInfo;
  try {
    theirs = Deno.statSync(path);
    ours = Deno.statSync("/proc/self/ns/net");
  } catch (e) {
    throw new Error(`invalid netns path: ${(e as Error).message}`);
  }
  return theirs.ino === ours.ino && theirs.dev === ours.dev;
}

function checkSysctl(key: string, ns: Map<string, string>): void {
  const name = key.replaceAll("/", ".");
  if (isIpcSysctl(name)) {
    if (ns.has("ipc")) return;
    throw new Error(`sysctl "${key}" is not allowed in the hosts ipc namespace`);
  }
  if (name.startsWith("net.")) {
    const path = ns.get("network");
    if (path === undefined || (path !== "" && isCurrentNetns(path))) {
      throw new Error(`sysctl "${key}" not allowed in host network namespace`);
    }
    return;
  }
  if (ns.has("uts") && name === "kernel.domainname") return;
  if (ns.has("uts") && name === "kernel.hostname") {
    throw new Error(`sysctl "${key}" is not allowed as it conflicts with the OCI "hostname" field`);
  }
  throw new Error(`sysctl "${key}" is not in a separate kernel namespace`);
}

export function checkNamespacedSettings(spec: Spec): void {
  const ns = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n.path ?? ""]));
  if (spec.hostname && !ns.has("uts")) {
    throw new Error("unable to set hostname without a private UTS namespace");
  }
  if (spec.domainname && !ns.has("uts")) {
    throw new Error("unable to set domainname without a private UTS namespace");
  }
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) checkSysctl(key, ns);
  if (spec.process) checkSecurityLabels(spec.process);
}

/** An SELinux label or AppArmor profile, which this runtime cannot apply, is refused. */
export function checkSecurityLabels(p: Process): void {
  if (p.selinuxLabel) {
    throw new Error(
      "selinux label is specified in config, but selinux is disabled or not supported",
    );
  }
  if (p.apparmorProfile) {
    throw new Error(
      `apparmor profile "${p.apparmorProfile}" is specified in config, but this runtime does not apply AppArmor profiles`,
    );
  }
}
