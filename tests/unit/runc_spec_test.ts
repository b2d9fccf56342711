import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { defaultSpec, specToJson, writeSpec } from "../../src/runc/spec.ts";
import { command, missing } from "../helpers/require.ts";

const RUNC = "/usr/sbin/runc";

async function runcSpec(args: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "engine-spec-" });
  try {
    const out = await new Deno.Command(RUNC, { args: ["spec", ...args], cwd: dir }).output();
    if (!out.success) throw new Error(`runc spec failed: ${new TextDecoder().decode(out.stderr)}`);
    return await Deno.readTextFile(`${dir}/config.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const rootless of [false, true]) {
  const args = rootless ? ["--rootless"] : [];
  Deno.test({
    name: `defaultSpec(${rootless ? "rootless" : "root"}) equals runc spec ${args.join(" ")}`,
    ignore: missing(command(RUNC)),
    async fn() {
      const theirs = await runcSpec(args);
      const ours = specToJson(defaultSpec({ rootless }));
      assertEquals(JSON.parse(ours), JSON.parse(theirs));
      assertEquals(ours, theirs, "byte-identical output, key order and tabs included");
    },
  });
}

Deno.test("rootless spec maps the given ids and drops resources and the network ns", () => {
  const spec = defaultSpec({ rootless: true, uid: 1000, gid: 1001 });
  assertEquals(spec.linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assertEquals(spec.linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  assertEquals(spec.linux.resources, undefined);
  assertEquals(
    spec.linux.namespaces.map((n: { type: string }) => n.type),
    ["pid", "ipc", "uts", "mount", "user"],
  );
});

Deno.test("writeSpec writes config.json into the bundle and refuses to overwrite it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-spec-" });
  try {
    const path = await writeSpec({ bundle: dir });
    assertEquals(path, `${dir}/config.json`);
    const text = await Deno.readTextFile(path);
    assertEquals(text.startsWith('{\n\t"ociVersion": "1.0.2-dev",'), true);
    assertEquals(text.endsWith("}"), true);
    await rejects(() => writeSpec({ bundle: dir }), {
      message: "File config.json exists. Remove it first",
    });
    assertEquals(await Deno.readTextFile(path), text, "existing file untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
