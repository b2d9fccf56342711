// Snapshots: an overlayfs snapshotter, chain ids, and layer-chain unpacking.

export { chainID, chainIDs, checkDiffID } from "./chain.ts";
export { compactOverlay, mountData, PAGE_SIZE } from "./mounts.ts";
export { OverlaySnapshotter } from "./overlay.ts";
export type { Info, Kind, Mount, SnapshotOptions, Usage } from "./types.ts";
export { type LayerSource, UNPACK_LABEL, type UnpackedLayer, unpackLayers } from "./unpack.ts";
