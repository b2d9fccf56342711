// The long-lived layers (daemon, containerd) hand the C heap's free pages back every few
// seconds. glibc keeps what Deno's Rust side freed after a burst (connection and pipe
// buffers) inside its heap until a trim: the daemon's C heap after 30 `run -d` 13 → 7 MiB,
// containerd's 18 → 15. A trim with little to give back takes ~5 µs.
import { mallocTrim } from "../sys/libc.ts";

const EVERY_MS = 5_000;

/** Trims every EVERY_MS for as long as the process runs (the timer keeps nothing alive). */
export function trimMemoryPeriodically(): void {
  Deno.unrefTimer(setInterval(mallocTrim, EVERY_MS));
}
