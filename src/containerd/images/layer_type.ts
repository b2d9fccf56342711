// The media type of a layer file whose compression is only known from its first bytes.

import { detectCompression } from "../archive/mod.ts";
import { MediaType } from "../content/oci.ts";

/** Uncompressed Docker schema2 layers (containerd's importer uses this type too). */
export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

export async function detectLayerType(file: string, flavor: "docker" | "oci"): Promise<string> {
  const head = new Uint8Array(4);
  using f = await Deno.open(file, { read: true });
  let n = 0;
  while (n < head.length) {
    const r = await f.read(head.subarray(n));
    if (r === null) break;
    n += r;
  }
  const kind = detectCompression(head.subarray(0, n));
  if (kind === "zstd") return MediaType.ociLayerZstd;
  if (flavor === "oci") return kind === "gzip" ? MediaType.ociLayerGzip : MediaType.ociLayer;
  return kind === "gzip" ? MediaType.dockerLayerGzip : DOCKER_LAYER_TAR;
}
