// What every part of `engine daemon` shares: options, the containerd client, the container
// store, events, execs, per-container locks, and the notifications waits and attaches use.
import type { ContainerdClient } from "../containerd/client/mod.ts";
import { ContainerStore } from "./containers/store.ts";
import { Events } from "./events.ts";
import type { ExecStore } from "./exec/store.ts";
import { KeyedLock } from "./lock.ts";

export interface DaemonOptions {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  containerdSocket: string;
  /** Runtimes besides the built-in ones (name → path), passed on to containerd. */
  runtimes: Record<string, string>;
  defaultRuntime: string;
  /** Containers' IpcMode and ShmSize when they name none. */
  defaultIpcMode: "private" | "shareable";
  defaultShmSize: number;
  liveRestore: boolean;
  /** --debug: log at debug level whatever --log-level says. */
  debug: boolean;
  logLevel: string;
  logFormat: "text" | "json";
  /** The daemon's labels (KEY=VALUE), shown by `info`. */
  labels: string[];
  /** Seconds shutdown waits for containers to stop before it goes on without them. */
  shutdownTimeout: number;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** TLS on tcp listeners: `tls` serves TLS; `tlsVerify` also requires client certificates. */
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Image registries: mirrors of docker.io, and hosts reached over plain http / unverified TLS. */
  registryMirrors: string[];
  insecureRegistries: string[];
  /** Default log driver and options for containers that name none. */
  logDriver: string;
  logOpts: Record<string, string>;
  /** Networking (dockerd's bridge driver options). */
  network: NetworkOptions;
}

export interface AddressPool {
  base: string;
  size: number;
}

export interface NetworkOptions {
  /** The default network's Linux bridge (--bridge). */
  bridgeName: string;
  /** The default bridge's address and prefix (e.g. "172.17.0.1/16"); from the pools when unset. */
  bip?: string;
  defaultAddressPools: AddressPool[];
  /** Manage netfilter rules (port publishing, masquerade, isolation). */
  iptables: boolean;
  /** Masquerade traffic leaving bridge networks. */
  ipMasq: boolean;
  /** Publish ports with a userland proxy instead of DNAT for loopback. */
  userlandProxy: boolean;
  /** Default host address published ports bind to. */
  defaultBindIp: string;
  mtu: number;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export type ContainerSignal = "start" | "exit" | "removed";

/** Hooks run right after a container's task is created, before it starts (attach). */
export type TaskHook = () => Promise<void>;

export class Daemon {
  readonly store: ContainerStore;
  readonly events = new Events();
  readonly lock = new KeyedLock();
  execs!: ExecStore;
  readonly startedAt = new Date();
  /** Set once shutdown began: exits no longer trigger restarts. */
  shuttingDown = false;
  #signals = new Map<string, Set<(s: ContainerSignal) => void>>();
  #taskHooks = new Map<string, Set<TaskHook>>();
  /** Timers of scheduled restarts, by container id. */
  readonly restartTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Stops a container's health checks, by container id. */
  readonly healthStops = new Map<string, () => void>();

  constructor(readonly opts: DaemonOptions, readonly containerd: ContainerdClient) {
    this.store = new ContainerStore(`${opts.dataRoot}/containers`);
  }

  /** Calls `fn` on each state signal of container `id` until the returned function is called. */
  onSignal(id: string, fn: (s: ContainerSignal) => void): () => void {
    let set = this.#signals.get(id);
    if (!set) this.#signals.set(id, set = new Set());
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (!set!.size) this.#signals.delete(id);
    };
  }

  signal(id: string, s: ContainerSignal): void {
    for (const fn of [...(this.#signals.get(id) ?? [])]) fn(s);
  }

  /** Registers `hook` for the next task creation of `id` (attach before start). */
  onTaskCreated(id: string, hook: TaskHook): () => void {
    let set = this.#taskHooks.get(id);
    if (!set) this.#taskHooks.set(id, set = new Set());
    set.add(hook);
    return () => set!.delete(hook);
  }

  async runTaskHooks(id: string): Promise<void> {
    const set = this.#taskHooks.get(id);
    if (!set) return;
    this.#taskHooks.delete(id);
    await Promise.all([...set].map((h) => h().catch(() => {})));
  }
}
