// The daemon's log lines, logfmt like dockerd's: level=info msg="…".
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let threshold: Level = "info";

export function setLogLevel(level: string): void {
  if (level === "warning") level = "warn";
  if (level in ORDER) threshold = level as Level;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(String(v))}`)
    .join("");
  console.error(
    `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}${extra}`,
  );
}
