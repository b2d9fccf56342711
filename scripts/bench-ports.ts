// scripts/bench ports: TCP throughput through a published port, ours vs Debian's dockerd as
// shipped (iptables on, userland proxy on: docker-proxy relays 127.0.0.1, DNAT serves the
// host's other addresses; ours is DNAT for both). A container on each side runs
// `nc -l -p 80 -e dd of=/dev/null bs=1M` in a loop; the host sends a bounded amount of zeros
// through 127.0.0.1:hostport, the host's own address, and (as the control, no NAT) the
// container's address, interleaved; prints medians (MiB/s) and ratios. Nothing leaves the machine (no masquerade on either side).
//
//   deno run -A scripts/bench-ports.ts [--runs N] [--mib 1024] [--proxy]
// --proxy runs ours with --userland-proxy=true (our in-daemon relay for loopback).
import { parseArgs } from "node:util";
import { ENGINE, startDaemon } from "../tests/helpers/daemon.ts";
import { makeBusyboxRootfs } from "../tests/helpers/rootfs.ts";
import { startDockerd, unmountUnder } from "./lib/dockerd.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "3" },
    mib: { type: "string", default: "1024" },
    proxy: { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs), MIB = Number(values.mib);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// nc hands the connection to dd: busybox nc's own small reads would be the bottleneck.
const SERVER = "while :; do nc -l -p 80 -e dd of=/dev/null bs=1M 2>/dev/null; done";

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Sends MIB MiB to host:port and waits for the server to close: MiB/s. */
async function transfer(host: string, port: number): Promise<number> {
  let conn: Deno.TcpConn | undefined;
  for (let i = 0; i < 100 && !conn; i++) {
    conn = await Deno.connect({ hostname: host, port }).catch(() => undefined);
    if (!conn) await new Promise((r) => setTimeout(r, 20));
  }
  if (!conn) throw new Error(`connect ${host}:${port} failed`);
  const chunk = new Uint8Array(1 << 20);
  const t0 = performance.now();
  for (let i = 0; i < MIB; i++) {
    for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
  }
  await conn.closeWrite();
  const sink = new Uint8Array(4096);
  while (await conn.read(sink) !== null) { /* until the server closes */ }
  const ms = performance.now() - t0;
  conn.close();
  return MIB / (ms / 1000);
}

const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "ebports" });
const tag = crypto.randomUUID().slice(0, 4);
const bridge = `ebp${tag}`;
const octet = 1 + Math.floor(Math.random() * 250);
const ours = await startDaemon(values.proxy ? ["--userland-proxy=true"] : []);
let theirs;
try {
  await sh("ip", "link", "add", bridge, "type", "bridge");
  await sh("ip", "addr", "add", `10.201.${octet}.1/24`, "dev", bridge);
  await sh("ip", "link", "set", bridge, "up");
  theirs = await startDockerd(`${tmp}/docker`, { bridge });
  await makeBusyboxRootfs(`${tmp}/bb`);
  const tar = await new Deno.Command("tar", {
    args: ["-C", `${tmp}/bb`, "-c", "."],
    stdout: "piped",
  })
    .output();
  await theirs.docker(["import", "-", "busybox:latest"], tar.stdout);
  const base = 21000 + Math.floor(Math.random() * 8000);
  let r = await ours.docker(ENGINE, [
    "run",
    "-d",
    "-p",
    `${base}:80`,
    "busybox",
    "sh",
    "-c",
    SERVER,
  ]);
  if (r.code !== 0) throw new Error(`engine run: ${r.err}`);
  await theirs.docker(["run", "-d", "-p", `${base + 1}:80`, "busybox", "sh", "-c", SERVER]);
  const ipOf = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}";
  r = await ours.docker(ENGINE, ["inspect", "-f", ipOf, r.out.trim()]);
  const ourIp = r.out.trim();
  const theirIp =
    (await theirs.docker(["inspect", "-f", ipOf, (await theirs.docker(["ps", "-q"])).trim()]))
      .trim();
  const addr = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(
    await sh("ip", "-4", "-o", "addr", "show", "scope", "global"),
  )?.[1];
  // Each path: label, and the address:port of ours and theirs. The container's own address
  // (no NAT) is the control: what the veth and the server give without any rule.
  const paths: [string, string, number, string, number][] = [
    ["loopback", "127.0.0.1", base, "127.0.0.1", base + 1],
    ...(addr
      ? [["host address", addr, base, addr, base + 1] as [string, string, number, string, number]]
      : []),
    ["container (no NAT)", ourIp, 80, theirIp, 80],
  ];
  // A warm-up transfer each (connection tracking, page cache of the image).
  await transfer("127.0.0.1", base);
  await transfer("127.0.0.1", base + 1);
  console.log(`TCP throughput through a published port, ${MIB} MiB per transfer, ${RUNS} runs:`);
  for (const [label, ourHost, ourPort, theirHost, theirPort] of paths) {
    const e: number[] = [], d: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      e.push(await transfer(ourHost, ourPort));
      d.push(await transfer(theirHost, theirPort));
    }
    const me = median(e), md = median(d);
    console.log(
      `  ${label.padEnd(18)} engine ${me.toFixed(0)} MiB/s   docker ${md.toFixed(0)} MiB/s   ` +
        `ratio ${(me / md).toFixed(2)}`,
    );
  }
  for (const id of (await ours.docker(ENGINE, ["ps", "-aq"])).out.trim().split("\n")) {
    if (id) await ours.docker(ENGINE, ["rm", "-f", id]);
  }
  const left = (await theirs.docker(["ps", "-aq"])).trim().split("\n").filter(Boolean);
  if (left.length) await theirs.docker(["rm", "-f", ...left]);
} finally {
  await ours.close();
  await theirs?.close();
  // dockerd keeps its bridge's rules when it stops: remove those naming our bridge.
  const save = await sh("iptables-save");
  let table = "";
  const del: Record<string, string[]> = {};
  for (const l of save.split("\n")) {
    if (l.startsWith("*")) table = l.slice(1);
    else if (l.startsWith("-A ") && new RegExp(`\\b${bridge}\\b|10\\.201\\.${octet}\\.`).test(l)) {
      (del[table] ??= []).push(`-D ${l.slice(3)}`);
    }
  }
  const script = Object.entries(del).map(([t, ls]) => `*${t}\n${ls.join("\n")}\nCOMMIT\n`).join("");
  if (script) {
    const p = new Deno.Command("iptables-restore", { args: ["--noflush"], stdin: "piped" }).spawn();
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(script));
    await w.close();
    await p.status;
  }
  await sh("ip", "link", "del", bridge).catch(() => {});
  await unmountUnder(tmp);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
