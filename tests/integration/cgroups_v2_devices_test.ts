// cgroup v2 device rules for real: the v2 manager's setResources compiles linux.resources.devices
// into an eBPF program, the kernel's verifier loads it, and it is attached to a fresh cgroup
// of this host's cgroup2 mount (/sys/fs/cgroup/unified on hybrid hosts, where device programs
// work on any cgroup). A busybox shell moves itself into the cgroup and then tries devices:
// what the rules allow opens, the rest fails with EPERM. An update replaces the program.
// The cgroup is removed whatever happens; the hierarchy's controllers are not touched.

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { denoFs } from "../../src/runc/cgroups/fs.ts";
import { parseMountinfo } from "../../src/runc/cgroups/layout.ts";
import { V2Manager } from "../../src/runc/cgroups/v2.ts";
import { deviceProgramIds, loadDeviceProgram } from "../../src/sys/bpf.ts";
import { close } from "../../src/sys/libc.ts";
import {
  DEVICE_PROGRAM_LICENSE,
  deviceFilter,
  encodeProgram,
} from "../../src/runc/cgroups/device_filter.ts";
import { DEFAULT_ALLOWED_DEVICES } from "../../src/runc/cgroups/devices.ts";
import { command, missing, root } from "../helpers/require.ts";

function unifiedMount(): { mountpoint: string; root: string } | undefined {
  try {
    return parseMountinfo(Deno.readTextFileSync("/proc/self/mountinfo")).unified;
  } catch {
    return undefined;
  }
}

const unified = unifiedMount();

/** Runs `script` in a busybox shell that first joins `dir`; one line of output per probe. */
async function probe(dir: string, script: string): Promise<string[]> {
  const out = await new Deno.Command("/bin/busybox", {
    args: ["sh", "-c", `echo $$ > ${dir}/cgroup.procs || exit 99\n${script}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(out.code, 0, `probe shell exited ${out.code}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

// `ok NAME` or `denied NAME` for each attempt.
const PROBES = `
try() { name=$1; shift; if "$@" 2>/dev/null; then echo "ok $name"; else echo "denied $name"; fi; }
try read-null head -c1 /dev/null
try read-zero sh -c 'head -c1 /dev/zero >/dev/null'
try write-zero sh -c 'echo x > /dev/zero'
try read-full sh -c 'head -c1 /dev/full >/dev/null'
try mknod-char mknod "$T/c" c 1 7
try mknod-block mknod "$T/b" b 7 0
`;

Deno.test({
  name: "cgroups v2: device rules become a BPF program the kernel enforces; update replaces it",
  ignore: missing(
    root(),
    command("/bin/busybox"),
    { ok: !!unified, reason: "needs a cgroup2 mount", never: true },
  ),
  async fn() {
    const path = `/engine-devtest-${crypto.randomUUID().slice(0, 8)}`;
    const m = new V2Manager(denoFs, unified!, path, "/");
    const tmp = await Deno.makeTempDir({ prefix: "engine-devtest-" });
    await Deno.mkdir(m.dir);
    try {
      await m.setResources({
        devices: [
          { allow: false, access: "rwm" },
          { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
          { allow: true, type: "c", major: 1, minor: 5, access: "r" }, // /dev/zero, read only
          { allow: true, type: "c", major: null, minor: null, access: "m" },
        ],
      });
      assertEquals(deviceProgramIds(m.dir).length, 1);
      assertEquals(await probe(m.dir, `T=${tmp}\n${PROBES}`), [
        "ok read-null",
        "ok read-zero",
        "denied write-zero",
        "denied read-full",
        "ok mknod-char",
        "denied mknod-block",
      ]);

      await Deno.remove(`${tmp}/c`);
      await m.setResources({ devices: [{ allow: true, access: "rwm" }] });
      assertEquals(deviceProgramIds(m.dir).length, 1, "replaced, not added");
      assertEquals(await probe(m.dir, `T=${tmp}\n${PROBES}`), [
        "ok read-null",
        "ok read-zero",
        "ok write-zero",
        "ok read-full",
        "ok mknod-char",
        "ok mknod-block",
      ]);
    } finally {
      await m.destroy().catch((e) => console.error(`cleanup: ${e}`));
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "cgroups v2: the verifier accepts the programs of runc's default and other rule sets",
  ignore: missing(root()),
  fn() {
    for (
      const rules of [
        [{ allow: false, access: "rwm" }, ...DEFAULT_ALLOWED_DEVICES],
        [{ allow: true }],
        [{ allow: true }, { allow: false, type: "b", major: 8, minor: null, access: "rw" }],
        [{ allow: false }, ...DEFAULT_ALLOWED_DEVICES.map((r) => ({ ...r, access: "r" }))],
      ]
    ) {
      close(loadDeviceProgram(encodeProgram(deviceFilter(rules)), DEVICE_PROGRAM_LICENSE));
    }
  },
});
