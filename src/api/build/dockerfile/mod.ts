// The Dockerfile language as Docker's classic builder reads it: parseDockerfile gives the
// stages and their typed instructions (words unexpanded); expandInstruction substitutes
// variables at dispatch time in exactly the instructions Docker substitutes.

import { expandWord, expandWords } from "./expand.ts";
import { parseInstruction, type StageHeader } from "./instructions.ts";
import { LineSyntaxError, parseLines } from "./parser.ts";
import {
  type ArgInstruction,
  type Dockerfile,
  DockerfileParseError,
  type Instruction,
  type KeyValue,
  type Stage,
} from "./types.ts";

export * from "./types.ts";
export { ExpandError, expandWord, expandWords } from "./expand.ts";

/**
 * Parses a Dockerfile. Errors are DockerfileParseError worded as dockerd 20.10's:
 * "failed to parse Dockerfile: …" for line syntax, "dockerfile parse error line N: …" for an
 * instruction, "no build stage in current context" for an instruction before FROM.
 * `name` is the Dockerfile's name in the context (the `dockerfile` query parameter).
 */
export function parseDockerfile(text: string, name = "Dockerfile"): Dockerfile {
  if (text === "") throw new DockerfileParseError(`the Dockerfile (${name}) cannot be empty`, 0);
  let parsed;
  try {
    parsed = parseLines(text);
  } catch (e) {
    if (e instanceof LineSyntaxError) {
      throw new DockerfileParseError(`failed to parse ${name}: ${e.message}`, e.line);
    }
    throw e;
  }
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const node of parsed.nodes) {
    let parsedNode: StageHeader | Instruction;
    try {
      parsedNode = parseInstruction(node);
    } catch (e) {
      throw new DockerfileParseError(
        `dockerfile parse error line ${node.startLine}: ${(e as Error).message}`,
        node.startLine,
      );
    }
    if (!("kind" in parsedNode)) {
      stages.push({ ...parsedNode, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(parsedNode);
    } else if (parsedNode.kind === "arg") {
      metaArgs.push(parsedNode);
    } else {
      throw new DockerfileParseError("no build stage in current context", node.startLine);
    }
  }
  return {
    escapeChar: parsed.escapeChar,
    ...(parsed.syntax !== undefined ? { syntax: parsed.syntax } : {}),
    metaArgs,
    stages,
    warnings: parsed.warnings,
  };
}

/**
 * The instruction with its words substituted from `env`, as the classic builder does before
 * dispatching: ENV and LABEL keys and values, ARG names and defaults, COPY/ADD sources,
 * destination and --chown, WORKDIR, USER, VOLUME, STOPSIGNAL, and EXPOSE (each port spec
 * may become several). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD and MAINTAINER are
 * returned unchanged (the shell, or a later build, expands those).
 * Throws ExpandError ("failed to process \"…\": …") on a bad substitution.
 */
export function expandInstruction<T extends Instruction>(
  instr: T,
  env: Record<string, string>,
  escapeChar: string,
): T {
  const w = (word: string) => expandWord(word, env, escapeChar);
  const kv = (p: KeyValue): KeyValue => ({ key: w(p.key), value: w(p.value) });
  const i = instr as Instruction;
  switch (i.kind) {
    case "env":
    case "label":
      return { ...i, pairs: i.pairs.map(kv) } as T;
    case "arg":
      return {
        ...i,
        args: i.args.map((a) => (a.value === undefined ? { key: w(a.key) } : kv(a as KeyValue))),
      } as T;
    case "copy":
    case "add":
      return {
        ...i,
        sources: i.sources.map(w),
        dest: w(i.dest),
        ...(i.chown !== undefined ? { chown: w(i.chown) } : {}),
      } as T;
    case "workdir":
      return { ...i, path: w(i.path) } as T;
    case "user":
      return { ...i, user: w(i.user) } as T;
    case "volume":
      return { ...i, volumes: i.volumes.map(w) } as T;
    case "stopsignal":
      return { ...i, signal: w(i.signal) } as T;
    case "expose":
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, env, escapeChar)) } as T;
    default:
      return instr;
  }
}
