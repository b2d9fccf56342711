// Layer archives: tar reading/writing, decompression, and layer application.

export { applyLayer, type ApplyOptions, type ApplyResult } from "./apply.ts";
export {
  type Compression,
  decompress,
  type DecompressOptions,
  detectCompression,
  InflateWorkers,
} from "../../lib/tar/compression.ts";
export { entryComponents } from "../../lib/tar/entry_path.ts";
export { Limits, type TarHeader, TypeFlag } from "../../lib/tar/tar_header.ts";
export { readTar, type TarEntry } from "../../lib/tar/tar_reader.ts";
export { type Sink, type TarInput, tarStream, TarWriter } from "../../lib/tar/tar_writer.ts";
