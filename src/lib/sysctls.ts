// Which kernel namespace a sysctl belongs to: shared by the spec builders (Docker's
// allowlist) and the runtime (runc's checks before writing one).

/** The IPC namespace's sysctls, besides every fs.mqueue.* one. */
export const IPC_SYSCTLS: readonly string[] = [
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
];

/** Is `key` (dotted) one the IPC namespace holds? */
export function isIpcSysctl(key: string): boolean {
  return IPC_SYSCTLS.includes(key) || key.startsWith("fs.mqueue.");
}
