// The local volume driver's store: <data-root>/volumes/<name>/_data holds the data,
// <data-root>/volumes/<name>/engine.json the metadata (written atomically). Names are
// validated like Docker's before anything touches the disk; anonymous volumes get 64-hex
// names and the label com.docker.volume.anonymous. One store per daemon, loaded lazily.
import { conflict, invalidArgument, notFound } from "../../lib/errors.ts";
import { writeAtomic } from "../containers/atomic.ts";
import type { Daemon } from "../daemon.ts";
import { log } from "../log.ts";

export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";
const MAX_NAME = 255;

export interface VolumeMeta {
  Name: string;
  Driver: "local";
  Labels: Record<string, string>;
  Options: Record<string, string>;
  CreatedAt: string;
}

/** Docker's local driver message for a bad name (it also covers relative host paths). */
export function checkVolumeName(name: string): void {
  if (
    name.length > MAX_NAME || !VOLUME_NAME_RE.test(name) || name === "." || name === ".." ||
    name.includes("..")
  ) {
    throw invalidArgument(
      `create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume ` +
        `name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host ` +
        `directory, use absolute path`,
    );
  }
}

/** Options of the local driver we accept (mounting a device/nfs is not supported). */
function checkOptions(opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) {
    if (!["type", "o", "device", "size"].includes(k)) {
      throw invalidArgument(`invalid option key: ${JSON.stringify(k)}`);
    }
    throw invalidArgument(
      `local volume option ${JSON.stringify(k)} is not supported by this engine ` +
        `(volumes are plain directories)`,
    );
  }
}

export function randomVolumeName(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export class VolumeStore {
  #vols = new Map<string, VolumeMeta>();
  /** Volumes a container being created refers to (name → container ids), not yet saved. */
  readonly pending = new Map<string, Set<string>>();
  #loaded?: Promise<void>;

  constructor(readonly root: string) {}

  /** The host directory holding the volume's data. */
  dataPath(name: string): string {
    checkVolumeName(name);
    return `${this.root}/${name}/_data`;
  }

  load(): Promise<void> {
    return this.#loaded ??= this.#load();
  }

  async #load(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o701 });
    for await (const e of Deno.readDir(this.root)) {
      if (!e.isDirectory || !VOLUME_NAME_RE.test(e.name)) continue;
      try {
        const meta = JSON.parse(
          await Deno.readTextFile(`${this.root}/${e.name}/engine.json`),
        ) as VolumeMeta;
        if (meta.Name !== e.name) throw new Error("name does not match its directory");
        this.#vols.set(e.name, meta);
      } catch (err) {
        log("warn", `skipping volume ${e.name}: ${(err as Error).message}`);
      }
    }
  }

  find(name: string): VolumeMeta | undefined {
    return this.#vols.get(name);
  }

  get(name: string): VolumeMeta {
    const v = this.#vols.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  all(): VolumeMeta[] {
    return [...this.#vols.values()];
  }

  /**
   * Creates the volume (or returns the existing one: Docker's create is idempotent when
   * the driver matches). `anonymous` adds Docker's anonymous label.
   */
  async create(
    name: string | undefined,
    labels: Record<string, string> = {},
    options: Record<string, string> = {},
    anonymous = false,
  ): Promise<{ meta: VolumeMeta; created: boolean }> {
    await this.load();
    const n = name || randomVolumeName();
    checkVolumeName(n);
    const existing = this.#vols.get(n);
    if (existing) return { meta: existing, created: false };
    checkOptions(options);
    const meta: VolumeMeta = {
      Name: n,
      Driver: "local",
      Labels: anonymous ? { ...labels, [ANONYMOUS_LABEL]: "" } : { ...labels },
      Options: { ...options },
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    this.#vols.set(n, meta);
    const dir = `${this.root}/${n}`;
    try {
      await Deno.mkdir(dir, { mode: 0o701 });
      await Deno.mkdir(`${dir}/_data`, { mode: 0o755 });
      await Deno.chmod(`${dir}/_data`, 0o755);
      await writeAtomic(`${dir}/engine.json`, JSON.stringify(meta), 0o600);
    } catch (e) {
      this.#vols.delete(n);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new Error(`create volume ${n}: ${(e as Error).message}`);
    }
    return { meta, created: true };
  }

  /** Removes the volume and its data; `users` are the containers that still use it. */
  async remove(name: string, users: string[]): Promise<void> {
    await this.load();
    const v = this.get(name);
    if (users.length) {
      throw conflict(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    }
    this.#vols.delete(v.Name);
    const dir = `${this.root}/${v.Name}`;
    // The metadata goes first: a half-removed volume is not loaded again.
    await Deno.remove(`${dir}/engine.json`).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }

  pin(name: string, id: string): void {
    let s = this.pending.get(name);
    if (!s) this.pending.set(name, s = new Set());
    s.add(id);
  }

  unpin(name: string, id: string): void {
    const s = this.pending.get(name);
    s?.delete(id);
    if (s && !s.size) this.pending.delete(name);
  }
}

const stores = new WeakMap<Daemon, VolumeStore>();

/** The daemon's volume store, loaded. */
export async function volumeStore(d: Daemon): Promise<VolumeStore> {
  let s = stores.get(d);
  if (!s) stores.set(d, s = new VolumeStore(`${d.opts.dataRoot}/volumes`));
  await s.load();
  return s;
}
