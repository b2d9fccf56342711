// What the classic builder carries through a stage (moby builder/dockerfile dispatchState
// and BuildArgs): the current image, the run config every step starts from, and the
// stage's declared ARGs resolved against --build-arg and the meta ARGs.

import type { RunConfig } from "./step_container.ts";

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_SHELL = ["/bin/sh", "-c"];

/** Args Docker allows without an ARG line (passed to RUN, not recorded unless declared). */
export const BUILTIN_ARGS = new Set([
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "FTP_PROXY",
  "ftp_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
]);

export interface StageState {
  name?: string;
  index: number;
  /** "sha256:…" of the current image. */
  imageId: string;
  /** The containerd record that names it (step containers are created from it). */
  record: string;
  config: RunConfig;
  /** ARGs declared in this stage → their default (undefined: none written). */
  args: Map<string, string | undefined>;
  /** A CMD was given in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  maintainer: string;
}

export class BuildArgs {
  /** Keys of --build-arg that some ARG (or a builtin) consumed. */
  readonly used = new Set<string>();
  readonly meta = new Map<string, string | undefined>();

  constructor(readonly fromOptions: Record<string, string | null>) {}

  #option(key: string): string | undefined {
    const v = this.fromOptions[key];
    return v === null || v === undefined ? undefined : v;
  }

  /** A meta ARG (before the first FROM): --build-arg over its default. */
  declareMeta(key: string, value: string | undefined): void {
    if (key in this.fromOptions) this.used.add(key);
    this.meta.set(key, this.#option(key) ?? value);
  }

  /** moby BuildArgs.getBuildArg: option, else the default, else the meta ARG's value. */
  value(st: StageState, key: string): string | undefined {
    if (!st.args.has(key) && !BUILTIN_ARGS.has(key)) return undefined;
    const opt = this.#option(key);
    if (opt !== undefined) return opt;
    const def = st.args.get(key);
    if (def !== undefined) return def;
    return this.meta.get(key);
  }

  declare(st: StageState, key: string, value: string | undefined): void {
    st.args.set(key, value);
    if (key in this.fromOptions) this.used.add(key);
  }

  /** FilterAllowed: the args with a value that the env does not already set, "K=V". */
  allowed(st: StageState, env: string[]): string[] {
    const set = new Set(env.map((e) => e.split("=")[0]));
    const out: string[] = [];
    const keys = new Set([...st.args.keys(), ...Object.keys(this.fromOptions)]);
    for (const k of keys) {
      if (set.has(k)) continue;
      const v = this.value(st, k);
      if (v !== undefined) out.push(`${k}=${v}`);
    }
    return out;
  }

  /** Declared (or non-builtin) ones: what the classic builder records before a RUN's Cmd. */
  recorded(st: StageState, allowed: string[]): string[] {
    return allowed.filter((e) => st.args.has(e.split("=")[0])).sort();
  }

  /** The environment variable substitution sees: the config's Env, then the args. */
  expansionEnv(st: StageState): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of [...(st.config.Env ?? []), ...this.allowed(st, st.config.Env ?? [])]) {
      const i = e.indexOf("=");
      const k = i < 0 ? e : e.slice(0, i);
      if (!(k in env)) env[k] = i < 0 ? "" : e.slice(i + 1);
    }
    return env;
  }

  /** Meta ARG values for FROM lines. */
  metaEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of this.meta) if (v !== undefined) env[k] = v;
    return env;
  }

  unused(): string[] {
    return Object.keys(this.fromOptions).filter((k) => !this.used.has(k) && !BUILTIN_ARGS.has(k))
      .sort();
  }
}

/** Sets (or adds) NAME=value in an Env list. */
export function setEnv(env: string[], key: string, value: string): string[] {
  const item = `${key}=${value}`;
  const at = env.findIndex((e) => e.split("=")[0] === key);
  return at < 0 ? [...env, item] : env.map((e, i) => (i === at ? item : e));
}
