// engine start [-a] / attach / exec: the hijacked-stream verbs.

import type { Invocation } from "../command.ts";
import { StatusError } from "../command.ts";
import { escapePath } from "../client.ts";
import { parseDetachKeys, pumpStreams, watchResize } from "./stream_io.ts";
import { clientFor, forEachTarget } from "./common.ts";

interface ContainerJSON {
  Id: string;
  State?: { Running?: boolean; Paused?: boolean; Restarting?: boolean };
  Config?: { Tty?: boolean; OpenStdin?: boolean };
}

export async function start(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const f = inv.flags;
  if (!f.bool("attach") && !f.bool("interactive")) {
    return await forEachTarget(
      inv.args,
      (id) => client.json("POST", `/containers/${escapePath(id)}/start`),
    );
  }
  if (inv.args.length > 1) {
    throw new Error("you cannot start and attach multiple containers at once");
  }
  const info = await client.json<ContainerJSON>(
    "GET",
    `/containers/${escapePath(inv.args[0])}/json`,
  );
  const path = `/containers/${escapePath(info.Id)}`;
  const tty = info.Config?.Tty ?? false;
  const stdin = f.bool("interactive") && (info.Config?.OpenStdin ?? false);
  const conn = await client.hijack("POST", `${path}/attach`, {
    query: { stream: true, stdin: stdin || undefined, stdout: true, stderr: true },
  });
  const waitRes = await client.request("POST", `${path}/wait`, {
    query: { condition: "next-exit" },
  });
  await client.json("POST", `${path}/start`);
  const resize = tty && Deno.stdout.isTerminal() ? watchResize(client, path) : undefined;
  const detached = await pumpStreams(conn, {
    tty,
    stdin,
    detachKeys: parseDetachKeys(f.string("detach-keys")),
    resize: resize?.initial,
  });
  resize?.stop();
  if (detached) return 0;
  const status = JSON.parse(await waitRes.text()) as { StatusCode: number };
  return status.StatusCode;
}

export async function attach(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const f = inv.flags;
  const info = await client.json<ContainerJSON>(
    "GET",
    `/containers/${escapePath(inv.args[0])}/json`,
  );
  if (!info.State?.Running) {
    throw new Error("You cannot attach to a stopped container, start it first");
  }
  if (info.State?.Paused) {
    throw new Error("You cannot attach to a paused container, unpause it first");
  }
  const path = `/containers/${escapePath(info.Id)}`;
  const tty = info.Config?.Tty ?? false;
  const stdin = !f.bool("no-stdin") && (info.Config?.OpenStdin ?? false);
  // The exit code comes from a wait asked before attaching, as docker's: the stream ends
  // before the daemon has recorded the exit.
  const waitRes = await client.request("POST", `${path}/wait`);
  const conn = await client.hijack("POST", `${path}/attach`, {
    query: {
      stream: true,
      stdin: stdin || undefined,
      stdout: true,
      stderr: true,
      detachKeys: f.string("detach-keys") || undefined,
    },
  });
  const resize = tty && Deno.stdout.isTerminal() ? watchResize(client, path) : undefined;
  const detached = await pumpStreams(conn, {
    tty,
    stdin,
    detachKeys: parseDetachKeys(f.string("detach-keys")),
    resize: resize?.initial,
  });
  resize?.stop();
  if (detached) {
    await waitRes.body?.cancel();
    // docker attach reports the detach as its error (exit 1); run and start -a do not.
    throw new StatusError("read escape sequence", 1);
  }
  const status = JSON.parse(await waitRes.text()) as { StatusCode: number };
  return status.StatusCode;
}

export async function exec(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const f = inv.flags;
  const [container, ...cmd] = inv.args;
  const info = await client.json<ContainerJSON>("GET", `/containers/${escapePath(container)}/json`);
  if (!info.State?.Running) {
    throw new StatusError(`Error response from daemon: container ${info.Id} is not running`, 1);
  }
  const detach = f.bool("detach");
  const tty = f.bool("tty");
  const interactive = f.bool("interactive");
  const env = f.list("env");
  const created = await client.json<{ Id: string }>(
    "POST",
    `/containers/${escapePath(container)}/exec`,
    {
      json: {
        User: f.string("user"),
        Privileged: f.bool("privileged"),
        Tty: tty,
        AttachStdin: interactive && !detach,
        AttachStderr: !detach,
        AttachStdout: !detach,
        Detach: detach,
        DetachKeys: f.string("detach-keys"),
        Env: env.length > 0 ? env : null,
        WorkingDir: f.string("workdir"),
        Cmd: cmd,
      },
    },
  );
  const execPath = `/exec/${escapePath(created.Id)}`;
  if (detach) {
    await client.json("POST", `${execPath}/start`, { json: { Detach: true, Tty: tty } });
    return 0;
  }
  const conn = await client.hijack("POST", `${execPath}/start`, {
    json: { Detach: false, Tty: tty },
  });
  const resize = tty && Deno.stdout.isTerminal() ? watchResize(client, execPath) : undefined;
  const detached = await pumpStreams(conn, {
    tty,
    stdin: interactive,
    detachKeys: parseDetachKeys(f.string("detach-keys")),
    resize: resize?.initial,
  });
  resize?.stop();
  if (detached) return 0;
  const result = await client.json<{ ExitCode: number }>("GET", `${execPath}/json`);
  return result.ExitCode ?? 0;
}
