// The cgroup manager's public surface for `engine runc`.

export {
  type CgroupManager,
  type FreezerState,
  killAll,
  type LinuxResources,
  openCgroupManager,
  type OpenOptions,
  type Stats,
} from "./manager.ts";
export { sharesToWeight } from "./resources.ts";
export { DEFAULT_ALLOWED_DEVICES, type DeviceRule, deviceWrites, ruleString } from "./devices.ts";
export { type CgroupFs, denoFs } from "./fs.ts";
export { NoCgroupManager } from "./none.ts";
export { type CgroupLayout, expandSlice, parseMountinfo, resolveCgroupsPath } from "./layout.ts";
