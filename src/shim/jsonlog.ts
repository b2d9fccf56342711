// Docker's json-file log driver: one JSON object per line,
// {"log":"…\n","stream":"stdout","time":"RFC3339Nano"}, rotated by size into <path>.1 … .N-1.
import type { LogConfig } from "./protocol.ts";

/** Docker splits long lines into 16 KiB messages. */
const MAX_MESSAGE = 16 * 1024;

export class JsonLog {
  #file: Deno.FsFile | undefined;
  #size = 0;
  #partial: Record<string, Uint8Array> = {};
  #enc = new TextEncoder();
  #dec = new TextDecoder();
  #queue: Promise<void> = Promise.resolve();

  constructor(private cfg: LogConfig) {}

  async open(): Promise<void> {
    if (!this.cfg.path) return;
    this.#file = await Deno.open(this.cfg.path, { append: true, create: true, mode: 0o640 });
    this.#size = (await this.#file.stat()).size;
  }

  /** Appends output of `stream`, one entry per complete line (or 16 KiB piece). */
  write(stream: "stdout" | "stderr", chunk: Uint8Array): Promise<void> {
    if (!this.#file) return Promise.resolve();
    let data = this.#partial[stream] ? concat(this.#partial[stream], chunk) : chunk;
    const lines: Uint8Array[] = [];
    for (;;) {
      const nl = data.indexOf(10);
      if (nl < 0 || nl >= MAX_MESSAGE) break;
      lines.push(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    while (data.length >= MAX_MESSAGE) {
      lines.push(data.subarray(0, MAX_MESSAGE));
      data = data.subarray(MAX_MESSAGE);
    }
    this.#partial[stream] = data.slice();
    return this.#append(stream, lines);
  }

  /** Writes what is left of unterminated lines (at exit). */
  flush(): Promise<void> {
    const pending = Object.entries(this.#partial).filter(([, d]) => d.length);
    this.#partial = {};
    return Promise.all(pending.map(([s, d]) => this.#append(s as "stdout", [d]))).then(() => {});
  }

  #append(stream: string, lines: Uint8Array[]): Promise<void> {
    if (!lines.length) return this.#queue;
    const time = new Date().toISOString();
    const text = lines.map((l) => JSON.stringify({ log: this.#dec.decode(l), stream, time }) + "\n")
      .join("");
    this.#queue = this.#queue.then(() => this.#writeText(text)).catch((e) =>
      console.error(`shim: write log ${this.cfg.path}: ${(e as Error).message}`)
    );
    return this.#queue;
  }

  async #writeText(text: string) {
    const bytes = this.#enc.encode(text);
    if (this.cfg.maxSize && this.#size > 0 && this.#size + bytes.length > this.cfg.maxSize) {
      await this.#rotate();
    }
    let off = 0;
    while (off < bytes.length) off += await this.#file!.write(bytes.subarray(off));
    this.#size += bytes.length;
  }

  async #rotate() {
    const path = this.cfg.path!;
    const keep = this.cfg.maxFile ?? 1;
    this.#file!.close();
    if (keep <= 1) {
      await Deno.truncate(path, 0);
    } else {
      await Deno.remove(`${path}.${keep - 1}`).catch(() => {});
      for (let i = keep - 2; i >= 1; i--) {
        await Deno.rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
      }
      await Deno.rename(path, `${path}.1`);
    }
    this.#file = await Deno.open(path, { append: true, create: true, mode: 0o640 });
    this.#size = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#queue;
    this.#file?.close();
    this.#file = undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
