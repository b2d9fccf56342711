// The daemon's containers: config.v2.json and hostconfig.json under
// <data-root>/containers/<id>/, loaded at start and kept in memory; names are unique.
// Lookup as Docker's: full id, then name, then a unique id prefix.
import { conflict, invalidArgument, notFound } from "../../lib/errors.ts";
import { log } from "../log.ts";
import { writeAtomic } from "./atomic.ts";
import type { ContainerRecord, HostConfig } from "./types.ts";

export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const ID_RE = /^[0-9a-f]{64}$/;

export interface Container {
  rec: ContainerRecord;
  host: HostConfig;
  /** Exec ids (in memory, as Docker's ExecIDs). */
  execs: Set<string>;
}

export class ContainerStore {
  #byId = new Map<string, Container>();
  #names = new Map<string, string>();

  constructor(readonly root: string) {}

  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  async load(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o710 });
    for await (const e of Deno.readDir(this.root)) {
      if (!e.isDirectory || !ID_RE.test(e.name)) continue;
      try {
        const rec = JSON.parse(
          await Deno.readTextFile(`${this.dir(e.name)}/config.v2.json`),
        ) as ContainerRecord;
        const host = JSON.parse(
          await Deno.readTextFile(`${this.dir(e.name)}/hostconfig.json`),
        ) as HostConfig;
        if (rec.ID !== e.name) throw new Error("id does not match its directory");
        this.#add({ rec, host, execs: new Set() });
      } catch (err) {
        log("warn", `skipping container ${e.name}: ${(err as Error).message}`);
      }
    }
  }

  #add(c: Container) {
    this.#byId.set(c.rec.ID, c);
    this.#names.set(c.rec.Name, c.rec.ID);
  }

  /** Reserves `name` ("/x") for `id`; Docker's conflict message when it is taken. */
  reserveName(name: string, id: string): void {
    if (!NAME_RE.test(name)) {
      throw invalidArgument(
        `Invalid container name (${
          name.replace(/^\//, "")
        }), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    if (!name.startsWith("/")) name = "/" + name;
    const owner = this.#names.get(name);
    if (owner && owner !== id) {
      throw conflict(
        `Conflict. The container name "${name}" is already in use by container "${owner}". ` +
          `You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.#names.set(name, id);
  }

  /** Is `name` held, also by a container still being created (not yet findable)? */
  nameTaken(name: string): boolean {
    return this.#names.has(name.startsWith("/") ? name : "/" + name);
  }

  releaseName(name: string): void {
    this.#names.delete(name);
  }

  async save(c: Container): Promise<void> {
    const dir = this.dir(c.rec.ID);
    await Deno.mkdir(dir, { recursive: true, mode: 0o710 });
    await writeAtomic(`${dir}/config.v2.json`, JSON.stringify(c.rec));
    await writeAtomic(`${dir}/hostconfig.json`, JSON.stringify(c.host));
    this.#add(c);
  }

  async remove(id: string): Promise<void> {
    const c = this.#byId.get(id);
    if (!c) return;
    this.#byId.delete(id);
    if (this.#names.get(c.rec.Name) === id) this.#names.delete(c.rec.Name);
    await Deno.remove(this.dir(id), { recursive: true }).catch(() => {});
  }

  all(): Container[] {
    return [...this.#byId.values()];
  }

  /** Full id, name (with or without "/"), or unique id prefix; 404 as Docker's. */
  get(ref: string): Container {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): Container | undefined {
    if (!ref) return undefined;
    const exact = this.#byId.get(ref);
    if (exact) return exact;
    const byName = this.#names.get(ref.startsWith("/") ? ref : "/" + ref);
    if (byName) return this.#byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = [...this.#byId.keys()].filter((id) => id.startsWith(ref));
    if (hits.length > 1) {
      throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    }
    return hits.length ? this.#byId.get(hits[0]) : undefined;
  }
}
