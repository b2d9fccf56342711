// OCI hooks: each runs with the container's state on stdin and must exit 0 in time. Its
// output is kept for the error, as runc keeps it, and failures read as runc's:
// "error running hook #0: error running hook: exit status 3, stdout: …, stderr: …".
import type { Hook } from "./config.ts";

export async function runHooks(hooks: Hook[] | undefined, state: unknown) {
  for (const [i, hook] of (hooks ?? []).entries()) {
    try {
      await runHook(hook, state);
    } catch (e) {
      throw new Error(`error running hook #${i}: ${(e as Error).message}`);
    }
  }
}

async function runHook(hook: Hook, state: unknown): Promise<void> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(hook.path, {
      args: (hook.args ?? []).slice(1),
      env: Object.fromEntries((hook.env ?? []).map((e) => {
        const i = e.indexOf("=");
        return [e.slice(0, i), e.slice(i + 1)];
      })),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (e as Error).message;
    throw new Error(`fork/exec ${hook.path}: ${why}`);
  }
  let timedOut = false;
  const timer = hook.timeout
    ? setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }, hook.timeout * 1000)
    : undefined;
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(state))).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  clearTimeout(timer);
  if (timedOut) {
    throw new Error(`hook ran past specified timeout of ${hook.timeout!.toFixed(1)}s`);
  }
  if (!out.success) {
    const dec = new TextDecoder();
    const why = out.signal ? `signal: ${out.signal}` : `exit status ${out.code}`;
    throw new Error(
      `error running hook: ${why}, stdout: ${dec.decode(out.stdout)}, stderr: ${
        dec.decode(out.stderr)
      }`,
    );
  }
}
