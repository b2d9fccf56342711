// The shim's client, used by containerd (see protocol.ts for the routes).
import type { CreateRequest, ExecRequest, ExitInfo, KillRequest, TaskState } from "./protocol.ts";

export class ShimError extends Error {
  constructor(readonly status: number, readonly kind: string, message: string) {
    super(message);
  }
}

/** The shim is unreachable (dead, or not yet listening). */
export class ShimGone extends Error {}

export class ShimClient {
  #http: Deno.HttpClient;

  constructor(readonly socket: string) {
    this.#http = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  }

  async #call(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    let res: Response;
    const stream = body instanceof ReadableStream;
    try {
      // An IP literal: over a unix-socket proxy Deno still resolves the URL's host name, and
      // a name ("containerd", "shim") stalls 5 s whenever this host's DNS does not answer.
      res = await fetch(`http://127.0.0.1${path}`, {
        method,
        client: this.#http,
        body: body === undefined ? undefined : stream ? body : JSON.stringify(body),
        headers: body === undefined || stream ? undefined : { "content-type": "application/json" },
        signal,
        ...(stream ? { duplex: "half" } : {}),
      } as RequestInit);
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ShimGone(`shim ${this.socket}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const err = await res.json().catch(() => ({}));
      throw new ShimError(
        res.status,
        err.kind ?? "internal",
        err.message ?? `shim: HTTP ${res.status}`,
      );
    }
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return await (await this.#call(method, path, body, signal)).json() as T;
  }

  /** Gives an unassigned shim its container; it moves its socket to `socket`. */
  adopt(
    req: {
      id: string;
      bundle: string;
      work: string;
      socket: string;
      runtime: { path: string; args: string[] };
    },
  ) {
    return this.#json<{ pid: number }>("POST", "/adopt", req);
  }
  create(req: CreateRequest) {
    return this.#json<{ pid: number }>("POST", "/create", req);
  }
  start() {
    return this.#json<{ pid: number }>("POST", "/start");
  }
  exec(req: ExecRequest) {
    return this.#json<{ pid: number }>("POST", "/exec", req);
  }
  kill(req: KillRequest) {
    return this.#json<Record<string, never>>("POST", "/kill", req);
  }
  wait(exec?: string, signal?: AbortSignal) {
    return this.#json<ExitInfo>("GET", `/wait${q(exec)}`, undefined, signal);
  }
  delete(exec?: string) {
    return this.#json<ExitInfo>("POST", `/delete${q(exec)}`);
  }
  state() {
    return this.#json<TaskState>("GET", "/state");
  }
  async pids(): Promise<number[]> {
    return (await this.#json<{ pids: number[] }>("GET", "/pids")).pids;
  }
  stats() {
    return this.#json<Record<string, unknown>>("GET", "/stats");
  }
  update(resources: Record<string, unknown>) {
    return this.#json("POST", "/update", { resources });
  }
  pause() {
    return this.#json("POST", "/pause");
  }
  resume() {
    return this.#json("POST", "/resume");
  }
  resize(width: number, height: number, exec?: string) {
    return this.#json("POST", "/resize", { exec, width, height });
  }
  closeStdin(exec?: string) {
    return this.#json("POST", `/close-stdin${q(exec)}`);
  }
  /** Streams `body` into the process's stdin; `close` ends it with EOF. */
  async stdin(body: ReadableStream<Uint8Array>, close: boolean, exec?: string) {
    const p = new URLSearchParams();
    if (exec) p.set("exec", exec);
    if (close) p.set("close", "1");
    await (await this.#call("POST", `/stdin?${p}`, body)).body?.cancel();
  }
  /** Live output: raw with a tty, Docker's multiplexed frames otherwise. */
  async attach(streams: { stdout: boolean; stderr: boolean }, exec?: string, signal?: AbortSignal) {
    const p = new URLSearchParams();
    if (exec) p.set("exec", exec);
    if (streams.stdout) p.set("stdout", "1");
    if (streams.stderr) p.set("stderr", "1");
    return (await this.#call("GET", `/attach?${p}`, undefined, signal)).body!;
  }
  shutdown() {
    return this.#json("POST", "/shutdown");
  }
  close() {
    this.#http.close();
  }
}

function q(exec?: string): string {
  return exec ? `?exec=${encodeURIComponent(exec)}` : "";
}
