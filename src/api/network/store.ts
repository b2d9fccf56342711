// The daemon's networks and their endpoints (the address allocations), one JSON file per
// network under <data-root>/network/networks/<id>.json, written atomically; kept in memory.
// Lookup as Docker's: full id, then name, then a unique id prefix.
import { invalidArgument, notFound } from "../../lib/errors.ts";
import { writeAtomic } from "../containers/atomic.ts";
import { log } from "../log.ts";
import type { EndpointRecord, NetworkRecord } from "./types.ts";

const ID_RE = /^[0-9a-f]{64}$/;

interface NetworkFile {
  network: NetworkRecord;
  endpoints: EndpointRecord[];
}

export class NetworkStore {
  #nets = new Map<string, NetworkFile>();

  constructor(readonly root: string) {}

  async load(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o700 });
    for await (const e of Deno.readDir(this.root)) {
      const id = e.name.replace(/\.json$/, "");
      if (!e.isFile || !ID_RE.test(id) || !e.name.endsWith(".json")) continue;
      try {
        const f = JSON.parse(await Deno.readTextFile(`${this.root}/${e.name}`)) as NetworkFile;
        if (f.network?.Id !== id) throw new Error("id does not match its file");
        f.endpoints ??= [];
        this.#nets.set(id, f);
      } catch (err) {
        log("warn", `skipping network ${id}: ${(err as Error).message}`);
      }
    }
  }

  all(): NetworkRecord[] {
    return [...this.#nets.values()].map((f) => f.network);
  }

  find(ref: string): NetworkRecord | undefined {
    if (!ref) return undefined;
    const exact = this.#nets.get(ref);
    if (exact) return exact.network;
    const byName = this.all().find((n) => n.Name === ref);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = this.all().filter((n) => n.Id.startsWith(ref));
    if (hits.length > 1) {
      throw invalidArgument(`network ${ref} is ambiguous (${hits.length} matches found on id)`);
    }
    return hits[0];
  }

  get(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  endpoints(networkId: string): EndpointRecord[] {
    return this.#nets.get(networkId)?.endpoints ?? [];
  }

  endpoint(networkId: string, containerId: string): EndpointRecord | undefined {
    return this.endpoints(networkId).find((e) => e.containerId === containerId);
  }

  /** Every endpoint of container `containerId`. */
  endpointsOf(containerId: string): EndpointRecord[] {
    return [...this.#nets.values()].flatMap((f) =>
      f.endpoints.filter((e) => e.containerId === containerId)
    );
  }

  async save(n: NetworkRecord): Promise<void> {
    const f = this.#nets.get(n.Id) ?? { network: n, endpoints: [] };
    f.network = n;
    this.#nets.set(n.Id, f);
    await this.#write(f);
  }

  async addEndpoint(ep: EndpointRecord): Promise<void> {
    const f = this.#nets.get(ep.networkId);
    if (!f) throw notFound(`network ${ep.networkId} not found`);
    f.endpoints = [...f.endpoints.filter((e) => e.containerId !== ep.containerId), ep];
    await this.#write(f);
  }

  async removeEndpoint(networkId: string, containerId: string): Promise<void> {
    const f = this.#nets.get(networkId);
    if (!f || !f.endpoints.some((e) => e.containerId === containerId)) return;
    f.endpoints = f.endpoints.filter((e) => e.containerId !== containerId);
    await this.#write(f);
  }

  async remove(id: string): Promise<void> {
    this.#nets.delete(id);
    await Deno.remove(`${this.root}/${id}.json`).catch(() => {});
  }

  async #write(f: NetworkFile): Promise<void> {
    await writeAtomic(`${this.root}/${f.network.Id}.json`, JSON.stringify(f));
  }
}
