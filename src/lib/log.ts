// The log lines of the daemon and containerd, on stderr: logfmt like dockerd's
// (time="…" level=info msg="…" key="value"), or one JSON object a line with --log-format
// json (logrus's JSONFormatter: level, msg, time and the fields).
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** dockerd's other levels, mapped onto ours. */
const ALIASES: Record<string, Level> = {
  trace: "debug",
  warning: "warn",
  fatal: "error",
  panic: "error",
};
let threshold: Level = "info";
let json = false;

export function setLogLevel(level: string): void {
  level = ALIASES[level.toLowerCase()] ?? level.toLowerCase();
  if (level in ORDER) threshold = level as Level;
}

export function setLogFormat(format: "text" | "json"): void {
  json = format === "json";
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const time = new Date().toISOString();
  if (json) {
    const extra = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
    console.error(JSON.stringify({ level, msg, time, ...extra }));
    return;
  }
  const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(String(v))}`)
    .join("");
  console.error(`time="${time}" level=${level} msg=${JSON.stringify(msg)}${extra}`);
}
