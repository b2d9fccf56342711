// --preserve-fds N hands fds 3 … 3+N-1 to the container: each must have been passed to us,
// as runc checks. One of the runtime's own fds (Deno's, opened close-on-exec) in that range
// is refused too: it would leak into the container.
import { isInheritedFd } from "../sys/libc.ts";

export function checkPreservedFds(n: number): void {
  for (let i = 0; i < n; i++) {
    if (!isInheritedFd(3 + i)) {
      throw new Error(
        `unable to stat preserved-fd ${i} (of ${n}): stat /proc/self/fd/${
          3 + i
        }: no such file or directory`,
      );
    }
  }
}
