// One dispatcher per instruction, as moby's builder/dockerfile/dispatchers.go: metadata
// steps change the run config and commit a "#(nop) …" step; WORKDIR also creates its
// directory; RUN runs its command in a container; COPY/ADD copy into one (copy.ts).

import { createHash } from "node:crypto";
import { invalidArgument } from "../../lib/errors.ts";
import * as fs from "../../sys/fs.ts";
import { acquireRootfs } from "../archive/rootfs.ts";
import type { Container } from "../containers/store.ts";
import { parseSignal } from "../containers/signals.ts";
import type { Daemon } from "../daemon.ts";
import type { BuildArgs } from "./state.ts";
import { setEnv, type StageState } from "./state.ts";
import { goDuration, goQuoteRune } from "./gofmt.ts";
import { type CopySource, copySources, mkdirAllInRoot, resolveChown } from "./copy.ts";
import type {
  AddInstruction,
  CommandLine,
  CopyInstruction,
  Instruction,
} from "./dockerfile/mod.ts";
import { fetchUrl, isUrl } from "./remote.ts";
import { type RunConfig, runStepContainer } from "./step_container.ts";
import type { BuildContext, BuildOutput } from "./builder.ts";

export interface StepRunner {
  readonly d: Daemon;
  readonly ctx: BuildContext;
  readonly out: BuildOutput;
  readonly args: BuildArgs;
  readonly signal: AbortSignal;
  probe(st: StageState, containerConfig: RunConfig): Promise<boolean>;
  container(st: StageState, config: RunConfig, visible?: boolean): Promise<Container>;
  commit(st: StageState, c: Container, containerConfig: RunConfig): Promise<void>;
  commitNop(st: StageState, comment: string): Promise<void>;
  stageByName(name: string): StageState | undefined;
  image(
    ref: string,
    platform: string | undefined,
    pull: boolean,
  ): Promise<{ id: string; record: string; config: RunConfig }>;
}

const shell = (st: StageState) => st.config.Shell?.length ? st.config.Shell : ["/bin/sh", "-c"];

/** Go's %q of a []string: ["a" "b"]. */
const goQuoteList = (l: string[]) => `[${l.map((s) => JSON.stringify(s)).join(" ")}]`;

function commandOf(st: StageState, c: CommandLine): string[] {
  return c.prependShell ? [...shell(st), ...c.args] : [...c.args];
}

/** nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "8000-8002/tcp". */
function exposedPorts(specs: string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
    if (!m) throw invalidArgument(`Invalid containerPort: ${spec}`);
    const proto = (m[3] ?? "tcp").toLowerCase();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535 || hi < lo) throw invalidArgument(`Invalid port range: ${spec}`);
    for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

