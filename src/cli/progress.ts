// Docker's JSON message stream on the terminal (pkg/jsonmessage): on a TTY one line per
// layer id, redrawn in place with cursor movement and a 50-cell bar; without a TTY one plain
// line per status, progress updates suppressed; an errorDetail ends the stream with an error.

import { formatDuration, humanSize } from "./units.ts";

export interface JSONProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

export interface JSONMessage {
  stream?: string;
  status?: string;
  progressDetail?: JSONProgress;
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

/** The stream carried an error (exit status 1). */
export class StreamError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

export interface ProgressOptions {
  isTerminal: boolean;
  /** Terminal width (the bar is drawn only above 110 columns); 200 when unknown, as docker. */
  width?: number;
  now?: () => number;
}

const ESC = "\x1b[";
const clearLine = `${ESC}2K`;
const cursorUp = (n: number) => (n > 0 ? `${ESC}${n}A` : "");
const cursorDown = (n: number) => (n > 0 ? `${ESC}${n}B` : "");

/** JSONProgress.String(): "[=====>      ]  1.2MB/3.4MB 5s". */
export function progressString(p: JSONProgress, width = 200, now = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) {
    return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = "";
  if (width > 110) {
    bar = `[${"=".repeat(percentage)}>${" ".repeat(Math.max(0, 50 - percentage))}] `;
  }
  let numbers = "";
  if (!p.hidecounts) {
    if (!p.units) {
      const cur = humanSize(current).padStart(8);
      numbers = current > total ? cur : `${cur}/${humanSize(total)}`;
    } else {
      numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
    }
  }
  let timeLeft = "";
  if (current > 0 && p.start && p.start > 0 && percentage < 50) {
    const fromStartNs = (now - p.start * 1000) * 1e6;
    const perEntry = Math.trunc(fromStartNs / current);
    const left = Math.trunc(((total - current) * perEntry) / 1e9) * 1e9;
    if (width > 50) timeLeft = " " + formatDuration(left);
  }
  return bar + numbers + timeLeft;
}

function rfc3339NanoFixed(ns: number): string {
  const ms = Math.floor(ns / 1e6);
  const iso = new Date(ms).toISOString().slice(0, 19);
  const frac = String(Math.round(ns % 1e9)).padStart(9, "0");
  return `${iso}.${frac}Z`;
}

/** Renders messages one at a time into text, keeping docker's per-id line bookkeeping. */
export class ProgressRenderer {
  #ids = new Map<string, number>();
  constructor(readonly write: (text: string) => void, readonly opts: ProgressOptions) {}

  /** Display one message; throws StreamError for errorDetail/error. aux is returned. */
  handle(jm: JSONMessage): unknown {
    if (jm.aux !== undefined) return jm.aux;
    const tty = this.opts.isTerminal;
    const hasProgress = jm.progressDetail !== undefined && jm.progressDetail !== null;
    let diff = 0;
    if (jm.id && (hasProgress || jm.progress)) {
      let line = this.#ids.get(jm.id);
      if (line === undefined) {
        line = this.#ids.size;
        this.#ids.set(jm.id, line);
        if (tty) this.write("\n");
      }
      diff = this.#ids.size - line;
      if (tty) this.write(cursorUp(diff));
    } else {
      this.#ids.clear();
    }
    try {
      this.#display(jm, tty, hasProgress);
    } finally {
      if (jm.id && tty) this.write(cursorDown(diff));
    }
    return undefined;
  }

  #display(jm: JSONMessage, tty: boolean, hasProgress: boolean): void {
    if (jm.errorDetail || jm.error) {
      throw new StreamError(jm.errorDetail?.message ?? jm.error ?? "", jm.errorDetail?.code);
    }
    const bar = hasProgress
      ? progressString(jm.progressDetail!, this.opts.width ?? 200, this.opts.now?.() ?? Date.now())
      : "";
    let endl = "";
    if (tty && !jm.stream && hasProgress) {
      endl = "\r";
      this.write(clearLine + endl);
    } else if (hasProgress && bar !== "") {
      return; // no progress bars without a terminal
    }
    let out = "";
    if (jm.timeNano) out += `${rfc3339NanoFixed(jm.timeNano)} `;
    else if (jm.time) out += `${rfc3339NanoFixed(jm.time * 1e9)} `;
    if (jm.id) out += `${jm.id}: `;
    if (jm.from) out += `(from ${jm.from}) `;
    if (hasProgress && tty) out += `${jm.status ?? ""} ${bar}${endl}`;
    else if (jm.progress) out += `${jm.status ?? ""} ${jm.progress}${endl}`;
    else if (jm.stream) out += `${jm.stream}${endl}`;
    else out += `${jm.status ?? ""}${endl}\n`;
    this.write(out);
  }
}

/** DisplayJSONMessagesStream: render a whole stream; aux messages go to `onAux`. */
export async function displayJSONMessages(
  messages: AsyncIterable<JSONMessage>,
  write: (text: string) => void,
  opts: ProgressOptions,
  onAux?: (aux: unknown) => void,
): Promise<void> {
  const renderer = new ProgressRenderer(write, opts);
  for await (const jm of messages) {
    const aux = renderer.handle(jm);
    if (aux !== undefined) onAux?.(aux);
  }
}
