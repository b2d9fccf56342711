// A real `engine containerd` process for integration tests: its own short temp root and
// state (socket paths are limited to 107 bytes), a busybox snapshot committed before it
// starts, and teardown that leaves no process, mount or directory behind.
import { OverlaySnapshotter } from "../../src/containerd/snapshots/mod.ts";
import { defaultSpec } from "../../src/runc/spec.ts";
import { setChildSubreaper } from "../../src/sys/libc.ts";
import { makeBusyboxRootfs } from "./rootfs.ts";

import { ENGINE } from "./engine.ts";
export { ENGINE };

export interface ContainerdProcess {
  dir: string;
  socket: string;
  child: Deno.ChildProcess;
  // deno-lint-ignore no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Restarts the process (after `kill9`), keeping root and state. */
  restart(): Promise<void>;
  kill9(): Promise<void>;
  close(): Promise<void>;
}

let subreaper = false;

async function spawn(dir: string, socket: string, extra: string[]): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(ENGINE, {
    args: [
      "containerd",
      "--root",
      `${dir}/root`,
      "--state",
      `${dir}/st`,
      "--address",
      socket,
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!value || !new TextDecoder().decode(value).includes("serving")) {
    throw new Error(
      `containerd did not start: ${value ? new TextDecoder().decode(value) : "no output"}`,
    );
  }
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  return child;
}

/** Starts containerd with a committed snapshot "busybox". */
export async function startContainerd(extra: string[] = []): Promise<ContainerdProcess> {
  if (!subreaper) {
    // Shims outlive a killed containerd: as subreaper we adopt them instead of pid 1.
    setChildSubreaper();
    subreaper = true;
  }
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ec" });
  const sn = await OverlaySnapshotter.open(`${dir}/root/snapshots`);
  await sn.prepare("tmp");
  await makeBusyboxRootfs(sn.writableDir("tmp"));
  await sn.commit("busybox", "tmp");
  sn.close();
  const socket = `${dir}/c.sock`;
  let child = await spawn(dir, socket, extra);
  const http = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  const p: ContainerdProcess = {
    dir,
    socket,
    get child() {
      return child;
    },
    async call(method, path, body) {
      const res = await fetch(`http://127.0.0.1${path}`, {
        method,
        client: http,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async restart() {
      child = await spawn(dir, socket, extra);
    },
    async kill9() {
      child.kill("SIGKILL");
      await child.status;
    },
    async close() {
      // Delete whatever tasks are left (through the client, so before closing it), then stop
      // containerd.
      try {
        const tasks = (await p.call("GET", "/v1/tasks")).json as string[];
        for (const id of tasks) {
          await p.call("POST", `/v1/tasks/${id}/kill`, { signal: 9, all: true }).catch(() => {});
          await p.call("GET", `/v1/tasks/${id}/wait`).catch(() => {});
          await p.call("DELETE", `/v1/tasks/${id}`).catch(() => {});
        }
      } catch { /* containerd is gone */ }
      http.close();
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
      await killLeftovers(dir);
      const mounts = await Deno.readTextFile("/proc/self/mountinfo");
      for (const line of mounts.split("\n").reverse()) {
        const target = line.split(" ")[4];
        if (target?.startsWith(dir)) {
          await new Deno.Command("umount", { args: ["-l", target] }).output();
        }
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return p;
}

/** Kills (by pid) any process whose command line names `dir`: shims a failed test left. */
export async function killLeftovers(dir: string) {
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.includes(dir)) {
      try {
        Deno.kill(Number(e.name), "SIGKILL");
      } catch { /* gone */ }
    }
  }
}

/** A runc-style default spec running `args`, without a terminal. */
export function specFor(args: string[], terminal = false) {
  const s = defaultSpec();
  s.process.terminal = terminal;
  s.process.args = args;
  return s;
}
