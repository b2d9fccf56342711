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

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
