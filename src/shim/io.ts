// A process's stdio in the shim: pipes (or a pty master received over a console socket),
// output pumped to the json-file log and to attached clients, stdin written on request.
import { close, read as readFd, setWinsize, write as writeFd } from "../sys/libc.ts";
import { openRaw, pipe } from "../sys/process.ts";
import { recvFd } from "../sys/libnsenter.ts";
import type { JsonLog } from "./jsonlog.ts";

type Stream = "stdout" | "stderr";

interface Subscriber {
  ctl: ReadableStreamDefaultController<Uint8Array>;
  streams: Set<Stream>;
}

/** An attached client may lag this far behind before it is dropped (SECURITY.md class e). */
const MAX_BUFFERED = 4 << 20;
const O_RDWR = 2;

export class ProcessIO {
  #subs = new Set<Subscriber>();
  #stdin: Deno.FsFile | undefined;
  #master: number | undefined;
  #pumps: Promise<void>[] = [];
  /** fds handed to the runtime as its stdio (closed by us once it has run). */
  childFds: [number, number, number] = [-1, -1, -1];
  /** Output kept until the first client attaches (execs: they start before anyone can). */
  #backlog: { stream: Stream; data: Uint8Array }[] | undefined;
  #backlogSize = 0;
  /** The process is gone and its output drained: late subscribers end at once. */
  #ended = false;

  private constructor(
    readonly terminal: boolean,
    private log: JsonLog,
    keepBacklog = false,
  ) {
    if (keepBacklog) this.#backlog = [];
  }

  /** Pipes for stdout and stderr (and stdin when asked; /dev/null otherwise). */
  static async withPipes(log: JsonLog, stdin: boolean, keepBacklog = false): Promise<ProcessIO> {
    const io = new ProcessIO(false, log, keepBacklog);
    if (stdin) {
      const [r, w] = pipe();
      io.childFds[0] = r;
      io.#stdin = await Deno.open(`/proc/self/fd/${w}`, { write: true });
      close(w);
    } else io.childFds[0] = openRaw("/dev/null", O_RDWR);
    for (const [i, stream] of [[1, "stdout"], [2, "stderr"]] as const) {
      const [r, w] = pipe();
      io.childFds[i] = w;
      const file = await Deno.open(`/proc/self/fd/${r}`, { read: true });
      close(r);
      io.#pumps.push(io.#pumpFile(file, stream));
    }
    return io;
  }

  /**
   * A console socket at `socketPath` for the runtime's --console-socket; the pty master
   * arrives on it once the container process has set up its terminal. The socket module
   * (its libc symbols) loads only here: most containers have no terminal.
   */
  static async withConsole(
    log: JsonLog,
    socketPath: string,
    keepBacklog = false,
  ): Promise<{ io: ProcessIO; ready: Promise<void> }> {
    const { accept, listenUnix } = await import("../sys/socket.ts");
    const io = new ProcessIO(true, log, keepBacklog);
    const null0 = openRaw("/dev/null", O_RDWR);
    io.childFds = [null0, null0, null0];
    const listener = listenUnix(socketPath);
    const ready = (async () => {
      const conn = await accept(listener);
      try {
        io.#master = (await recvFd(conn)).fd;
      } finally {
        close(conn);
        close(listener);
        await Deno.remove(socketPath).catch(() => {});
        if (socketPath.startsWith("/tmp/esc")) {
          await Deno.remove(socketPath.slice(0, socketPath.lastIndexOf("/"))).catch(() => {});
        }
      }
      io.#pumps.push(io.#pumpMaster(io.#master));
    })();
    return { io, ready };
  }

  /** Closes our copies of the runtime's stdio fds (after it has started the process). */
  releaseChildFds(): void {
    for (const fd of new Set(this.childFds)) if (fd >= 0) close(fd);
    this.childFds = [-1, -1, -1];
  }

  /** Resolves when all output has been read (the process and its heirs closed it). */
  get drained(): Promise<void> {
    return Promise.all(this.#pumps).then(() => {});
  }

  async #pumpFile(file: Deno.FsFile, stream: Stream) {
    const buf = new Uint8Array(32 * 1024);
    try {
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        await this.#emit(stream, buf.slice(0, n));
      }
    } catch {
      /* closed */
    } finally {
      file.close();
    }
  }

  async #pumpMaster(master: number) {
    const buf = new Uint8Array(32 * 1024);
    for (;;) {
      let n: number;
      try {
        n = await readFd(master, buf);
      } catch {
        break; // EIO: every slave fd is closed
      }
      if (n <= 0) break;
      await this.#emit("stdout", buf.slice(0, n));
    }
  }

  async #emit(stream: Stream, data: Uint8Array) {
    if (this.#backlog && this.#subs.size === 0 && this.#backlogSize < MAX_BUFFERED) {
      this.#backlog.push({ stream, data });
      this.#backlogSize += data.length;
    }
    for (const s of this.#subs) {
      if (!s.streams.has(stream)) continue;
      if ((s.ctl.desiredSize ?? 0) < -MAX_BUFFERED) {
        this.#drop(s);
        continue;
      }
      s.ctl.enqueue(this.terminal ? data : frame(stream, data));
    }
    await this.log.write(stream, data);
  }

  /** Live output for an attached client: raw with a tty, Docker's frames otherwise. */
  subscribe(streams: Stream[]): ReadableStream<Uint8Array> {
    let sub: Subscriber;
    return new ReadableStream<Uint8Array>({
      start: (ctl) => {
        sub = { ctl, streams: new Set(streams) };
        for (const b of this.#backlog ?? []) {
          if (sub.streams.has(b.stream)) {
            ctl.enqueue(this.terminal ? b.data : frame(b.stream, b.data));
          }
        }
        this.#backlog = undefined;
        if (this.#ended) ctl.close();
        else this.#subs.add(sub);
      },
      cancel: () => {
        this.#subs.delete(sub);
      },
    }, { highWaterMark: 0 });
  }

  #drop(s: Subscriber) {
    this.#subs.delete(s);
    try {
      s.ctl.close();
    } catch { /* already closed */ }
  }

  /** Ends every attached client's stream (the process is gone and output drained). */
  closeSubscribers(): void {
    this.#ended = true;
    for (const s of [...this.#subs]) this.#drop(s);
  }

  async writeStdin(data: Uint8Array): Promise<void> {
    if (this.#master !== undefined) {
      writeFd(this.#master, data.slice());
      return;
    }
    if (!this.#stdin) throw new Error("the process has no stdin");
    let off = 0;
    while (off < data.length) off += await this.#stdin.write(data.subarray(off));
  }

  closeStdin(): void {
    this.#stdin?.close();
    this.#stdin = undefined;
  }

  resize(width: number, height: number): void {
    if (this.#master === undefined) throw new Error("the process has no terminal");
    setWinsize(this.#master, height, width);
  }

  /** After exit and drain: release the master and stdin. */
  dispose(): void {
    this.closeStdin();
    if (this.#master !== undefined) close(this.#master);
    this.#master = undefined;
  }
}

/** Docker's multiplexed stream frame: [stream, 0, 0, 0, size (big-endian u32)] + data. */
export function frame(stream: Stream, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  out[0] = stream === "stdout" ? 1 : 2;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
}
