// One ordered event stream (task create/start/exit/oom/delete/exec, image pull/delete,
// container create/delete), kept in SQLite so a subscriber resumes from a sequence number,
// even across a containerd restart. Bounded: only the newest KEEP events are kept.
import type { MetaDB } from "./metadata/db.ts";

export interface Event {
  seq: number;
  time: string;
  topic: string;
  /** The container or image the event is about. */
  id: string;
  data: Record<string, unknown>;
}

const KEEP = 10_000;

export class EventLog {
  #waiters = new Set<() => void>();

  constructor(private db: MetaDB) {
    db.db.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, topic TEXT NOT NULL,
      id TEXT NOT NULL, data TEXT NOT NULL)`);
  }

  publish(topic: string, id: string, data: Record<string, unknown> = {}): Event {
    const time = new Date().toISOString();
    const r = this.db.db.prepare("INSERT INTO events (time, topic, id, data) VALUES (?, ?, ?, ?)")
      .run(time, topic, id, JSON.stringify(data));
    const seq = Number(r.lastInsertRowid);
    if (seq % 1000 === 0) this.db.db.prepare("DELETE FROM events WHERE seq <= ?").run(seq - KEEP);
    for (const wake of this.#waiters) wake();
    return { seq, time, topic, id, data };
  }

  /** Events after `since`, oldest first (at most `limit`). */
  after(since: number, limit = 1000): Event[] {
    const rows = this.db.db.prepare(
      "SELECT seq, time, topic, id, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    ).all(since, limit) as { seq: number; time: string; topic: string; id: string; data: string }[];
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) }));
  }

  /** The newest sequence number (0 when empty). */
  last(): number {
    const row = this.db.db.prepare("SELECT MAX(seq) AS seq FROM events").get() as {
      seq: number | null;
    };
    return row.seq ?? 0;
  }

  /** Streams events after `since` until `signal` aborts: stored ones first, then live ones. */
  async *subscribe(since: number, signal: AbortSignal): AsyncGenerator<Event> {
    let cursor = since;
    while (!signal.aborted) {
      const batch = this.after(cursor);
      for (const e of batch) {
        cursor = e.seq;
        yield e;
      }
      if (batch.length) continue;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}
