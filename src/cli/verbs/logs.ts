// engine logs: inspect (for Config.Tty), then GET /containers/{id}/logs, demultiplexed
// unless the container has a TTY.

import type { Invocation } from "../command.ts";
import { escapePath } from "../client.ts";
import { demultiplex, STDERR } from "../stdcopy.ts";
import { clientFor } from "./common.ts";

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

export async function logs(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const f = inv.flags;
  const info = await client.json<{ Id: string; Config?: { Tty?: boolean } }>(
    "GET",
    `/containers/${escapePath(inv.args[0])}/json`,
  );
  const res = await client.request("GET", `/containers/${escapePath(info.Id)}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      since: f.string("since") || undefined,
      until: f.string("until") || undefined,
      timestamps: f.bool("timestamps") || undefined,
      follow: f.bool("follow") || undefined,
      tail: f.string("tail"),
      details: f.bool("details") || undefined,
    },
  });
  if (!res.body) return 0;
  if (info.Config?.Tty) {
    for await (const chunk of res.body) await writeAll(Deno.stdout, chunk);
  } else {
    for await (const frame of demultiplex(res.body)) {
      await writeAll(frame.stream === STDERR ? Deno.stderr : Deno.stdout, frame.data);
    }
  }
  return 0;
}
