// Docker's event stream: the daemon publishes {Type, Action, Actor, time, timeNano} (plus the
// legacy status/id/from for containers and images); a bounded history serves ?since, and
// live subscribers get each event as it happens (bounded queues: a slow one is dropped).

export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  timeNano: number;
}

const HISTORY = 1024;
const MAX_QUEUE = 4096;

type Listener = (e: DockerEvent) => void;

export class Events {
  #history: DockerEvent[] = [];
  #listeners = new Set<Listener>();

  publish(type: string, action: string, id: string, attrs: Record<string, string> = {}) {
    const nowMs = Date.now();
    const nano = BigInt(nowMs) * 1_000_000n +
      BigInt(Math.floor(performance.now() * 1000) % 1_000_000);
    const e: DockerEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attrs },
      scope: "local",
      time: Math.floor(nowMs / 1000),
      timeNano: Number(nano),
    };
    if (type === "container" || type === "image") {
      e.status = action;
      e.id = id;
      if (attrs.image && type === "container") e.from = attrs.image;
    }
    const ordered: DockerEvent = e.status !== undefined
      ? { status: e.status, id: e.id, ...(e.from !== undefined ? { from: e.from } : {}), ...e }
      : e;
    this.#history.push(ordered);
    if (this.#history.length > HISTORY) this.#history.shift();
    for (const l of this.#listeners) l(ordered);
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Stored events in [since, until] (unix seconds, fractional allowed). */
  past(since?: number, until?: number): DockerEvent[] {
    return this.#history.filter((e) =>
      (since === undefined || e.timeNano >= since * 1e9) &&
      (until === undefined || e.timeNano <= until * 1e9)
    );
  }

  /** Live events until `signal` aborts. */
  async *live(signal: AbortSignal): AsyncGenerator<DockerEvent> {
    const queue: DockerEvent[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const l: Listener = (e) => {
      if (queue.length >= MAX_QUEUE) overflow = true;
      else queue.push(e);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#listeners.add(l);
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted && !overflow) {
        if (queue.length) {
          yield queue.shift()!;
          continue;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      this.#listeners.delete(l);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
