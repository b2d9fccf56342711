// OCI runtimes a container can use: our own (`engine runc`, the default) or any binary
// with runc's command line (runc, crun), configured by name.
import { invalidArgument } from "../lib/errors.ts";
import { selfPath } from "../lib/self.ts";

export interface RuntimeBinary {
  path: string;
  args: string[];
}

export class Runtimes {
  #byName = new Map<string, RuntimeBinary>();
  #features = new Map<string, Promise<Record<string, unknown>>>();

  /** `extra`: name=path pairs, e.g. from --runtime crun=/usr/bin/crun. */
  constructor(extra: string[] = [], readonly defaultName = "engine") {
    this.#byName.set("engine", { path: selfPath(), args: ["runc"] });
    this.#byName.set("runc", { path: "/usr/sbin/runc", args: [] });
    this.#byName.set("crun", { path: "/usr/bin/crun", args: [] });
    for (const pair of extra) {
      const i = pair.indexOf("=");
      const name = pair.slice(0, i), path = pair.slice(i + 1);
      if (i <= 0 || !/^[\w.-]+$/.test(name) || !path.startsWith("/")) {
        throw invalidArgument(`runtime ${JSON.stringify(pair)}: want name=/absolute/path`);
      }
      this.#byName.set(name, { path, args: [] });
    }
  }

  resolve(name = this.defaultName): RuntimeBinary {
    const r = this.#byName.get(name);
    if (!r) throw invalidArgument(`unknown runtime "${name}"`);
    return r;
  }

  /**
   * The runtime's `features` JSON (runc's types/features), asked once per runtime, as
   * containerd's introspection does: dockerd decides on it (recursive read-only binds).
   * A runtime without the verb, or failing it, throws; the next call asks again.
   */
  features(name = this.defaultName): Promise<Record<string, unknown>> {
    const r = this.resolve(name);
    let answer = this.#features.get(name);
    if (!answer) {
      answer = askFeatures(name, r);
      answer.catch(() => this.#features.delete(name));
      this.#features.set(name, answer);
    }
    return answer;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}

async function askFeatures(name: string, r: RuntimeBinary): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(r.path, {
    args: [...r.args, "features"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`runtime "${name}" (${r.path}): ${(e as Error).message}`);
  });
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
    throw new Error(`runtime "${name}" (${r.path}) features: ${why || `exit ${out.code}`}`);
  }
  try {
    const f = JSON.parse(text);
    if (typeof f !== "object" || f === null || Array.isArray(f)) throw new Error("not an object");
    return f;
  } catch (e) {
    throw new Error(`runtime "${name}" (${r.path}) features: ${(e as Error).message}`);
  }
}
