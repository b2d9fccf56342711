// The build context as the docker CLI prepares it (cli/command/image/build and
// build/context.go): the context directory resolved, the Dockerfile found (-f relative to
// the working directory; "dockerfile" as a fallback), .dockerignore applied while walking
// (archive.TarWithOptions: lexical order, excluded directories skipped unless an exception
// names something under them), the Dockerfile and .dockerignore always sent, entries owned
// by 0:0 with empty user names; a Dockerfile from stdin or outside the context travels as
// ".dockerfile.<random>", named in .dockerignore so the daemon drops it from the context.

import { TypeFlag } from "../../lib/tar/tar_header.ts";
import type { TarInput } from "../../lib/tar/tar_writer.ts";
import { tarStream } from "../../lib/tar/tar_writer.ts";
import {
  goClean,
  keepBuildFiles,
  PatternMatcher,
  readDockerignore,
} from "../../lib/dockerignore.ts";

type Entry = [TarInput, (Uint8Array | AsyncIterable<Uint8Array>)?];

export interface LocalContext {
  /** The context directory, absolute and with symlinks resolved. */
  dir: string;
  /** The Dockerfile's name as sent in the `dockerfile` query parameter. */
  dockerfile: string;
  /** The context as a tar stream. */
  tar(): ReadableStream<Uint8Array>;
}

const prepareError = (msg: string) => new Error(`unable to prepare context: ${msg}`);

function goError(e: unknown, op: string, path: string): string {
  if (e instanceof Deno.errors.NotFound) return `${op} ${path}: no such file or directory`;
  if (e instanceof Deno.errors.PermissionDenied) return `${op} ${path}: permission denied`;
  return `${op} ${path}: ${(e as Error).message}`;
}

function absolute(path: string): string {
  return goClean(path.startsWith("/") ? path : `${Deno.cwd()}/${path}`);
}

/** filepath.Rel for two clean absolute paths. */
function relative(from: string, to: string): string {
  const a = from === "/" ? [] : from.slice(1).split("/");
  const b = to === "/" ? [] : to.slice(1).split("/");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/") || ".";
}

function resolveContextDir(given: string): string {
  try {
    Deno.statSync(given);
  } catch {
    throw prepareError(`path ${JSON.stringify(given)} not found`);
  }
  const abs = absolute(given);
  let real: string;
  try {
    real = Deno.realPathSync(abs);
  } catch (e) {
    throw prepareError(`unable to evaluate symlinks in context path: ${goError(e, "lstat", abs)}`);
  }
  if (!Deno.statSync(real).isDirectory) {
    throw prepareError(`context must be a directory: ${real}`);
  }
  return real;
}

/** getDockerfileRelPath: the Dockerfile relative to the context (may start with ".."). */
function dockerfileRelPath(contextDir: string, given: string): string {
  let abs = given;
  if (abs === "") {
    abs = `${contextDir}/Dockerfile`;
    try {
      Deno.lstatSync(abs);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        try {
          Deno.lstatSync(`${contextDir}/dockerfile`);
          abs = `${contextDir}/dockerfile`;
        } catch { /* keep the default name for the error */ }
      }
    }
  }
  abs = absolute(abs.startsWith("/") ? abs : `${contextDir}/${abs}`);
  try {
    abs = Deno.realPathSync(abs);
  } catch (e) {
    throw prepareError(
      `unable to evaluate symlinks in Dockerfile path: ${goError(e, "lstat", abs)}`,
    );
  }
  return relative(contextDir, abs);
}

