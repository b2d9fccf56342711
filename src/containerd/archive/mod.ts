// Layer archives: tar reading/writing, decompression, and layer application.

export { applyLayer, type ApplyOptions, type ApplyResult } from "./apply.ts";
export {
  type Compression,
  decompress,
  type DecompressOptions,
  detectCompression,
} from "./compression.ts";
export { entryComponents } from "./entry_path.ts";
export { Limits, type TarHeader, TypeFlag } from "./tar_header.ts";
export { readTar, type TarEntry } from "./tar_reader.ts";
export { type Sink, type TarInput, tarStream, TarWriter } from "./tar_writer.ts";
