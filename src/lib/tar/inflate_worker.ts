// The source of the Worker that decompresses a layer (and hashes what comes out) off the
// main thread, so that decompression overlaps extraction as a separate gzip process does
// for tar. It is a string run from a blob: URL, not a module file, because the layers run
// from one-file bundles and a compiled binary where a sibling module has no URL.
//
// Protocol (main → worker): {t:"start", kind, seq}, {t:"in", chunk} (transferred), {t:"end"},
// {t:"ack", n} (n output bytes consumed). Worker → main, each with the stream's seq:
// {t:"took"} once an input chunk was consumed, {t:"data", chunk} (transferred),
// {t:"end", digest}, {t:"error", message}. After an "end", a worker may be sent another
// "start" (InflateWorkers): the seq tells a late message of the last stream apart.
// Output past HIGH unacknowledged bytes pauses the decompressor, which then stops taking
// input: both sides stay bounded, and a refused layer stops reading its source early.
// Output comes in 1 MiB chunks, four in flight: each message costs both threads more than
// the bytes do (128 KiB chunks: the minbase layers' unpack took ~0.15 s more CPU).

export const INFLATE_WORKER_SOURCE = `
import zlib from "node:zlib";
import { createHash } from "node:crypto";
const HIGH = 4 << 20;
let z, seq, unacked = 0;
self.onmessage = ({ data: m }) => {
  switch (m.t) {
    case "start": {
      const s = seq = m.seq;
      const d = z = m.kind === "gzip"
        ? zlib.createGunzip({ chunkSize: 1 << 20 })
        : zlib.createZstdDecompress({ chunkSize: 1 << 20 });
      const hash = createHash("sha256");
      unacked = 0;
      d.on("data", (b) => {
        hash.update(b);
        const chunk = new Uint8Array(b.length);
        chunk.set(b);
        unacked += chunk.length;
        self.postMessage({ t: "data", seq: s, chunk }, [chunk.buffer]);
        if (unacked > HIGH) d.pause();
      });
      d.on("end", () => {
        self.postMessage({ t: "end", seq: s, digest: "sha256:" + hash.digest("hex") });
      });
      d.on("error", (e) => {
        self.postMessage({ t: "error", seq: s, message: String(e?.message ?? e) });
      });
      break;
    }
    case "in": {
      const s = seq;
      z.write(m.chunk, () => self.postMessage({ t: "took", seq: s }));
      break;
    }
    case "end":
      z.end();
      break;
    case "ack":
      unacked -= m.n;
      if (unacked <= HIGH / 2) z.resume();
      break;
  }
};
`;