/** The hex name the CLI gives a Dockerfile that is not in the context. */
function randomDockerfileName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `.dockerfile.${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function* fileBody(path: string): AsyncGenerator<Uint8Array> {
  using f = await Deno.open(path);
  for await (const chunk of f.readable) yield chunk;
}

/** archive.TarWithOptions over `dir` with the exclude patterns. */
async function* walkContext(
  dir: string,
  pm: PatternMatcher,
  replace: Map<string, Uint8Array>,
): AsyncGenerator<Entry> {
  const seen = new Map<string, string>(); // dev:ino → first name (hardlinks)
  async function* visit(rel: string): AsyncGenerator<Entry> {
    const full = rel === "" ? dir : `${dir}/${rel}`;
    const names: string[] = [];
    for await (const e of Deno.readDir(full)) names.push(e.name);
    names.sort();
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const st = await Deno.lstat(`${dir}/${path}`);
      if (pm.matches(path)) {
        if (st.isDirectory && pm.mustEnter(path)) yield* visit(path);
        continue;
      }
      const common = {
        mode: (st.mode ?? 0) & 0o7777,
        uid: 0,
        gid: 0,
        mtime: Math.floor((st.mtime?.getTime() ?? 0) / 1000),
      };
      const replaced = replace.get(path);
      if (replaced) {
        replace.delete(path);
        yield [{ ...common, name: path, type: TypeFlag.file, size: replaced.length }, replaced];
        continue;
      }
      if (st.isDirectory) {
        yield [{ ...common, name: path, type: TypeFlag.dir }];
        yield* visit(path);
      } else if (st.isSymlink) {
        const linkname = await Deno.readLink(`${dir}/${path}`);
        yield [{ ...common, name: path, type: TypeFlag.symlink, linkname }];
      } else if (st.isFile) {
        const key = `${st.dev}:${st.ino}`;
        const first = (st.nlink ?? 1) > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          yield [{ ...common, name: path, type: TypeFlag.link, linkname: first }];
          continue;
        }
        if ((st.nlink ?? 1) > 1) seen.set(key, path);
        yield [
          { ...common, name: path, type: TypeFlag.file, size: st.size },
          fileBody(`${dir}/${path}`),
        ];
      } else if (st.isFifo) {
        yield [{ ...common, name: path, type: TypeFlag.fifo }];
      }
      // sockets and device nodes are not sent
    }
  }
  yield* visit("");
  for (const [name, data] of replace) {
    const mtime = Math.floor(Date.now() / 1000);
    yield [{ name, type: TypeFlag.file, mode: 0o600, mtime, size: data.length }, data];
  }
}

/**
 * build.ValidateContextDirectory: before anything is sent, every file that will be sent can
 * be opened (fifos and symlinks are not opened; excluded directories are not entered).
 */
async function validateContext(dir: string, pm: PatternMatcher): Promise<void> {
  const fail = (msg: string) => new Error(`error checking context: ${msg}`);
  async function visit(rel: string): Promise<void> {
    const full = rel === "" ? dir : `${dir}/${rel}`;
    let names: string[];
    try {
      names = [];
      for await (const e of Deno.readDir(full)) names.push(e.name);
    } catch (e) {
      if (e instanceof Deno.errors.PermissionDenied) throw fail(`can't stat '${full}'`);
      throw e;
    }
    for (const name of names.sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      if (pm.matches(path)) continue;
      const st = await Deno.lstat(`${dir}/${path}`);
      if (st.isDirectory) await visit(path);
      else if (st.isFile) {
        try {
          (await Deno.open(`${dir}/${path}`)).close();
        } catch (e) {
          if (e instanceof Deno.errors.PermissionDenied) {
            throw fail(`no permission to read from '${dir}/${path}'`);
          }
          throw e;
        }
      }
    }
  }
  await visit("");
}

/**
 * A local directory as the build context. `dockerfileFlag` is -f as given ("" = default,
 * "-" = `stdinDockerfile`, which then holds the text read from stdin).
 */
