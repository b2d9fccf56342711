// The build context as the builder sees it (BuildContext), from context.ts: the request's
// tar unpacked into a private directory under <exec-root>/build (removed at the end), the
// Dockerfile read from it (then dropped from it when .dockerignore names it), COPY/ADD
// sources expanded and checksummed there.

import type { Daemon } from "../daemon.ts";
import type { BuildContext } from "./builder.ts";
import {
  checksumSources,
  expandSources,
  readDockerfile,
  removeIgnoredBuildFiles,
  unpackContext,
} from "./context.ts";

export type OpenContext = BuildContext & AsyncDisposable;

export async function openBuildContext(
  d: Daemon,
  body: ReadableStream<Uint8Array>,
  dockerfileName: string,
  signal: AbortSignal,
): Promise<OpenContext> {
  const ctx = await unpackContext(body, `${d.opts.execRoot}/build`, { signal });
  return {
    dir: ctx.dir,
    async dockerfile() {
      const { name, text } = await readDockerfile(ctx.dir, dockerfileName);
      await removeIgnoredBuildFiles(ctx.dir, name);
      return text;
    },
    expandSources: (sources, instruction) => expandSources(ctx.dir, sources, instruction),
    checksum: (sources) => checksumSources(ctx.dir, sources),
    [Symbol.asyncDispose]: () => ctx.cleanup(),
  };
}
