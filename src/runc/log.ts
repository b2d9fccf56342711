// runc's logging: logrus lines (text or JSON) to the --log file, or to stderr without one.
// Errors also go to stderr as plain text when a log file is set, as runc's fatal() does.

let logPath: string | undefined;
let logFormat = "text";

export function configureLog(path: string | undefined, format: string): void {
  logPath = path;
  logFormat = format;
}

function line(level: string, msg: string): string {
  const time = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return logFormat === "json"
    ? JSON.stringify({ level, msg, time }) + "\n"
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function emit(level: string, msg: string): void {
  if (logPath) {
    try {
      Deno.writeTextFileSync(logPath, line(level, msg), { append: true, create: true });
    } catch { /* the log is best effort */ }
  } else {
    Deno.stderr.writeSync(new TextEncoder().encode(line(level, msg)));
  }
}

export function logError(msg: string): void {
  emit("error", msg);
  if (logPath) console.error(msg);
}

/** Never on the container's stdio: a runtime's stderr may be the container's. */
export function logWarning(msg: string): void {
  emit("warning", msg);
}
