// `engine runc`: runc's command line. Parses flags, calls one library function per verb,
// and reports errors as runc does (a logrus line on stderr, or the --log file). Imports
// stay lean: this is on every container start.
import {
  appUsage,
  checkArgs,
  incorrectUsage,
  parse,
  parseGlobal,
  usage,
  UsageError,
  type VerbName,
  VERBS,
} from "./args.ts";
import { ENGINE_VERSION, OCI_SPEC_VERSION } from "../lib/version.ts";
import { DEFAULT_ROOT } from "./state.ts";
import { configureLog, logError } from "./log.ts";
import { trace } from "./trace.ts";

const VERSION_TEXT = `${ENGINE_VERSION}\nspec: ${OCI_SPEC_VERSION}`;

/** An absolute, lexically clean path (as Go's filepath.Abs). */
function abs(p: string): string {
  const parts: string[] = [];
  for (const part of (p.startsWith("/") ? p : `${Deno.cwd()}/${p}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The default --root: $XDG_RUNTIME_DIR/engine/runc for a rootless user (runc: …/runc), when set. */
function defaultRoot(rootless: boolean): string {
  const xdg = Deno.env.get("XDG_RUNTIME_DIR");
  return rootless && xdg && Deno.uid() !== 0 ? `${xdg}/engine/runc` : DEFAULT_ROOT;
}

/** For in-process callers (the shim): the stdio fds the container's process gets. */
export interface InProcessOptions {
  stdio?: [number, number, number];
}

async function dispatch(
  verb: VerbName,
  argv: string[],
  root: string,
  rootless: boolean,
  io: InProcessOptions,
): Promise<number> {
  const spec = VERBS[verb];
  const hidden = verb === "update" ? (await import("./update.ts")).takeHiddenFlags(argv) : null;
  const p = parse(spec, hidden ? hidden.argv : argv);
  if (p.help) {
    console.log(usage(spec));
    return 0;
  }
  checkArgs(spec, p.args);
  // deno-lint-ignore no-explicit-any
  const f = p.flags as Record<string, any>;
  const id = p.args[0];
  switch (verb) {
    case "spec": {
      const { writeSpec } = await import("./spec.ts");
      await writeSpec({ bundle: f.bundle || undefined, rootless: f.rootless });
      return 0;
    }
    case "create": {
      const { create } = await import("./create.ts");
      const { sync } = await create({
        stdio: io.stdio,
        root,
        id,
        bundle: abs(f.bundle || "."),
        pidFile: f["pid-file"] || undefined,
        consoleSocket: f["console-socket"] || undefined,
        noPivot: f["no-pivot"],
        noNewKeyring: f["no-new-keyring"],
        preserveFds: f["preserve-fds"],
        detached: true,
        rootless,
      });
      sync.close();
      return 0;
    }
    case "run": {
      const { run } = await import("./run.ts");
      return await run({
        root,
        id,
        bundle: abs(f.bundle || "."),
        pidFile: f["pid-file"] || undefined,
        consoleSocket: f["console-socket"] || undefined,
        noPivot: f["no-pivot"],
        noNewKeyring: f["no-new-keyring"],
        preserveFds: f["preserve-fds"],
        detached: f.detach,
        rootless,
      }, f.keep);
    }
    case "start":
      await (await import("./start.ts")).start(root, id);
      return 0;
    case "state":
      Deno.stdout.writeSync(
        new TextEncoder().encode(await (await import("./list.ts")).stateJson(root, id)),
      );
      return 0;
    case "list":
      Deno.stdout.writeSync(
        new TextEncoder().encode(await (await import("./list.ts")).list(root, f.format, f.quiet)),
      );
      return 0;
    case "kill": {
      const { parseSignal } = await import("./signals.ts");
      await (await import("./kill.ts")).kill(root, id, parseSignal(p.args[1] ?? "SIGTERM"), f.all);
      return 0;
    }
    case "delete":
      await (await import("./delete.ts")).deleteContainer(root, id, f.force);
      return 0;
    case "pause":
      await (await import("./pause.ts")).pause(root, id);
      return 0;
    case "resume":
      await (await import("./pause.ts")).resume(root, id);
      return 0;
    case "ps":
      Deno.stdout.writeSync(
        new TextEncoder().encode(
          await (await import("./ps.ts")).ps(root, id, f.format, p.args.slice(1)),
        ),
      );
      return 0;
    case "exec": {
      const { exec } = await import("./exec.ts");
      return await exec({
        stdio: io.stdio,
        root,
        id,
        processFile: f.process || undefined,
        args: p.args.slice(1),
        tty: f.tty,
        cwd: f.cwd || undefined,
        env: f.env,
        user: f.user || undefined,
        additionalGids: f["additional-gids"],
        caps: f.cap,
        noNewPrivs: f["no-new-privs"],
        detach: f.detach,
        pidFile: f["pid-file"] || undefined,
        consoleSocket: f["console-socket"] || undefined,
        preserveFds: f["preserve-fds"],
        ignorePaused: f["ignore-paused"],
        cgroups: f.cgroup,
        apparmor: f.apparmor || undefined,
        processLabel: f["process-label"] || undefined,
      });
    }
    case "update":
      await (await import("./update.ts")).update(root, id, {
        ...hidden?.hidden,
        resources: f.resources || undefined,
        blkioWeight: f["blkio-weight"],
        cpuPeriod: f["cpu-period"],
        cpuQuota: f["cpu-quota"],
        cpuShare: f["cpu-share"],
        cpuRtPeriod: f["cpu-rt-period"],
        cpuRtRuntime: f["cpu-rt-runtime"],
        cpusetCpus: f["cpuset-cpus"],
        cpusetMems: f["cpuset-mems"],
        memory: f.memory,
        memoryReservation: f["memory-reservation"],
        memorySwap: f["memory-swap"],
        pidsLimit: f["pids-limit"],
      });
      return 0;
    case "events":
      await (await import("./events.ts")).events(root, id, {
        stats: f.stats,
        intervalMs: f.interval,
      });
      return 0;
    case "features":
      // runc's layout: four-space indents.
      console.log(JSON.stringify((await import("./features.ts")).features(), null, 4));
      return 0;
    default:
      throw new Error(`runc ${verb} is not supported by this runtime yet`);
  }
}

export async function main(argv: string[], io: InProcessOptions = {}): Promise<number> {
  trace("runc main");

  try {
    const g = parseGlobal(argv);
    configureLog(g.flags.log || undefined, g.flags["log-format"]);
    if (g.version) {
      console.log(`runc version ${ENGINE_VERSION}\nspec: ${OCI_SPEC_VERSION}`);
      return 0;
    }
    if (g.help || !g.verb || g.verb === "help" || g.verb === "h") {
      const topic = g.verb === "help" || g.verb === "h" ? g.rest[0] : undefined;
      console.log(topic ? usage(topic) : appUsage(VERSION_TEXT));
      return 0;
    }
    if (!(g.verb in VERBS)) {
      logError(`No help topic for '${g.verb}'`);
      return 3;
    }
    // runc's --rootless: "auto" (the default) means "when not root"
    const rootless = g.flags.rootless === "true" ||
      (g.flags.rootless !== "false" && Deno.uid() !== 0);
    // The help shows runc's default (/run/runc, byte for byte); without --root ours is
    // /run/engine/runc (DESIGN.md: runtime state under /run/engine), so a real runc's state
    // is never mixed with ours; an unprivileged user's is under $XDG_RUNTIME_DIR, as runc's.
    const root = abs(g.set.has("root") ? g.flags.root : defaultRoot(rootless));
    try {
      return await dispatch(g.verb as VerbName, g.rest, root, rootless, io);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // runc's wording and exit codes: "runc create failed: …", "exec failed: …" (255).
      const msg = e instanceof Error ? e.message : String(e);
      if (g.verb === "create" || g.verb === "run") {
        logError(`runc ${g.verb} failed: ${msg}`);
        return 1;
      }
      if (g.verb === "exec") {
        logError(`exec failed: ${msg}`);
        return 255;
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.log(incorrectUsage(e, VERSION_TEXT));
      logError(e.message);
      return 1;
    }
    logError(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
