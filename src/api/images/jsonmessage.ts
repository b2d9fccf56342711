// Docker's JSON message stream (pkg/jsonmessage + streamformatter) as the daemon writes it:
// one object per line ending "\r\n", progress lines with {current,total} and the 50-cell
// bar dockerd renders at its default width of 200, errors as {errorDetail, error}.

import { errorMessage } from "../../lib/errors.ts";
import { goJson } from "../http/json.ts";

export interface JSONMessage {
  status?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  id?: string;
  stream?: string;
  aux?: unknown;
  errorDetail?: { message: string };
  error?: string;
}

const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** Go's `%.4g`: 4 significant digits, trailing zeros dropped. */
function g4(v: number): string {
  if (v === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const fixed = v.toFixed(Math.max(0, 3 - exp));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** go-units HumanSize: "1.982MB", "37.38kB", "107B". */
export function humanSize(size: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${g4(size)}${DECIMAL[i]}`;
}

/** JSONProgress.String() at width 200: "[=====>     ]  1.2MB/3.4MB". */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = `[${"=".repeat(pct)}>${" ".repeat(50 - pct)}] `;
  const cur = humanSize(current).padStart(8);
  return bar + (current > total ? cur : `${cur}/${humanSize(total)}`);
}

/** A per-layer status line ({} progressDetail when there are no counts). */
export function layerMessage(
  id: string,
  status: string,
  current?: number,
  total?: number,
): JSONMessage {
  if (current === undefined) return { status, progressDetail: {}, id };
  const detail = total !== undefined ? { current, total } : { current };
  return { status, progressDetail: detail, progress: progressBar(current, total ?? 0), id };
}

export function errorMessageLine(err: unknown): JSONMessage {
  const message = errorMessage(err);
  return { errorDetail: { message }, error: message };
}

/** The writer side of a progress stream; `send` after close is ignored. */
export interface MessageSink {
  send(m: JSONMessage): void;
  readonly signal: AbortSignal;
}

/**
 * A response body fed by `run`: each message is one "\r\n"-terminated JSON line; an error
 * thrown by `run` becomes the last line. The client going away aborts `signal`.
 */
export function messageStream(
  parent: AbortSignal,
  run: (sink: MessageSink) => Promise<void>,
): ReadableStream<Uint8Array> {
  const abort = new AbortController();
  const onParent = () => abort.abort(parent.reason);
  parent.addEventListener("abort", onParent, { once: true });
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async start(ctl) {
      const sink: MessageSink = {
        signal: abort.signal,
        send(m) {
          if (abort.signal.aborted) return;
          try {
            ctl.enqueue(enc.encode(goJson(m).slice(0, -1) + "\r\n"));
          } catch { /* closed */ }
        },
      };
      try {
        await run(sink);
      } catch (err) {
        sink.send(errorMessageLine(err));
      } finally {
        parent.removeEventListener("abort", onParent);
        try {
          ctl.close();
        } catch { /* already closed */ }
      }
    },
    cancel(reason) {
      abort.abort(reason ?? new Error("client disconnected"));
    },
  });
}
