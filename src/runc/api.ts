// The runtime as a library: what `engine runc`'s verbs do, callable in-process (the shim
// runs the built-in runtime this way, without a process per command).
export { create, type CreateOptions } from "./create.ts";
export { start } from "./start.ts";
export { kill } from "./kill.ts";
export { deleteContainer } from "./delete.ts";
export { exec, type ExecOptions } from "./exec.ts";
export { pause, resume } from "./pause.ts";
export { pidsOf } from "./ps.ts";
export { events } from "./events.ts";
export { update } from "./update.ts";
export { oomKillsOf } from "./ps.ts";
