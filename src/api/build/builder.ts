// Docker's classic builder (moby builder/dockerfile) over our own engine: the Dockerfile's
// stages up to --target, each instruction printed as "Step N/M : …" and dispatched
// (dispatch.ts) on the stage's state; every step's image comes from a container of ours
// (step_container.ts), or from the cache (cache.ts) while it keeps hitting. Intermediate
// containers go after each successful step (rm) or always (forcerm); intermediate images
// stay, untagged, as the cache. The final image gets --label's labels, then every tag.

import {
  familiarString,
  parseNormalizedNamed,
  referenceString,
  withTag,
} from "../../lib/reference.ts";
import { invalidArgument, notFound, wrap } from "../../lib/errors.ts";
import type { Daemon } from "../daemon.ts";
import { progressMessage } from "../images/create.ts";
import type { JSONMessage } from "../images/jsonmessage.ts";
import { allImages, findIn, isDangling, primaryName } from "../images/lookup.ts";
import type { BuildCache } from "./cache.ts";
import { dispatch, type StepRunner } from "./dispatch.ts";
import {
  type Dockerfile,
  DockerfileParseError,
  expandInstruction,
  expandWord,
  type Instruction,
  parseDockerfile,
  type Stage,
} from "./dockerfile/mod.ts";
import { type ScratchImage, scratchImage } from "./scratch.ts";
import { BuildArgs, DEFAULT_PATH, type StageState } from "./state.ts";
import {
  commitStepContainer,
  createStepContainer,
  removeStepContainer,
  type RunConfig,
  type StepCommit,
} from "./step_container.ts";
import type { Container } from "../containers/store.ts";

export interface BuildOptions {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  noCache: boolean;
  rm: boolean;
  forceRm: boolean;
  pull: boolean;
  labels: Record<string, string>;
  target?: string;
  platform?: string;
  /** RUN containers' HostConfig.NetworkMode ("": the daemon's default). */
  networkMode: string;
}

/** What the builder needs of the context (B1's context.ts behind it). */
export interface BuildContext {
  /** The context directory (private, already checked). */
  dir: string;
  /** The Dockerfile's text (the `dockerfile` path inside the context). */
  dockerfile(): Promise<string>;
  /** COPY/ADD sources with wildcards expanded, relative to the context. */
  expandSources(sources: string[], instruction: string): Promise<string[]>;
  /** The classic builder's source hash: "file:…", "dir:…" or "multi:…". */
  checksum(sources: string[]): Promise<string>;
}

export interface BuildOutput {
  /** Builder text (`{"stream": …}`). */
  stream(text: string): void;
  /** Other messages (pull progress). */
  message(m: JSONMessage): void;
}

/** The Dockerfile's stages up to --target, checked before anything is streamed. */
export interface BuildPlan {
  df: Dockerfile;
  stages: Stage[];
}

/**
 * What dockerd checks before its first message (its errors are then a plain HTTP error):
 * the tags, the Dockerfile's presence and syntax, the target stage.
 */
