// containerd's OCI spec builders (containerd's `oci` package plus what dockerd's
// daemon/oci_linux.go adds): defaultSpec, the SpecOpts, and validateSpec, which
// containerd applies to the spec the daemon sends.

export * from "./defaults.ts";
export * from "./spec.ts";
export * from "./process.ts";
export * from "./user.ts";
export * from "./security.ts";
export * from "./mounts.ts";
export * from "./namespaces.ts";
export * from "./resources.ts";
export * from "./validate.ts";
