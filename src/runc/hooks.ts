// OCI hooks: each runs with the container's state on stdin and must exit 0 in time.
import type { Hook } from "./config.ts";

export async function runHooks(kind: string, hooks: Hook[] | undefined, state: unknown) {
  for (const hook of hooks ?? []) {
    const cmd = new Deno.Command(hook.path, {
      args: (hook.args ?? []).slice(1),
      env: Object.fromEntries((hook.env ?? []).map((e) => {
        const i = e.indexOf("=");
        return [e.slice(0, i), e.slice(i + 1)];
      })),
      clearEnv: true,
      stdin: "piped",
      stdout: "inherit",
      stderr: "piped",
    });
    const child = cmd.spawn();
    const timer = hook.timeout
      ? setTimeout(() => {
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
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim();
      const why = out.signal ? `killed by ${out.signal}` : `exit status ${out.code}`;
      throw new Error(
        `error running ${kind} hook ${hook.path}: ${why}${err ? ", stderr: " + err : ""}`,
      );
    }
  }
}