/** moby normalizeWorkdir: relative paths join the current one. */
function normalizeWorkdir(current: string, requested: string): string {
  if (!requested) throw invalidArgument("cannot normalize nothing");
  const joined = requested.startsWith("/") ? requested : `/${current}/${requested}`;
  const parts: string[] = [];
  for (const p of joined.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

/** %q of a *HealthConfig, as the classic builder's comment prints it. */
function healthString(h: RunConfig["Healthcheck"]): string {
  const dur = (ns = 0) => JSON.stringify(goDuration(ns));
  return `&{${goQuoteList(h?.Test ?? [])} ${dur(h?.Interval)} ${dur(h?.Timeout)} ` +
    `${dur(h?.StartPeriod)} ${goQuoteRune(h?.Retries ?? 0)}}`;
}

export function dispatch(b: StepRunner, st: StageState, i: Instruction): Promise<void> {
  const cfg = st.config;
  switch (i.kind) {
    case "env": {
      let env = cfg.Env ?? [];
      for (const p of i.pairs) env = setEnv(env, p.key, p.value);
      cfg.Env = env;
      return b.commitNop(st, "ENV " + i.pairs.map((p) => `${p.key}=${p.value}`).join(" "));
    }
    case "label": {
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const p of i.pairs) cfg.Labels[p.key] = p.value;
      return b.commitNop(st, "LABEL " + i.pairs.map((p) => `${p.key}=${p.value}`).join(" "));
    }
    case "maintainer":
      st.maintainer = i.maintainer;
      return b.commitNop(st, "MAINTAINER " + i.maintainer);
    case "cmd": {
      cfg.Cmd = commandOf(st, i);
      cfg.ArgsEscaped = undefined;
      if (i.args.length) st.cmdSet = true;
      return b.commitNop(st, `CMD ${goQuoteList(cfg.Cmd)}`);
    }
    case "entrypoint": {
      cfg.Entrypoint = commandOf(st, i);
      if (!st.cmdSet) cfg.Cmd = null;
      return b.commitNop(st, `ENTRYPOINT ${goQuoteList(cfg.Entrypoint)}`);
    }
    case "expose": {
      cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of exposedPorts(i.ports)) cfg.ExposedPorts[p] = {};
      return b.commitNop(st, "EXPOSE " + i.ports.join(" "));
    }
    case "volume": {
      cfg.Volumes = { ...(cfg.Volumes ?? {}) };
      for (const v of i.volumes) {
        if (!v.trim()) throw invalidArgument("VOLUME specified can not be an empty string");
        cfg.Volumes[v] = {};
      }
      return b.commitNop(st, `VOLUME [${i.volumes.join(" ")}]`);
    }
    case "user":
      cfg.User = i.user;
      return b.commitNop(st, "USER " + i.user);
    case "stopsignal":
      parseSignal(i.signal);
      cfg.StopSignal = i.signal;
      return b.commitNop(st, "STOPSIGNAL " + i.signal);
    case "healthcheck": {
      const old = cfg.Healthcheck?.Test;
      if (old?.length && old[0] !== "NONE") {
        b.out.stream(`Note: overriding previous HEALTHCHECK: [${old.join(" ")}]\n`);
      }
      // Zero durations and retries are left out (omitempty), as Docker's JSON.
      const { Test, ...rest } = i.health;
      cfg.Healthcheck = {
        Test,
        ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== 0)),
      };
      return b.commitNop(st, `HEALTHCHECK ${healthString(cfg.Healthcheck)}`);
    }
    case "shell":
      cfg.Shell = i.shell;
      return b.commitNop(st, `SHELL [${i.shell.join(" ")}]`);
    case "onbuild":
      cfg.OnBuild = [...(cfg.OnBuild ?? []), i.expression];
      return b.commitNop(st, "ONBUILD " + i.expression);
    case "arg": {
      for (const a of i.args) b.args.declare(st, a.key, a.value);
      return b.commitNop(
        st,
        "ARG " + i.args.map((a) => a.value === undefined ? a.key : `${a.key}=${a.value}`)
          .join(" "),
      );
    }
    case "workdir":
      return workdir(b, st, i.path);
    case "run":
      return run(b, st, i);
    case "copy":
    case "add":
      return copy(b, st, i);
  }
}

async function workdir(b: StepRunner, st: StageState, path: string) {
  const dir = normalizeWorkdir(st.config.WorkingDir ?? "", path);
  st.config.WorkingDir = dir;
  const cc: RunConfig = {
    ...structuredClone(st.config),
    Cmd: [...shell(st), `#(nop) WORKDIR ${dir}`],
  };
  if (await b.probe(st, cc)) return;
  const c = await b.container(st, cc);
  const root = await acquireRootfs(b.d, c, true);
  try {
    mkdirAllInRoot(root.fd, dir, { uid: 0, gid: 0 });
  } finally {
    await root.release();
  }
  await b.commit(st, c, cc);
}

async function run(b: StepRunner, st: StageState, i: CommandLine) {
  const cmd = commandOf(st, i);
  const env = st.config.Env ?? [];
  const allowed = b.args.allowed(st, env);
  const recorded = b.args.recorded(st, allowed);
  const saveCmd = recorded.length ? [`|${recorded.length}`, ...recorded, ...cmd] : cmd;
  const probeConfig: RunConfig = { ...structuredClone(st.config), Cmd: saveCmd };
  if (await b.probe(st, probeConfig)) return;
  const runConfig: RunConfig = {
    ...structuredClone(st.config),
    Cmd: cmd,
    Env: [...env, ...allowed],
    Entrypoint: [""],
    Healthcheck: { Test: ["NONE"] },
  };
  const c = await b.container(st, runConfig);
  const code = await runStepContainer(b.d, c, (text) => b.out.stream(text), b.signal);
  if (code !== 0) {
    throw new RunFailed(
      `The command '${cmd.join(" ")}' returned a non-zero code: ${code}`,
      code,
    );
  }
  await b.commit(st, c, probeConfig);
}

