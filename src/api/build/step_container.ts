// A build step's container, made with the daemon's own machinery: created from the current
// image (createContainer), for RUN started with its output attached before it runs, and
// committed as the step's image (containerd's commit: the upper dir as a layer, no layer
// when nothing changed). Removal is the builder's (rm/forcerm).

import { errorMessage, notFound } from "../../lib/errors.ts";
import { createContainer } from "../containers/create.ts";
import { removeLocked, start } from "../containers/lifecycle.ts";
import type { Container } from "../containers/store.ts";
import { type Config, configSchema, hostConfigSchema } from "../containers/types.ts";
import type { Daemon } from "../daemon.ts";

/** Docker's container.Config as the classic builder carries it between steps. */
export type RunConfig = Config & { Shell?: string[] | null; ArgsEscaped?: boolean };

export async function createStepContainer(
  d: Daemon,
  imageRecord: string,
  config: RunConfig,
  networkMode = "",
): Promise<Container> {
  const host = hostConfigSchema.parse({ NetworkMode: networkMode });
  const cfg = configSchema.parse({ ...config, Image: imageRecord });
  const { Id } = await createContainer(d, undefined, cfg, host);
  const c = d.store.find(Id);
  if (!c) throw notFound(`build: container ${Id} vanished`);
  return c;
}

/** Splits Docker's multiplexed frames (8-byte header, then the payload). */
class Demux {
  #buf = new Uint8Array(0);

  push(chunk: Uint8Array, out: (payload: Uint8Array) => void): void {
    const all = new Uint8Array(this.#buf.length + chunk.length);
    all.set(this.#buf);
    all.set(chunk, this.#buf.length);
    let off = 0;
    while (all.length - off >= 8) {
      const len = new DataView(all.buffer, all.byteOffset + off + 4, 4).getUint32(0);
      if (all.length - off - 8 < len) break;
      out(all.subarray(off + 8, off + 8 + len));
      off += 8 + len;
    }
    this.#buf = all.slice(off);
  }
}

/**
 * Starts `c` with stdout and stderr attached before its process runs, hands each write to
 * `output`, and returns its exit code once it exited and its output is drained.
 */
export async function runStepContainer(
  d: Daemon,
  c: Container,
  output: (text: string) => void,
  signal: AbortSignal,
): Promise<number> {
  const id = c.rec.ID;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  let pumped: Promise<void> = Promise.resolve();
  const offHook = d.onTaskCreated(id, async () => {
    const stream = await d.containerd.tasks.attach(
      id,
      { stdout: true, stderr: true },
      undefined,
      ac.signal,
    );
    pumped = (async () => {
      const demux = new Demux();
      const dec = new TextDecoder();
      try {
        for await (const chunk of stream) {
          demux.push(chunk, (p) => {
            const text = dec.decode(p, { stream: true });
            if (text) output(text);
          });
        }
      } catch { /* the build was cancelled */ }
    })();
  });
  let offExit: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    offExit = d.onSignal(id, (s) => {
      if (s === "exit" || s === "removed") resolve();
    });
  });
  try {
    if (signal.aborted) throw signal.reason ?? new Error("build cancelled");
    await start(d, c);
    const stop = () => d.containerd.tasks.kill(id, 9, { all: true }).catch(() => {});
    signal.addEventListener("abort", stop, { once: true });
    try {
      await exited;
    } finally {
      signal.removeEventListener("abort", stop);
    }
    await pumped;
    if (signal.aborted) throw signal.reason ?? new Error("build cancelled");
    return c.rec.State.ExitCode;
  } finally {
    offHook();
    offExit();
    ac.abort();
    signal.removeEventListener("abort", onAbort);
  }
}

export interface StepCommit {
  /** The new image's config (the builder's run config). */
  config: RunConfig;
  /** The step's container_config (Cmd = the command or "#(nop) …"): the cache key. */
  containerConfig: RunConfig;
  author?: string;
}

/** Commits the container's changes; the new image's id and record name. */
export async function commitStepContainer(d: Daemon, c: Container, step: StepCommit) {
  const result = await d.containerd.images.commit({
    container: c.rec.ID,
    config: step.config as Record<string, unknown>,
    containerConfig: step.containerConfig as Record<string, unknown>,
    createdBy: (step.containerConfig.Cmd ?? []).join(" "),
    author: step.author || undefined,
  });
  const img = result.images[0];
  return { id: img.id, record: img.name };
}

/** Removes a step container and its anonymous volumes; false when that failed. */
export async function removeStepContainer(d: Daemon, c: Container): Promise<string | undefined> {
  try {
    await d.lock.run(c.rec.ID, () => removeLocked(d, c, true));
    return undefined;
  } catch (e) {
    return errorMessage(e);
  }
}
