// POST /build's work: the context unpacked (context.ts), the classic builder run over it
// (builder.ts), its text streamed as Docker's JSON messages, then the result: aux {ID},
// "Successfully built <id>", one "Successfully tagged <name>" per tag. q=1 holds the
// builder's text back (shown only before an error) and sends only the image id. A failed
// RUN's error carries its exit code (errorDetail.code), as Docker's JSONError.

import { errorMessage } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import type { Ctx } from "../http/router.ts";
import { type JSONMessage, messageStream } from "../images/jsonmessage.ts";
import { Builder, type BuildOptions, type BuildOutput, planBuild } from "./builder.ts";
import { buildCacheOf } from "./cache.ts";
import { openBuildContext } from "./context_source.ts";
import { RunFailed } from "./dispatch.ts";

export interface BuildRequest extends BuildOptions {
  quiet: boolean;
}

function errorLine(e: unknown): JSONMessage {
  const message = errorMessage(e);
  const detail = e instanceof RunFailed ? { code: e.code, message } : { message };
  return { errorDetail: detail as { message: string }, error: message };
}

export async function buildImage(
  d: Daemon,
  req: BuildRequest,
  ctx: Ctx,
): Promise<ReadableStream<Uint8Array>> {
  // Failures before the first message are the request's HTTP error, as dockerd's.
  const context = await openBuildContext(
    d,
    ctx.stream(Number.MAX_SAFE_INTEGER),
    req.dockerfile,
    ctx.signal,
  );
  let plan;
  try {
    plan = await planBuild(context, req);
  } catch (e) {
    await context[Symbol.asyncDispose]();
    throw e;
  }
  return messageStream(ctx.signal, async (sink) => {
    const held: JSONMessage[] = [];
    const send = (m: JSONMessage) => req.quiet ? held.push(m) : sink.send(m);
    const out: BuildOutput = { stream: (text) => send({ stream: text }), message: send };
    try {
      await using _context = context;
      const b = new Builder(d, buildCacheOf(d), context, req, out, sink.signal);
      const { id, record } = await b.run(plan);
      if (!req.quiet) sink.send({ aux: { ID: id } });
      b.warnUnusedArgs();
      out.stream(`Successfully built ${id.replace(/^sha256:/, "").slice(0, 12)}\n`);
      await b.tag(id, record);
      if (req.quiet) sink.send({ stream: `${id}\n` });
    } catch (e) {
      for (const m of held) sink.send(m);
      sink.send(errorLine(e));
    }
  });
}