/** A RUN's non-zero exit: Docker's JSONError carries the code (the CLI exits with it). */
export class RunFailed extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "RunFailed";
  }
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function copy(b: StepRunner, st: StageState, i: CopyInstruction | AddInstruction) {
  const name = i.kind === "copy" ? "COPY" : "ADD";
  const from = i.kind === "copy" ? i.from : undefined;
  const chmod = i.chmod === undefined ? undefined : parseInt(i.chmod, 8);
  if (i.chmod !== undefined && (!/^[0-7]{1,4}$/.test(i.chmod) || Number.isNaN(chmod))) {
    throw invalidArgument(`invalid chmod parameter: ${i.chmod}`);
  }
  let dest = i.dest;
  if (!dest.startsWith("/")) {
    const wd = st.config.WorkingDir || "/";
    dest = `${wd.replace(/\/+$/, "")}/${dest}`;
  }
  if (dest.endsWith("/.") || dest === ".") dest = dest.slice(0, -1);

  // The sources: a stage or image's rootfs, URLs (ADD), or the context.
  let srcImage: { record: string; id: string } | undefined;
  if (from !== undefined) {
    const stage = b.stageByName(from);
    srcImage = stage
      ? { record: stage.record, id: stage.imageId }
      : await b.image(from, undefined, false);
  }
  const urls = i.sources.filter(isUrl);
  if (urls.length && (i.kind === "copy")) {
    throw invalidArgument(`${name} failed: source can't be a URL for COPY`);
  }
  const local = i.sources.filter((s) => !isUrl(s));
  const paths = srcImage || !local.length ? local : await b.ctx.expandSources(local, name);
  const count = paths.length + urls.length;
  if (count > 1 && !i.dest.endsWith("/")) {
    throw invalidArgument(
      `When using ${name} with more than one source file, the destination must be a ` +
        `directory and end with a /`,
    );
  }
  const downloads = await Promise.all(urls.map((u) => fetchUrl(u, b.d.opts.execRoot)));
  try {
    let hash: string;
    if (srcImage) {
      hash = `${paths.length > 1 ? "multi" : "from"}:${sha(`${srcImage.id}\0${paths.join("\0")}`)}`;
    } else if (urls.length) {
      const sums = [
        ...downloads.map((d) => d.sha256),
        paths.length ? await b.ctx.checksum(paths) : "",
      ];
      hash = `${count > 1 ? "multi" : "file"}:${sha(sums.join("\0"))}`;
    } else hash = await b.ctx.checksum(paths);
    const chownComment = i.chown ? `--chown=${i.chown}` : "";
    const cc: RunConfig = {
      ...structuredClone(st.config),
      Cmd: [...shell(st), `#(nop) ${name} ${chownComment}${hash} in ${i.dest} `],
    };
    if (await b.probe(st, cc)) return;

    const c = await b.container(st, cc, false);
    const srcContainer = srcImage
      ? await b.container(
        { ...st, imageId: srcImage.id, record: srcImage.record },
        { Cmd: ["true"] } as RunConfig,
        false,
      )
      : undefined;
    const root = await acquireRootfs(b.d, c, true);
    const srcRoot = srcContainer ? await acquireRootfs(b.d, srcContainer, false) : undefined;
    using ctxFd = fs.openAt(fs.AT_FDCWD, b.ctx.dir, fs.O_PATH | fs.O_DIRECTORY);
    try {
      const identity = i.chown ? resolveChown(i.chown, root.fd) : { uid: 0, gid: 0 };
      const spoolDir = `${b.d.opts.execRoot}/build`;
      await Deno.mkdir(spoolDir, { recursive: true, mode: 0o700 });
      const sources: CopySource[] = paths.map((p) => ({
        root: srcRoot ? srcRoot.fd : ctxFd,
        path: p,
        display: p,
      }));
      const opts = { identity, chowned: !!i.chown, chmod, spoolDir };
      await copySources(root.fd, sources, dest, { ...opts, decompress: i.kind === "add" });
      for (const dl of downloads) {
        using dir = fs.openAt(fs.AT_FDCWD, dl.dir, fs.O_PATH | fs.O_DIRECTORY);
        await copySources(root.fd, [{ root: dir, path: dl.name, display: dl.url }], dest, {
          ...opts,
          decompress: false,
        });
      }
    } catch (e) {
      throw invalidArgument(`${name} failed: ${(e as Error).message}`);
    } finally {
      await root.release();
      await srcRoot?.release();
    }
    await b.commit(st, c, cc);
  } finally {
    for (const dl of downloads) await Deno.remove(dl.dir, { recursive: true }).catch(() => {});
  }
}
