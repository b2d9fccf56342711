// `engine runc features` against Debian's runc: the same shape, names runc knows, and only
// what our runtime actually applies.
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { features } from "../../src/runc/features.ts";
import { parseMountOptions } from "../../src/runc/mount_options.ts";
import { command, missing } from "../helpers/require.ts";
import { ENGINE } from "../helpers/engine.ts";

const RUNC = "/usr/sbin/runc";

async function featuresOf(cmd: string, args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("runc features: every listed mount option is applied, none passed on as fs data", () => {
  const listed = features().mountOptions as string[];
  for (const o of ["rro", "rnosuid", "rbind", "nosymfollow", "lazytime", "rslave", "tmpcopyup"]) {
    ok(listed.includes(o), o);
  }
  for (const o of listed) assertEquals(parseMountOptions([o]).data, "", o);
  // An fs-specific option is not an option of the runtime: it goes to mount(2)'s data.
  assertEquals(parseMountOptions(["size=1m", "rro"]).data, "size=1m");
});

Deno.test("runc features: recursive access-time options clear the whole atime field", () => {
  const noatime = parseMountOptions(["rnoatime"]);
  assertEquals([noatime.recursiveSet, noatime.recursiveClear], [0x10, 0x70]);
  const ro = parseMountOptions(["rro", "rnosuid", "rrw"]);
  assertEquals([ro.recursiveSet, ro.recursiveClear], [0x3, 0x1]);
  assertEquals(parseMountOptions(["ro"]).recursiveSet, 0);
});

Deno.test({
  name: "runc features: the same JSON shape and names as Debian's runc, no more than it knows",
  ignore: missing(command(RUNC)),
  async fn() {
    const ours = await featuresOf(ENGINE, ["runc", "features"]);
    const theirs = await featuresOf(RUNC, ["features"]);
    assertEquals(Object.keys(ours).sort(), Object.keys(theirs).sort());
    assertEquals(ours.hooks, theirs.hooks);
    assertEquals([ours.ociVersionMin, ours.ociVersionMax], [
      theirs.ociVersionMin,
      theirs.ociVersionMax,
    ]);
    const [ol, tl] = [ours.linux, theirs.linux] as Record<string, Record<string, unknown>>[];
    assertEquals(ol.namespaces, tl.namespaces);
    assertEquals(ol.capabilities, tl.capabilities);
    assertEquals(ours.mountOptions, theirs.mountOptions);
    for (const k of ["actions", "operators", "archs"] as const) {
      const theirList = new Set(tl.seccomp[k] as string[]);
      for (const v of (ol.seccomp as Record<string, string[]>)[k]) ok(theirList.has(v), v);
    }
  },
});