export async function planBuild(ctx: BuildContext, o: BuildOptions): Promise<BuildPlan> {
  for (const t of o.tags) {
    let ref;
    try {
      ref = parseNormalizedNamed(t);
    } catch {
      throw invalidArgument(`invalid reference format: ${t}`);
    }
    if (ref.digest) throw invalidArgument(`invalid reference format: ${t}: a digest`);
  }
  const text = await ctx.dockerfile();
  let df: Dockerfile;
  try {
    df = parseDockerfile(text, o.dockerfile);
  } catch (e) {
    if (e instanceof DockerfileParseError) throw invalidArgument(e.message);
    throw e;
  }
  let stages = df.stages;
  if (o.target) {
    const i = stages.findIndex((s) => s.name === o.target!.toLowerCase());
    if (i < 0) throw invalidArgument(`failed to reach build target ${o.target} in Dockerfile`);
    stages = stages.slice(0, i + 1);
  }
  return { df, stages };
}

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export class Builder implements StepRunner {
  readonly args: BuildArgs;
  #stages: StageState[] = [];
  #cacheBusted = false;
  #tmp: Container[] = [];
  #scratch?: ScratchImage;
  /** Tag records checked to name their image during this build. */
  #checked = new Set<string>();
  escapeChar = "\\";

  constructor(
    readonly d: Daemon,
    readonly cache: BuildCache,
    readonly ctx: BuildContext,
    readonly o: BuildOptions,
    readonly out: BuildOutput,
    readonly signal: AbortSignal,
  ) {
    this.args = new BuildArgs(o.buildArgs);
  }

  /** Runs the build; the final image's id and a record naming it. */
  async run(plan: BuildPlan): Promise<{ id: string; record: string }> {
    const { df, stages } = plan;
    this.escapeChar = df.escapeChar;
    for (const w of df.warnings) this.out.stream(`[WARNING]: ${w}\n`);
    if (!stages.length) throw invalidArgument("No image was generated. Is your Dockerfile empty?");
    const total = df.metaArgs.length + stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    let step = 1;
    const print = (original: string) => {
      this.out.stream(`Step ${step++}/${total} : ${original}`);
      this.out.stream("\n");
    };
    try {
      for (const meta of df.metaArgs) {
        print(meta.original);
        const expanded = expandInstruction(meta, this.args.metaEnv(), this.escapeChar);
        for (const a of expanded.args) this.args.declareMeta(a.key, a.value);
      }
      let st!: StageState;
      for (const [index, stage] of stages.entries()) {
        print(stage.original);
        st = await this.#from(index, stage.name, stage.baseName, stage.platform);
        this.#cacheBusted = false;
        await this.#onBuildTriggers(st);
        this.#stepDone(st);
        for (const instr of stage.instructions) {
          this.#checkAborted();
          print(instr.original);
          await this.#dispatch(st, instr);
          this.#stepDone(st);
        }
        this.#stages.push(st);
      }
      if (Object.keys(this.o.labels).length) {
        const line = Object.entries(this.o.labels).map(([k, v]) => `${JSON.stringify(k)}='${v}'`)
          .join(" ");
        st.config.Labels = { ...(st.config.Labels ?? {}), ...this.o.labels };
        await this.commitNop(st, `LABEL ${line} `);
        this.#stepDone(st);
      }
      if (!this.#shown(st.imageId)) {
        throw invalidArgument("No image was generated. Is your Dockerfile empty?");
      }
      return await this.result(st);
    } catch (e) {
      if (this.o.forceRm) await this.#removeTmp(true);
      throw e;
    } finally {
      // Containers only the builder knows of (COPY's) never outlive the build.
      for (const c of this.#tmp.filter((c) => hidden.has(c))) await removeStepContainer(this.d, c);
      await this.#scratch?.remove();
    }
  }

  /** Docker's note on --build-arg values no ARG took (printed after the result's aux). */
  warnUnusedArgs(): void {
    const unused = this.args.unused();
    if (unused.length) {
      this.out.stream(`[Warning] One or more build-args [${unused.join(" ")}] were not consumed\n`);
    }
  }

  /**
   * Tags the result with every `t`, printing Docker's lines (as tagImage, from the record
   * the build already knows). A built image keeps its dangling record: content-addressed,
   * it names the image for the cache, and keeps it when its tags go while it has children.
   */
  async tag(id: string, record: string): Promise<void> {
    for (const t of this.o.tags) {
      const ref = parseNormalizedNamed(t);
      const target = withTag({ domain: ref.domain, path: ref.path }, ref.tag || "latest");
      await this.d.containerd.images.tag(record, referenceString(target));
      this.d.events.publish("image", "tag", id, { name: familiarString(target) });
      this.out.stream(`Successfully tagged ${familiarString(target)}\n`);
    }
  }

  #checkAborted() {
    if (this.signal.aborted) throw this.signal.reason ?? new Error("build cancelled");
  }

  async #dispatch(st: StageState, instr: Instruction) {
    let expanded: Instruction;
    try {
      expanded = expandInstruction(instr, this.args.expansionEnv(st), this.escapeChar);
    } catch (e) {
      throw invalidArgument((e as Error).message);
    }
    await dispatch(this, st, expanded);
    if (this.o.rm || this.o.forceRm) await this.#removeTmp(true);
  }

  #stepDone(st: StageState) {
    st.config.Image = this.#shown(st.imageId);
    this.out.stream(` ---> ${shortId(st.config.Image)}\n`);
  }

  /** An image id as Docker knows it: the private scratch image is no image ("") there. */
  #shown(id: string): string {
    return id === this.#scratch?.id ? "" : id;
  }

  async #removeTmp(print: boolean) {
    for (const c of this.#tmp.splice(0)) {
      const visible = !hidden.has(c);
      const err = await removeStepContainer(this.d, c);
      if (err) {
        this.out.stream(`Error removing intermediate container ${shortId(c.rec.ID)}: ${err}\n`);
      } else if (print && visible) {
        this.out.stream(`Removing intermediate container ${shortId(c.rec.ID)}\n`);
      }
    }
  }

  /** FROM: a previous stage, or an image (pulled when absent or asked to). */
  async #from(index: number, name: string | undefined, base: string, platform?: string) {
    const baseName = expandWord(base, this.args.metaEnv(), this.escapeChar);
    const prev = this.stageByName(baseName);
    let imageId: string;
    let record: string;
    let config: RunConfig;
    if (prev) {
      imageId = prev.imageId;
      record = prev.record;
      config = structuredClone(prev.config);
    } else {
      const img = baseName.toLowerCase() === "scratch"
        ? { ...(this.#scratch ??= await scratchImage(this.d)), config: {} as RunConfig }
        : await this.image(baseName, platform, this.o.pull);
      imageId = img.id;
      record = img.record;
      config = img.config;
    }
    if (!(config.Env ?? []).some((e) => e.startsWith("PATH="))) {
      config.Env = [...(config.Env ?? []), DEFAULT_PATH];
    }
    config.Image = this.#shown(imageId);
    return {
      name,
      index,
      imageId,
      record,
      config,
      args: new Map(),
      cmdSet: false,
      maintainer: "",
    } satisfies StageState;
  }

  stageByName(name: string): StageState | undefined {
    const lower = name.toLowerCase();
    const named = this.#stages.find((s) => s.name === lower);
    if (named) return named;
    if (/^\d+$/.test(name)) return this.#stages[Number(name)];
    return undefined;
  }

  /** An image by name or id, pulled (with progress) when absent or when `pull` asks. */
  async image(ref: string, platform: string | undefined, pull: boolean) {
    if (pull) await this.#pull(ref, platform); // --pull: a failed pull fails (dockerd)
    // A name is containerd's own lookup; an id (prefix) or digest needs Docker's.
    let detail = await this.d.containerd.images.get(ref).catch(() => undefined);
    if (!detail) {
      let found = findIn(await allImages(this.d.containerd), ref);
      if (!found && !pull) {
        await this.#pull(ref, platform);
        found = findIn(await allImages(this.d.containerd), ref);
      }
      if (!found) throw invalidArgument(`No such image: ${ref}`);
      detail = await this.d.containerd.images.get(primaryName(found.entry));
    }
    const config = structuredClone(detail.config.config ?? {}) as RunConfig;
    return { id: detail.id, record: detail.name, config };
  }

  async #pull(ref: string, platform: string | undefined) {
    await this.d.containerd.images.pull(ref, {
      platform: platform || this.o.platform || undefined,
      signal: this.signal,
      onProgress: (l) => this.out.message(progressMessage(l)),
    }).catch((e) => {
      throw wrap(e, `pull ${ref}`);
    });
  }

  async #onBuildTriggers(st: StageState) {
    const triggers = st.config.OnBuild ?? [];
    if (!triggers.length) return;
    this.out.stream(
      `# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}\n`,
    );
    st.config.OnBuild = [];
    for (const t of triggers) {
      let instr: Instruction;
      try {
        instr = parseDockerfile(`FROM scratch\n${t}\n`).stages[0].instructions[0];
      } catch (e) {
        throw invalidArgument(`ONBUILD trigger ${JSON.stringify(t)}: ${(e as Error).message}`);
      }
      if (!instr) continue;
      await this.#dispatch(st, instr);
    }
  }

  // StepRunner: what the dispatchers use.

  /** The cache's image for this step, if any: prints "Using cache" and moves to it. */
  async probe(st: StageState, containerConfig: RunConfig): Promise<boolean> {
    if (this.o.noCache || this.#cacheBusted) return false;
    const hit = await this.cache.lookup(this.#shown(st.imageId), containerConfig);
    if (!hit) {
      this.#cacheBusted = true;
      return false;
    }
    // The index forgets deleted images (remove.ts); the record is checked when used.
    this.out.stream(" ---> Using cache\n");
    st.imageId = hit.id;
    st.record = hit.record;
    return true;
  }

  /**
   * Makes st.record name st.imageId: a dangling record (content-addressed) or one already
   * checked, else the one the cache index remembered if it still names the image, else any.
   */
  async #checkRecord(st: { imageId: string; record: string }): Promise<void> {
    // A dangling record names its manifest's digest: it cannot name another image.
    if (isDangling(st.record) || this.#checked.has(st.record)) return;
    const detail = await this.d.containerd.images.get(st.record).catch(() => undefined);
    if (detail?.id !== st.imageId) {
      const entry = (await allImages(this.d.containerd)).get(st.imageId);
      if (!entry) throw notFound(`build: image ${st.imageId} is gone`);
      st.record = primaryName(entry);
      await this.cache.rename(st.imageId, st.record);
    }
    this.#checked.add(st.record);
  }

  /** The result, with a record naming it (for the tags). */
  async result(st: StageState): Promise<{ id: string; record: string }> {
    await this.#checkRecord(st);
    return { id: st.imageId, record: st.record };
  }

  /** A step container from the current image; `visible` ones print "Running in". */
  async container(st: StageState, config: RunConfig, visible = true): Promise<Container> {
    await this.#checkRecord(st);
    const c = await createStepContainer(this.d, st.record, config, this.o.networkMode);
    this.#tmp.push(c);
    if (visible) this.out.stream(` ---> Running in ${shortId(c.rec.ID)}\n`);
    else hidden.add(c);
    return c;
  }

  /** Commits a step container as the stage's new image and records it for the cache. */
  async commit(st: StageState, c: Container, containerConfig: RunConfig): Promise<void> {
    const step: StepCommit = {
      config: structuredClone(st.config),
      containerConfig,
      author: st.maintainer,
    };
    const parent = this.#shown(st.imageId);
    const img = await commitStepContainer(this.d, c, step);
    st.imageId = img.id;
    st.record = img.record;
    await this.cache.record(img.id, img.record, parent, containerConfig);
  }

  /** A metadata-only step: "#(nop) <comment>" committed from a container never started. */
  async commitNop(st: StageState, comment: string): Promise<void> {
    const cc: RunConfig = {
      ...structuredClone(st.config),
      Cmd: [...shellOf(st), "#(nop) ", comment],
    };
    if (await this.probe(st, cc)) return;
    const c = await this.container(st, cc);
    await this.commit(st, c, cc);
  }
}

/** Containers the builder uses internally (COPY/ADD): removed silently, whatever rm says. */
const hidden = new WeakSet<Container>();

export function shellOf(st: StageState): string[] {
  return st.config.Shell?.length ? st.config.Shell : ["/bin/sh", "-c"];
}
