// Privileged tests declare what they need. A missing requirement skips the test with its
// reason locally, and fails the run under CI=true, except for those this host can never
// meet (passed as `never: true`), which skip with their reason everywhere.

const inCI = Deno.env.get("CI") === "true";

export interface Requirement {
  ok: boolean;
  reason: string;
  /** This host can never meet it (cgroup v2 controllers, …): skip even under CI. */
  never?: boolean;
}

export const isRoot = () => Deno.uid() === 0;

export function root(): Requirement {
  return { ok: isRoot(), reason: "needs root" };
}

export function command(path: string): Requirement {
  try {
    Deno.statSync(path);
    return { ok: true, reason: "" };
  } catch {
    return { ok: false, reason: `needs ${path} (run scripts/setup)` };
  }
}

/**
 * `ignore` value for Deno.test: true when a requirement is missing. Outside CI the test
 * is skipped; under CI a missing requirement throws, so the run fails loudly.
 */
export function missing(...reqs: Requirement[]): boolean {
  for (const r of reqs) {
    if (r.ok) continue;
    if (inCI && !r.never) throw new Error(`CI requirement missing: ${r.reason}`);
    console.warn(`skip: ${r.reason}`);
    return true;
  }
  return false;
}
