// Containers (id, image, snapshot, OCI spec, runtime, labels) and their tasks' shim
// records, in containerd's SQLite database.
import { alreadyExists, notFound } from "../../lib/errors.ts";
import type { MetaDB } from "../metadata/db.ts";

export interface ContainerRecord {
  id: string;
  image: string;
  /** The container's active snapshot key (its rootfs), when it has one. */
  snapshotKey?: string;
  spec: Record<string, unknown>;
  runtime: string;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

/** A running (or exited, not yet deleted) task: where its shim listens. */
export interface TaskRecord {
  id: string;
  socket: string;
  bundle: string;
  work: string;
  runtime: string;
  pid: number;
  created: string;
}

type Row = Record<string, string | number | null>;

export class ContainerStore {
  constructor(private m: MetaDB) {
    m.db.exec(`CREATE TABLE IF NOT EXISTS containers (
      id TEXT PRIMARY KEY, image TEXT NOT NULL, snapshot_key TEXT, spec TEXT NOT NULL,
      runtime TEXT NOT NULL, labels TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)`);
    m.db.exec(`CREATE TABLE IF NOT EXISTS tasks (
      id TEXT PRIMARY KEY REFERENCES containers(id), socket TEXT NOT NULL, bundle TEXT NOT NULL,
      work TEXT NOT NULL, runtime TEXT NOT NULL, pid INTEGER NOT NULL, created TEXT NOT NULL)`);
  }

  create(c: Omit<ContainerRecord, "created" | "updated">): ContainerRecord {
    const now = new Date().toISOString();
    const rec = { ...c, created: now, updated: now };
    try {
      this.m.db.prepare(
        "INSERT INTO containers (id, image, snapshot_key, spec, runtime, labels, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        c.id,
        c.image,
        c.snapshotKey ?? null,
        JSON.stringify(c.spec),
        c.runtime,
        JSON.stringify(c.labels),
        now,
        now,
      );
    } catch (e) {
      if (String(e).includes("UNIQUE")) throw alreadyExists(`container "${c.id}": already exists`);
      throw e;
    }
    return rec;
  }

  #container(r: Row): ContainerRecord {
    return {
      id: String(r.id),
      image: String(r.image),
      snapshotKey: r.snapshot_key === null ? undefined : String(r.snapshot_key),
      spec: JSON.parse(String(r.spec)),
      runtime: String(r.runtime),
      labels: JSON.parse(String(r.labels)),
      created: String(r.created),
      updated: String(r.updated),
    };
  }

  get(id: string): ContainerRecord {
    const r = this.m.db.prepare("SELECT * FROM containers WHERE id = ?").get(id) as Row | undefined;
    if (!r) throw notFound(`container "${id}": not found`);
    return this.#container(r);
  }

  list(): ContainerRecord[] {
    return (this.m.db.prepare("SELECT * FROM containers ORDER BY created").all() as Row[]).map((
      r,
    ) => this.#container(r));
  }

  updateSpec(
    id: string,
    spec: Record<string, unknown>,
    labels?: Record<string, string>,
  ): ContainerRecord {
    const c = this.get(id);
    const now = new Date().toISOString();
    this.m.db.prepare("UPDATE containers SET spec = ?, labels = ?, updated = ? WHERE id = ?")
      .run(JSON.stringify(spec), JSON.stringify(labels ?? c.labels), now, id);
    return { ...c, spec, labels: labels ?? c.labels, updated: now };
  }

  delete(id: string): void {
    this.m.db.prepare("DELETE FROM containers WHERE id = ?").run(id);
  }

  putTask(t: TaskRecord): void {
    this.m.db.prepare(
      "INSERT OR REPLACE INTO tasks (id, socket, bundle, work, runtime, pid, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(t.id, t.socket, t.bundle, t.work, t.runtime, t.pid, t.created);
  }

  task(id: string): TaskRecord | undefined {
    const r = this.m.db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as Row | undefined;
    return r ? (r as unknown as TaskRecord) : undefined;
  }

  tasks(): TaskRecord[] {
    return this.m.db.prepare("SELECT * FROM tasks").all() as unknown as TaskRecord[];
  }

  deleteTask(id: string): void {
    this.m.db.prepare("DELETE FROM tasks WHERE id = ?").run(id);
  }
}
