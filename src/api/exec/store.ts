// Exec instances (POST /containers/{id}/exec), kept in memory as dockerd does; bounded.
import { notFound } from "../../lib/errors.ts";
import type { ExecCreate } from "../containers/types.ts";

export interface ExecRecord {
  ID: string;
  ContainerID: string;
  Config: ExecCreate & { Cmd: string[] };
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  /** Started once (an exec cannot be started twice). */
  Started: boolean;
  created: number;
}

const MAX_EXECS = 4096;

export class ExecStore {
  #execs = new Map<string, ExecRecord>();

  add(rec: ExecRecord): void {
    if (this.#execs.size >= MAX_EXECS) {
      for (const [id, e] of this.#execs) {
        if (!e.Running) {
          this.#execs.delete(id);
          break;
        }
      }
    }
    this.#execs.set(rec.ID, rec);
  }

  get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  delete(id: string): void {
    this.#execs.delete(id);
  }
}
