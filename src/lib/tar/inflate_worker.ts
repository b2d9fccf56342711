// The source of the Worker that decompresses a layer (and hashes what comes out) off the
// main thread, so that decompression overlaps extraction as a separate gzip process does
// for tar. It is a string run from a blob: URL, not a module file, because the layers run
// from one-file bundles and a compiled binary where a sibling module has no URL.
//
// Protocol (main → worker): {t:"start", kind}, {t:"in", chunk} (transferred), {t:"end"},
// {t:"ack", n} (n output bytes consumed). Worker → main: {t:"took"} once an input chunk
// was consumed, {t:"data", chunk} (transferred), {t:"end", digest}, {t:"error", message}.
// Output past HIGH unacknowledged bytes pauses the decompressor, which then stops taking
// input: both sides stay bounded, and a refused layer stops reading its source early.
// Output comes in 1 MiB chunks, four in flight: each message costs both threads more than
// the bytes do (128 KiB chunks: the minbase layers' unpack took ~0.15 s more CPU).

export const INFLATE_WORKER_SOURCE = `
import zlib from "node:zlib";
import { createHash } from "node:crypto";
const HIGH = 4 << 20;
let z, hash, unacked = 0;
self.onmessage = ({ data: m }) => {
  switch (m.t) {
    case "start":
      z = m.kind === "gzip"
        ? zlib.createGunzip({ chunkSize: 1 << 20 })
        : zlib.createZstdDecompress({ chunkSize: 1 << 20 });
      hash = createHash("sha256");
      z.on("data", (b) => {
        hash.update(b);
        const chunk = new Uint8Array(b.length);
        chunk.set(b);
        unacked += chunk.length;
        self.postMessage({ t: "data", chunk }, [chunk.buffer]);
        if (unacked > HIGH) z.pause();
      });
      z.on("end", () => self.postMessage({ t: "end", digest: "sha256:" + hash.digest("hex") }));
      z.on("error", (e) => self.postMessage({ t: "error", message: String(e?.message ?? e) }));
      break;
    case "in":
      z.write(m.chunk, () => self.postMessage({ t: "took" }));
      break;
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
