// engine run / create: create (pulling on "No such image"), then for run: attach → wait →
// start → stream → exit with the container's status, the docker CLI's exact sequence.

import type { Invocation } from "../command.ts";
import { ApiError, type EngineClient, escapePath } from "../client.ts";
import { StatusError } from "../command.ts";
import { createBody } from "./container_config.ts";
import { pullImage } from "./pull.ts";
import { registryAuthHeader } from "./registry_auth.ts";
import { parseNormalizedNamed } from "../../lib/reference.ts";
import { parseDetachKeys, pumpStreams, watchResize } from "./stream_io.ts";
import { clientFor, write, writeErr } from "./common.ts";

async function createContainer(client: EngineClient, inv: Invocation, detach: boolean) {
  const { body, query, image } = createBody(inv.flags, inv.args, { detach });
  const pullMode = inv.flags.string("pull");
  if (pullMode === "always") {
    await pullImage(client, image, {
      toStderr: true,
      platform: query.platform,
      auth: await registryAuthHeader(inv, parseNormalizedNamed(image)),
    });
  }
  try {
    return await client.json<{ Id: string; Warnings?: string[] }>("POST", "/containers/create", {
      query,
      json: body,
    });
  } catch (e) {
    if (
      !(e instanceof ApiError && e.status === 404 && pullMode !== "never" &&
        /No such image/i.test(e.daemonMessage))
    ) {
      throw e;
    }
    writeErr(`Unable to find image '${image}' locally\n`);
    await pullImage(client, image, {
      toStderr: true,
      platform: query.platform,
      quiet: inv.flags.bool("quiet"),
      auth: await registryAuthHeader(inv, parseNormalizedNamed(image)),
    });
    return await client.json<{ Id: string; Warnings?: string[] }>("POST", "/containers/create", {
      query,
      json: body,
    });
  }
}

export async function create(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const res = await createContainer(client, inv, false);
  for (const w of res.Warnings ?? []) writeErr(`WARNING: ${w}\n`);
  write(`${res.Id}\n`);
  return 0;
}

/** The exit status docker gives a failed start (126 not executable, 127 not found). */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied/.test(message)) return 126;
  return 125;
}

export async function run(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const detach = f.bool("detach");
  if (detach && f.bool("rm") === false && f.isSet("attach")) {
    throw new Error("conflicting options: cannot specify both --attach and --detach");
  }
  using client = clientFor(inv);
  const res = await createContainer(client, inv, detach);
  for (const w of res.Warnings ?? []) writeErr(`WARNING: ${w}\n`);
  const id = res.Id;
  const path = `/containers/${escapePath(id)}`;
  const tty = f.bool("tty");
  const interactive = f.bool("interactive");
  const body = createBody(f, inv.args, { detach }).body;
  const attaching = body.AttachStdin || body.AttachStdout || body.AttachStderr;
  const conn = attaching
    ? await client.hijack("POST", `${path}/attach`, {
      query: {
        stream: true,
        stdin: body.AttachStdin || undefined,
        stdout: body.AttachStdout || undefined,
        stderr: body.AttachStderr || undefined,
      },
    })
    : undefined;
  const waitRes = await client.request("POST", `${path}/wait`, {
    query: { condition: f.bool("rm") ? "removed" : "next-exit" },
  });
  try {
    await client.json("POST", `${path}/start`);
  } catch (e) {
    conn?.close();
    await waitRes.body?.cancel();
    const message = e instanceof Error ? e.message : String(e);
    throw new StatusError(`${message}`, startFailureStatus(message));
  }
  if (detach) {
    await waitRes.body?.cancel();
    write(`${id}\n`);
    return 0;
  }
  const resize = tty && Deno.stdout.isTerminal() ? watchResize(client, path) : undefined;
  let detached = false;
  if (conn) {
    detached = await pumpStreams(conn, {
      tty,
      stdin: interactive,
      detachKeys: parseDetachKeys(f.string("detach-keys")),
      resize: resize?.initial,
    });
  }
  resize?.stop();
  if (detached) {
    await waitRes.body?.cancel();
    return 0;
  }
  const status = JSON.parse(await waitRes.text()) as {
    StatusCode: number;
    Error?: { Message: string } | null;
  };
  if (status.Error?.Message) throw new StatusError(status.Error.Message, 125);
  return status.StatusCode;
}
