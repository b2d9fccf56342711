// Helpers shared by the v1 and v2 managers: walking a cgroup's subtree.

import { wrap } from "../../lib/errors.ts";
import { type CgroupFs, isBusy, isNotFound, sleep } from "./fs.ts";

/** The pids in cgroup.procs of `dir` and of every sub-cgroup; [] if `dir` is gone. */
export async function treePids(
  fs: CgroupFs,
  dir: string,
  into = new Set<number>(),
): Promise<Set<number>> {
  let text: string;
  try {
    text = await fs.readFile(`${dir}/cgroup.procs`);
  } catch (err) {
    if (isNotFound(err)) return into;
    throw wrap(err, `cgroups: read ${dir}/cgroup.procs`);
  }
  for (const line of text.split("\n")) if (line.trim()) into.add(Number(line));
  for (const child of await fs.readdir(dir).catch(() => [] as string[])) {
    await treePids(fs, `${dir}/${child}`, into);
  }
  return into;
}

/** rmdir `dir` after its sub-cgroups, deepest first; retries EBUSY for about a second. */
export async function removeTree(fs: CgroupFs, dir: string): Promise<void> {
  let children: string[];
  try {
    children = await fs.readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return;
    throw wrap(err, `cgroups: list ${dir}`);
  }
  for (const child of children) await removeTree(fs, `${dir}/${child}`);
  for (let attempt = 0, delay = 10;; attempt++, delay = Math.min(delay * 2, 200)) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isBusy(err) || attempt >= 8) throw wrap(err, `cgroups: rmdir ${dir}`);
      await sleep(delay);
    }
  }
}

/** Calls `check` until it returns true, up to `timeoutMs`; `retry` runs every 10 tries. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  retry?: () => Promise<void>,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 1;; i++) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    if (retry && i % 10 === 0) await retry();
    await sleep(Math.min(i, 10));
  }
}
