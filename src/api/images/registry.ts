// The daemon's registry configuration as it is now (a SIGHUP may have reloaded it): what
// pulls and pushes send to containerd, and what login uses.

import type { RegistryConfig } from "../../containerd/api/images.ts";
import type { Daemon } from "../daemon.ts";
import type { LoginOptions } from "./login.ts";

/** Mirrors and insecure registries, read at each request. */
export function registryConfig(d: Daemon): RegistryConfig {
  return { mirrors: d.opts.registryMirrors, insecure: d.opts.insecureRegistries };
}

export function loginOptions(d: Daemon): LoginOptions {
  return { insecure: d.opts.insecureRegistries };
}
