// Docker's stdcopy framing for non-TTY attach, exec and logs streams:
//   byte 0 stream (0 stdin, 1 stdout, 2 stderr), bytes 1-3 zero, bytes 4-7 size (uint32 BE).

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

export interface Frame {
  stream: number;
  data: Uint8Array;
}

/** Incremental demultiplexer: feed it socket reads, get whole frames back. */
export class Demuxer {
  #buf = new Uint8Array(0);

  push(chunk: Uint8Array): Frame[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    const frames: Frame[] = [];
    let off = 0;
    while (merged.length - off >= 8) {
      const stream = merged[off];
      if (stream > STDERR) throw new Error(`Unrecognized input header: ${stream}`);
      const size = new DataView(merged.buffer, merged.byteOffset + off + 4, 4).getUint32(0);
      if (merged.length - off - 8 < size) break;
      frames.push({ stream, data: merged.slice(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.#buf = merged.slice(off);
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** Demultiplex a whole stream into frames. */
export async function* demultiplex(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const demuxer = new Demuxer();
  for await (const chunk of stream) yield* demuxer.push(chunk);
}

/** Encode one frame (tests, and the daemon side if it wants it). */
export function encodeFrame(stream: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
}

/** Copy a multiplexed stream to two writers (stdcopy.StdCopy). */
export async function stdCopy(
  stream: AsyncIterable<Uint8Array>,
  stdout: WritableStreamDefaultWriter<Uint8Array> | { write(p: Uint8Array): Promise<unknown> },
  stderr: WritableStreamDefaultWriter<Uint8Array> | { write(p: Uint8Array): Promise<unknown> },
): Promise<void> {
  for await (const frame of demultiplex(stream)) {
    await (frame.stream === STDERR ? stderr : stdout).write(frame.data);
  }
}
