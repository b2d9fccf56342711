// The daemon's client for containerd's containers, tasks and events.
import { z } from "zod";
import type { ContainerRecord } from "../containers/store.ts";
import type { Event } from "../events.ts";
import type { ExitInfo, LogConfig, TaskState } from "../../shim/protocol.ts";
import { type ContainerdHttp, ndjsonLines } from "./http.ts";

const Any = z.any();
const Exit = z.object({
  exitStatus: z.number(),
  exitedAt: z.string(),
  oomKilled: z.boolean().optional(),
});
const Pid = z.object({ pid: z.number() });

export interface NewContainer {
  id: string;
  image: string;
  /** Prepare the container's rootfs snapshot on this committed one (an image's top chain id). */
  snapshot?: { parent?: string };
  spec: Record<string, unknown>;
  runtime?: string;
  labels?: Record<string, string>;
}

export class ContainersClient {
  constructor(private http: ContainerdHttp) {}

  create(c: NewContainer): Promise<ContainerRecord> {
    return this.http.json(Any, "POST", "/v1/containers", { json: c });
  }
  get(id: string): Promise<ContainerRecord> {
    return this.http.json(Any, "GET", `/v1/containers/${encodeURIComponent(id)}`);
  }
  list(): Promise<ContainerRecord[]> {
    return this.http.json(z.array(Any), "GET", "/v1/containers");
  }
  update(id: string, u: { spec?: Record<string, unknown>; labels?: Record<string, string> }) {
    return this.http.json(Any, "POST", `/v1/containers/${encodeURIComponent(id)}`, {
      json: u,
    }) as Promise<
      ContainerRecord
    >;
  }
  async delete(id: string): Promise<void> {
    await (await this.http.request("DELETE", `/v1/containers/${encodeURIComponent(id)}`)).body
      ?.cancel();
  }
  /** What the named runtime supports: its `features` JSON (runc's types/features). */
  runtimeFeatures(runtime: string): Promise<Record<string, unknown>> {
    return this.http.json(Any, "GET", `/v1/runtimes/${encodeURIComponent(runtime)}/features`);
  }
  /** The rootfs snapshot's mounts and its writable directory (the container's changes). */
  snapshot(
    id: string,
  ): Promise<{ mounts: { type: string; source: string; options: string[] }[]; upper?: string }> {
    return this.http.json(Any, "GET", `/v1/containers/${encodeURIComponent(id)}/snapshot`);
  }
}

export class TasksClient {
  constructor(private http: ContainerdHttp) {}

  #path(id: string, rest = "") {
    return `/v1/tasks/${encodeURIComponent(id)}${rest}`;
  }

  create(id: string, o: { terminal: boolean; stdin: boolean; log: LogConfig }) {
    return this.http.json(Pid, "POST", this.#path(id), { json: o });
  }
  start(id: string) {
    return this.http.json(Pid, "POST", this.#path(id, "/start"));
  }
  async kill(id: string, signal: number, o: { all?: boolean; exec?: string } = {}) {
    await this.http.json(Any, "POST", this.#path(id, "/kill"), { json: { signal, ...o } });
  }
  wait(id: string, exec?: string, signal?: AbortSignal): Promise<ExitInfo> {
    return this.http.json(Exit, "GET", this.#path(id, "/wait"), { query: { exec }, signal });
  }
  delete(id: string, exec?: string): Promise<ExitInfo> {
    return this.http.json(Exit, "DELETE", this.#path(id), { query: { exec } });
  }
  state(id: string): Promise<TaskState> {
    return this.http.json(Any, "GET", this.#path(id));
  }
  list(): Promise<string[]> {
    return this.http.json(z.array(z.string()), "GET", "/v1/tasks");
  }
  exec(
    id: string,
    exec: string,
    process: Record<string, unknown>,
    terminal: boolean,
    stdin: boolean,
  ) {
    return this.http.json(Pid, "POST", this.#path(id, "/exec"), {
      json: { exec, process, terminal, stdin },
    });
  }
  /** runc's Stats JSON for the container's cgroup. */
  stats(id: string): Promise<Record<string, unknown>> {
    return this.http.json(Any, "GET", this.#path(id, "/stats"));
  }
  /** New cgroup resources (OCI LinuxResources) for a running task. */
  async update(id: string, resources: Record<string, unknown>) {
    await this.http.json(Any, "POST", this.#path(id, "/update"), { json: { resources } });
  }
  async pause(id: string) {
    await this.http.json(Any, "POST", this.#path(id, "/pause"));
  }
  async resume(id: string) {
    await this.http.json(Any, "POST", this.#path(id, "/resume"));
  }
  async pids(id: string): Promise<number[]> {
    return (await this.http.json(
      z.object({ pids: z.array(z.number()) }),
      "GET",
      this.#path(id, "/pids"),
    )).pids;
  }
  async resize(id: string, width: number, height: number, exec?: string) {
    await this.http.json(Any, "POST", this.#path(id, "/resize"), { json: { exec, width, height } });
  }
  async closeStdin(id: string, exec?: string) {
    await this.http.json(Any, "POST", this.#path(id, "/close-stdin"), { query: { exec } });
  }
  /** Streams `body` into the process's stdin; close: send EOF after it. */
  async stdin(id: string, body: ReadableStream<Uint8Array>, close: boolean, exec?: string) {
    const resp = await this.http.request("POST", this.#path(id, "/stdin"), {
      query: { exec, close: close ? "1" : undefined },
      body,
    });
    await resp.body?.cancel();
  }
  /** Live output: raw with a tty, Docker's multiplexed frames otherwise. */
  async attach(
    id: string,
    streams: { stdout: boolean; stderr: boolean },
    exec?: string,
    signal?: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const resp = await this.http.request("GET", this.#path(id, "/attach"), {
      query: {
        exec,
        stdout: streams.stdout ? "1" : undefined,
        stderr: streams.stderr ? "1" : undefined,
      },
      signal,
    });
    return resp.body!;
  }
}

export class EventsClient {
  constructor(private http: ContainerdHttp) {}

  /** Events after `since`, then live ones until `signal` aborts. */
  async *subscribe(since: number | undefined, signal: AbortSignal): AsyncGenerator<Event> {
    const resp = await this.http.request("GET", "/v1/events", {
      query: { since: since === undefined ? undefined : String(since) },
      signal,
    });
    for await (const line of ndjsonLines(resp, "events")) yield line as Event;
  }
}
