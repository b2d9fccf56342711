// The build context as the builder sees it (BuildContext): the request's tar (plain or
// gzip) spooled, every entry checked (no absolute names, no "..": a context naming a path
// outside itself is refused), extracted into a private directory removed at the end; the
// Dockerfile read inside it; COPY/ADD sources with Go's filepath.Match wildcards; the
// classic builder's source hash ("file:", "dir:", "multi:" + sha256 of names, modes, sizes
// and contents).

import { createHash } from "node:crypto";
import { decompress } from "../../containerd/archive/compression.ts";
import { invalidArgument, wrap } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { checkArchive, extract } from "../../lib/archive/extract.ts";
import type { Daemon } from "../daemon.ts";
import type { BuildContext } from "./builder.ts";

export type OpenContext = BuildContext & AsyncDisposable;

/** 64 GiB of context: far above a sane one, a cap on a hostile client. */
const MAX_CONTEXT = 64 * 2 ** 30;

const WILDCARD = /[*?[]/;

function cleanRel(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

/** Go's filepath.Match for one path element pattern → RegExp. */
function elementRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw invalidArgument(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^")) cls = "^" + cls.slice(1);
      re += `[${cls.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function matchGlob(root: string, pattern: string): Promise<string[]> {
  const parts = cleanRel(pattern).split("/");
  let found = [""];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!WILDCARD.test(part)) {
        next.push(base ? `${base}/${part}` : part);
        continue;
      }
      const re = elementRegex(part);
      try {
        for await (const e of Deno.readDir(`${root}/${base}`)) {
          if (re.test(e.name)) next.push(base ? `${base}/${e.name}` : e.name);
        }
      } catch { /* not a directory */ }
    }
    found = next.sort();
  }
  const out: string[] = [];
  for (const f of found) {
    if (await Deno.lstat(`${root}/${f}`).then(() => true, () => false)) out.push(f);
  }
  return out;
}

async function hashTree(h: ReturnType<typeof createHash>, root: string, rel: string) {
  const st = await Deno.lstat(`${root}/${rel}`);
  h.update(`${rel}\0${st.mode}\0${st.size}\0`);
  if (st.isSymlink) h.update(await Deno.readLink(`${root}/${rel}`));
  else if (st.isFile) {
    using f = await Deno.open(`${root}/${rel}`);
    for await (const c of f.readable) h.update(c);
  } else if (st.isDirectory) {
    const names: string[] = [];
    for await (const e of Deno.readDir(`${root}/${rel}`)) names.push(e.name);
    for (const n of names.sort()) await hashTree(h, root, rel ? `${rel}/${n}` : n);
  }
  return st;
}

export async function openBuildContext(
  d: Daemon,
  body: ReadableStream<Uint8Array>,
  dockerfileName: string,
  signal: AbortSignal,
): Promise<OpenContext> {
  const base = `${d.opts.execRoot}/build`;
  await Deno.mkdir(base, { recursive: true, mode: 0o700 });
  const dir = await Deno.makeTempDir({ dir: base, prefix: "ctx-" });
  const spool = `${dir}.tar`;
  const cleanup = async () => {
    await Deno.remove(spool).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    {
      using f = await Deno.open(spool, { write: true, createNew: true, mode: 0o600 });
      for await (const chunk of decompress(body, { maxBytes: MAX_CONTEXT })) {
        if (signal.aborted) throw signal.reason ?? new Error("build cancelled");
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    }
    await checkArchive(spool).catch((e) => {
      throw wrap(e, "build context");
    });
    {
      using root = fs.openAt(fs.AT_FDCWD, dir, fs.O_PATH | fs.O_DIRECTORY);
      await extract(root, spool, { noOverwriteDirNonDir: false });
    }
    await Deno.remove(spool);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    dir,
    async dockerfile() {
      const name = cleanRel(dockerfileName);
      let fd: fs.Fd;
      try {
        fd = fs.openInRoot(fs.openAt(fs.AT_FDCWD, dir, fs.O_PATH | fs.O_DIRECTORY).fd, name, {
          flags: fs.O_RDONLY,
        });
      } catch {
        throw invalidArgument(`Cannot locate specified Dockerfile: ${dockerfileName}`);
      }
      try {
        return await Deno.readTextFile(`/proc/self/fd/${fd.fd}`);
      } finally {
        fd.close();
      }
    },
    async expandSources(sources, instruction) {
      const out: string[] = [];
      for (const s of sources) {
        if (!WILDCARD.test(s)) {
          out.push(cleanRel(s));
          continue;
        }
        const hits = await matchGlob(dir, s);
        if (!hits.length) {
          throw invalidArgument(`${instruction} failed: no source files were specified`);
        }
        out.push(...hits);
      }
      return out;
    },
    async checksum(paths) {
      const h = createHash("sha256");
      let kind = "multi";
      for (const p of paths) {
        const st = await hashTree(h, dir, p).catch(() => undefined);
        if (paths.length === 1) kind = st?.isDirectory ? "dir" : "file";
      }
      return `${kind}:${h.digest("hex")}`;
    },
    [Symbol.asyncDispose]: cleanup,
  };
}
