// Verb name (CommandDef.verb) → its implementation, each module imported only when run.

import type { Invocation } from "../command.ts";

export type Verb = (inv: Invocation) => Promise<number>;

const simple = () => import("./container_simple.ts");
const streams = () => import("./attach.ts");
const img = () => import("./image_verbs.ts");
const sys = () => import("./system_verbs.ts");
const run = () => import("./run.ts");
const vol = () => import("./volume_verbs.ts");
const net = () => import("./network_verbs.ts");

export const VERBS: Record<string, () => Promise<Verb>> = {
  run: async () => (await run()).run,
  create: async () => (await run()).create,
  start: async () => (await streams()).start,
  attach: async () => (await streams()).attach,
  exec: async () => (await streams()).exec,
  stop: async () => (await simple()).stop,
  restart: async () => (await simple()).restart,
  kill: async () => (await simple()).kill,
  rm: async () => (await simple()).rm,
  pause: async () => (await simple()).pause,
  unpause: async () => (await simple()).unpause,
  wait: async () => (await simple()).wait,
  rename: async () => (await simple()).rename,
  port: async () => (await simple()).port,
  diff: async () => (await simple()).diff,
  top: async () => (await simple()).top,
  ps: async () => (await import("./ps.ts")).ps,
  logs: async () => (await import("./logs.ts")).logs,
  inspect: async () => (await import("./inspect.ts")).inspect,
  images: async () => (await import("./images.ts")).images,
  pull: async () => (await import("./pull.ts")).pull,
  build: async () => (await import("./build.ts")).build,
  push: async () => (await img()).push,
  tag: async () => (await img()).tag,
  rmi: async () => (await img()).rmi,
  save: async () => (await img()).save,
  load: async () => (await img()).load,
  import: async () => (await img()).importImage,
  history: async () => (await img()).history,
  image_prune: async () => (await img()).imagePrune,
  commit: async () => (await img()).commit,
  export: async () => (await img()).exportContainer,
  version: async () => (await sys()).version,
  info: async () => (await sys()).info,
  events: async () => (await sys()).events,
  system_prune: async () => (await sys()).systemPrune,
  system_df: async () => (await sys()).systemDf,
  container_prune: async () => (await sys()).containerPrune,
  stats: async () => (await sys()).stats,
  update: async () => (await sys()).update,
  cp: async () => (await sys()).cp,
  login: async () => (await sys()).login,
  logout: async () => (await sys()).logout,
  network_create: async () => (await net()).networkCreate,
  network_ls: async () => (await net()).networkLs,
  network_inspect: async () => (await net()).networkInspect,
  network_rm: async () => (await net()).networkRm,
  network_connect: async () => (await net()).networkConnect,
  network_disconnect: async () => (await net()).networkDisconnect,
  network_prune: async () => (await net()).networkPrune,
  volume_create: async () => (await vol()).volumeCreate,
  volume_ls: async () => (await vol()).volumeLs,
  volume_inspect: async () => (await vol()).volumeInspect,
  volume_rm: async () => (await vol()).volumeRm,
  volume_prune: async () => (await vol()).volumePrune,
  completion: async () => (await import("../completion.ts")).completionVerb,
  __complete: async () => (await import("../completion.ts")).completeVerb,
};
