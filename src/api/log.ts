// The daemon logs through the shared logger (src/lib/log.ts), as containerd does.
export { log, setLogFormat, setLogLevel } from "../lib/log.ts";