export async function localContext(
  contextPath: string,
  dockerfileFlag: string,
  stdinDockerfile?: Uint8Array,
): Promise<LocalContext> {
  const dir = resolveContextDir(contextPath);
  let extra: Uint8Array | undefined = stdinDockerfile;
  let dockerfile = "";
  if (dockerfileFlag !== "-") {
    const given = dockerfileFlag === "" ? "" : absolute(dockerfileFlag);
    dockerfile = dockerfileRelPath(dir, given);
    if (dockerfile.startsWith("../")) {
      try {
        extra = await Deno.readFile(`${dir}/${dockerfile}`);
      } catch (e) {
        throw new Error(`unable to open Dockerfile: ${goError(e, "open", dockerfileFlag)}`);
      }
    }
  }
  let ignoreText: string | undefined;
  try {
    ignoreText = await Deno.readTextFile(`${dir}/.dockerignore`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw prepareError(`error reading .dockerignore: ${(e as Error).message}`);
    }
  }
  const excludes = keepBuildFiles(
    readDockerignore(ignoreText ?? ""),
    dockerfile,
    dockerfileFlag === "-",
  );
  const pm = new PatternMatcher(excludes);
  await validateContext(dir, pm);
  const replace = new Map<string, Uint8Array>();
  if (extra) {
    const name = randomDockerfileName();
    const enc = new TextEncoder();
    replace.set(".dockerignore", enc.encode(`${ignoreText ?? ".dockerignore"}\n${name}\n`));
    replace.set(name, extra);
    dockerfile = name;
  }
  return { dir, dockerfile, tar: () => tarStream(walkContext(dir, pm, replace)) };
}

/**
 * A context read from stdin: a tar (plain or compressed) streamed as it is, else the input
 * is a Dockerfile alone (GetContextFromReader looks at the first 512 bytes).
 */
export async function stdinContext(
  input: ReadableStream<Uint8Array>,
  dockerfileFlag: string,
): Promise<{ dockerfile: string; tar: () => ReadableStream<Uint8Array> }> {
  const reader = input.getReader();
  const head: Uint8Array[] = [];
  let len = 0;
  let done = false;
  while (len < 512 && !done) {
    const r = await reader.read();
    if (r.done) done = true;
    else {
      head.push(r.value);
      len += r.value.length;
    }
  }
  const first = new Uint8Array(len);
  head.reduce((off, c) => (first.set(c, off), off + c.length), 0);
  if (isArchive(first)) {
    const tar = () =>
      new ReadableStream<Uint8Array>({
        start: (ctl) => ctl.enqueue(first),
        async pull(ctl) {
          const r = done ? { done: true as const } : await reader.read();
          if (r.done) ctl.close();
          else ctl.enqueue(r.value);
        },
        cancel: (why) => reader.cancel(why),
      });
    return { dockerfile: dockerfileFlag, tar };
  }
  if (dockerfileFlag === "-") throw new Error("build context is not an archive");
  // a Dockerfile: the rest of the input too
  for (let r = done ? null : await reader.read(); r && !r.done; r = await reader.read()) {
    head.push(r.value);
  }
  const dockerfile = new Uint8Array(await new Blob(head as BlobPart[]).arrayBuffer());
  // the CLI writes it to a temporary directory and tars that: 0644, now
  const mtime = Math.floor(Date.now() / 1000);
  const entries: Entry[] = [[
    { name: "Dockerfile", type: TypeFlag.file, mode: 0o644, mtime },
    dockerfile,
  ]];
  return { dockerfile: "Dockerfile", tar: () => tarStream(entries) };
}

/** archive.IsArchive: compressed magic, or a block that parses as a tar header. */
function isArchive(b: Uint8Array): boolean {
  const magic = (m: number[]) => m.every((x, i) => b[i] === x);
  if (magic([0x1f, 0x8b]) || magic([0x42, 0x5a, 0x68]) || magic([0xfd, 0x37, 0x7a, 0x58, 0x5a])) {
    return true;
  }
  if (magic([0x28, 0xb5, 0x2f, 0xfd])) return true;
  if (b.length < 512) return false;
  // a ustar/gnu magic, or a valid header checksum
  const text = new TextDecoder().decode(b.subarray(257, 263));
  if (text.startsWith("ustar")) return true;
  const stored = parseInt(new TextDecoder().decode(b.subarray(148, 156)).replace(/\0.*$/, ""), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return stored === sum;
}
