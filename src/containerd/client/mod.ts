// The client of `engine containerd`: the only way the daemon reaches it.
import { ContainerdHttp } from "./http.ts";
import { ImagesClient } from "./images.ts";
import { ContainersClient, EventsClient, TasksClient } from "./tasks.ts";

export class ContainerdClient implements Disposable {
  readonly http: ContainerdHttp;
  readonly images: ImagesClient;
  readonly containers: ContainersClient;
  readonly tasks: TasksClient;
  readonly events: EventsClient;

  constructor(socket: string) {
    this.http = new ContainerdHttp(socket);
    this.images = new ImagesClient(this.http);
    this.containers = new ContainersClient(this.http);
    this.tasks = new TasksClient(this.http);
    this.events = new EventsClient(this.http);
  }

  /** Is containerd answering on its socket? */
  async ping(): Promise<boolean> {
    try {
      await (await this.http.request("GET", "/v1/version")).body?.cancel();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.http.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export type { NewContainer } from "./tasks.ts";
