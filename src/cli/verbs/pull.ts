// engine pull, and the implicit pull of run/create: POST /images/create with progress.

import type { Invocation } from "../command.ts";
import type { EngineClient } from "../client.ts";
import { familiarString, parseNormalizedNamed } from "../../lib/reference.ts";
import { displayJSONMessages, type JSONMessage } from "../progress.ts";
import { registryAuthHeader } from "./registry_auth.ts";
import { clientFor, stdoutIsTerminal, terminalWidth, write, writeErr } from "./common.ts";

/** base64 of `{}`: what docker sends when no credentials are stored. */
export const EMPTY_AUTH = "e30=";

export async function pullImage(
  client: EngineClient,
  image: string,
  opts: {
    platform?: string;
    all?: boolean;
    toStderr?: boolean;
    quiet?: boolean;
    /** X-Registry-Auth (default: none stored, `e30=`). */
    auth?: string;
  },
): Promise<void> {
  const ref = parseNormalizedNamed(image);
  const fromImage = familiarString({ ...ref, tag: undefined, digest: undefined });
  const tag = opts.all ? undefined : ref.digest ?? ref.tag ?? "latest";
  const messages = client.stream<JSONMessage>("POST", "/images/create", {
    query: { fromImage, tag, platform: opts.platform || undefined },
    headers: { "X-Registry-Auth": opts.auth ?? EMPTY_AUTH },
  });
  const isTerminal = opts.toStderr ? Deno.stderr.isTerminal() : stdoutIsTerminal();
  const sink = opts.quiet ? () => {} : opts.toStderr ? writeErr : write;
  await displayJSONMessages(messages, sink, { isTerminal, width: terminalWidth() });
}

export async function pull(inv: Invocation): Promise<number> {
  using client = clientFor(inv);
  const image = inv.args[0];
  const ref = parseNormalizedNamed(image);
  const all = inv.flags.bool("all-tags");
  if (all && (ref.tag || ref.digest)) throw new Error("tag can't be used with --all-tags/-a");
  await pullImage(client, image, {
    platform: inv.flags.string("platform"),
    all,
    quiet: inv.flags.bool("quiet"),
    auth: await registryAuthHeader(inv, ref),
  });
  if (!all) {
    write(`${familiarString(ref.tag || ref.digest ? ref : { ...ref, tag: "latest" })}\n`);
  }
  return 0;
}
