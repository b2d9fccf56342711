// The foreground side of a terminal container (`runc run`/`exec` with terminal and no
// --console-socket): receive the pty master, copy our stdio through it, follow resizes.
import { close, isatty, read, setWinsize, socketpair, winsize, write } from "../sys/libc.ts";
import { recvFd } from "../sys/libnsenter.ts";

export interface OwnConsole {
  /** The fd handed to the container process (it sends the master over it). */
  childFd: number;
  /** Resolves with the master once the container has sent it. */
  master: Promise<number>;
}

export function ownConsole(): OwnConsole {
  const [ours, theirs] = socketpair();
  const master = recvFd(ours).then((r) => r.fd).finally(() => close(ours));
  return { childFd: theirs, master };
}

/** Copies stdin → master and master → stdout until the master closes; returns a stopper. */
export function attachConsole(master: number): { done: Promise<void>; stop: () => void } {
  const raw = Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const resize = () => {
    const ws = winsize(0);
    if (ws) setWinsize(master, ws[0], ws[1]);
  };
  if (isatty(0)) {
    resize();
    Deno.addSignalListener("SIGWINCH", resize);
  }
  let stopped = false;
  const output = (async () => {
    const buf = new Uint8Array(32 * 1024);
    for (;;) {
      let n: number;
      try {
        n = await read(master, buf);
      } catch {
        break; // EIO: the slave side is closed
      }
      if (n <= 0) break;
      await Deno.stdout.write(buf.subarray(0, n));
    }
  })();
  (async () => {
    const buf = new Uint8Array(4096);
    while (!stopped) {
      const n = await Deno.stdin.read(buf);
      if (n === null || stopped) break;
      try {
        write(master, buf.slice(0, n));
      } catch {
        break;
      }
    }
  })();
  const stop = () => {
    stopped = true;
    if (raw) Deno.stdin.setRaw(false);
    if (isatty(0)) Deno.removeSignalListener("SIGWINCH", resize);
  };
  return { done: output, stop };
}

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** Forwards the signals we receive to `pid` until the returned function is called. */
export function forwardSignals(send: (sig: Deno.Signal) => void): () => void {
  const handlers = FORWARDED.map((sig) => [sig, () => send(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  return () => {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  };
}
