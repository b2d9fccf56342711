// `runc run`: create + start; in the foreground our exit code is the container's, our
// signals go to it, and the container is deleted when it exits.
import { logWarning } from "./log.ts";
import { close, kill as sysKill, wait } from "../sys/libc.ts";
import { attachConsole, forwardSignals, ownConsole } from "./console.ts";
import { create, type CreateOptions, readBundle } from "./create.ts";
import { destroy } from "./delete.ts";
import { SIGNAL_NUMBERS } from "./signals.ts";
import { releaseFifo } from "./start.ts";
import { SyncType } from "../sys/sync.ts";
import { runHooks } from "./hooks.ts";
import { hookState } from "./state.ts";
import { trace } from "./trace.ts";

export async function run(o: Omit<CreateOptions, "consoleFd">, keep: boolean): Promise<number> {
  trace("run: start");
  const loaded = readBundle(o.bundle);
  const { spec } = loaded;
  const tty = spec.process?.terminal && !o.detached && !o.consoleSocket ? ownConsole() : undefined;
  trace("run: bundle read");
  const { state, sync } = await create({ ...o, consoleFd: tty?.childFd, loaded });
  if (tty) close(tty.childFd);
  try {
    trace("run: created");
    await releaseFifo(o.root, o.id);
    trace("run: fifo released");
    // After the fifo the child drops privileges and execs: EOF means exec succeeded.
    const late = await sync.next();
    if (late?.type === SyncType.Error) throw sync.error(late);
  } catch (e) {
    sync.close();
    await destroy(o.root, state).catch(() => {});
    throw e;
  }
  trace("run: exec done");
  sync.close();
  await runHooks(spec.hooks?.poststart, hookState(state, "running")).catch((e) =>
    logWarning(`${(e as Error).message}`)
  );
  if (o.detached) return 0;

  const unforward = forwardSignals((sig) => sysKill(state.pid, SIGNAL_NUMBERS[sig]));
  const io = tty ? attachConsole(await tty.master) : undefined;
  const code = await wait(state.pid);
  trace("run: exited");
  unforward();
  if (io) {
    await Promise.race([io.done, new Promise((r) => setTimeout(r, 200))]);
    io.stop();
  }
  if (!keep) await destroy(o.root, state, { initReaped: true });
  trace("run: destroyed");
  return code;
}
