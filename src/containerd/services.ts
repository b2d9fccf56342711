// What every part of `engine containerd` shares: its directories and stores, opened once.
import { ContentStore } from "./content/store.ts";
import { Metadata } from "./metadata/store.ts";
import { Registries } from "./registry/mod.ts";
import { OverlaySnapshotter } from "./snapshots/mod.ts";
import { EventLog } from "./events.ts";
import { configPath, loadDockerConfig } from "./registry/credentials.ts";
import { ContainerStore } from "./containers/store.ts";
import { Runtimes } from "./runtimes.ts";
import { TaskManager } from "./tasks/manager.ts";

export interface ContainerdOptions {
  /** Persistent state: content, metadata, snapshots (/var/lib/engine/containerd). */
  root: string;
  /** Runtime state: shim sockets, bundles (/run/engine/containerd). */
  state: string;
  /** The API socket. */
  address: string;
  /** Insecure registries (host, host:port, CIDR) besides 127.0.0.0/8. */
  insecureRegistries?: string[];
  /** certs.d roots for registry certificates (default /etc/docker/certs.d, /etc/engine/certs.d). */
  certsDirs?: string[];
  /** Extra runtimes, name=path. */
  runtimes?: string[];
}

export interface Services {
  opts: ContainerdOptions;
  content: ContentStore;
  meta: Metadata;
  snapshots: OverlaySnapshotter;
  registries: Registries;
  events: EventLog;
  containers: ContainerStore;
  runtimes: Runtimes;
  tasks: TaskManager;
}

export async function openServices(opts: ContainerdOptions): Promise<Services> {
  await Deno.mkdir(opts.root, { recursive: true, mode: 0o700 });
  await Deno.mkdir(opts.state, { recursive: true, mode: 0o711 });
  const content = new ContentStore(`${opts.root}/content`);
  await content.init();
  const meta = Metadata.open(`${opts.root}/meta.db`, content);
  const snapshots = await OverlaySnapshotter.open(`${opts.root}/snapshots`);
  const registries = new Registries({
    credentials: await loadDockerConfig(configPath()).catch(() => undefined),
    insecure: opts.insecureRegistries,
    certsDirs: opts.certsDirs?.length ? opts.certsDirs : undefined,
  });
  const events = new EventLog(meta.db);
  const containers = new ContainerStore(meta.db);
  const runtimes = new Runtimes(opts.runtimes);
  const tasks = new TaskManager(opts.state, containers, snapshots, runtimes, events);
  return { opts, content, meta, snapshots, registries, events, containers, runtimes, tasks };
}

export function closeServices(s: Services) {
  s.snapshots.close();
  s.meta.close();
}
