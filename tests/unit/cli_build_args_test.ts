// engine build's request as the docker CLI 28 sends it (query strings and X-Registry-Config
// recorded from docker 28 against a recording server).

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encodeQuery } from "../../src/cli/client.ts";
import type { Invocation } from "../../src/cli/command.ts";
import { findCommand } from "../../src/cli/command_table/mod.ts";
import { parseFlags } from "../../src/cli/flags.ts";
import { buildArgs, buildQuery, labels, registryConfigHeader } from "../../src/cli/verbs/build.ts";

function invocation(args: string[], config = ""): Invocation {
  const def = findCommand("build")!;
  const r = parseFlags(def.flags, args);
  return {
    def,
    path: "build",
    flags: r.flags,
    args: r.args,
    globals: {
      hosts: [],
      debug: false,
      logLevel: "info",
      config,
      tls: false,
      tlsverify: false,
      tlscacert: "",
      tlscert: "",
      tlskey: "",
    },
  };
}

Deno.test("the query: only what differs from the defaults, sorted, JSON maps with sorted keys", () => {
  assertEquals(
    encodeQuery(buildQuery(invocation(["."]), "Dockerfile")),
    "dockerfile=Dockerfile&version=1",
  );
  Deno.env.delete("B_UNSET_FOR_TEST");
  const all = invocation([
    "-t",
    "x:1",
    "--build-arg",
    "A=1",
    "--build-arg",
    "B_UNSET_FOR_TEST",
    "--label",
    "l=v",
    "--no-cache",
    "--pull",
    "--force-rm",
    "--target",
    "t",
    "--platform",
    "linux/amd64",
    ".",
  ]);
  assertEquals(
    encodeQuery(buildQuery(all, "Dockerfile")),
    "buildargs=%7B%22A%22%3A%221%22%2C%22B_UNSET_FOR_TEST%22%3Anull%7D&dockerfile=Dockerfile" +
      "&forcerm=1&labels=%7B%22l%22%3A%22v%22%7D&nocache=1&platform=linux%2Famd64&pull=1" +
      "&t=x%3A1&target=t&version=1",
  );
  assertEquals(
    encodeQuery(buildQuery(invocation(["-q", "--rm=false", "-t", "a", "-t", "b", "."]), "D")),
    "dockerfile=D&q=1&rm=0&t=a&t=b&version=1",
  );
});

Deno.test("--build-arg takes an unset value from the environment; --label without = is empty", () => {
  Deno.env.set("B1_BUILD_ARG_TEST", "from-env");
  try {
    assertEquals(buildArgs(["B1_BUILD_ARG_TEST", "X=", "Y=a=b", "Z"]), {
      B1_BUILD_ARG_TEST: "from-env",
      X: "",
      Y: "a=b",
      Z: Deno.env.get("Z") ?? null,
    });
  } finally {
    Deno.env.delete("B1_BUILD_ARG_TEST");
  }
  assertEquals(labels(["a=b", "c", "d=e=f"]), { a: "b", c: "", d: "e=f" });
});

Deno.test("X-Registry-Config: every stored credential, as docker 28 encodes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await registryConfigHeader(invocation(["."], dir)), "e30=");
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({
        auths: {
          "127.0.0.1:5000": { auth: "dXNlcjpwYXNz" },
          "https://index.docker.io/v1/": { auth: "YTpi", identitytoken: "tok" },
        },
      }),
    );
    assertEquals(
      await registryConfigHeader(invocation(["."], dir)),
      "eyIxMjcuMC4wLjE6NTAwMCI6eyJ1c2VybmFtZSI6InVzZXIiLCJwYXNzd29yZCI6InBhc3MiLCJzZXJ2ZXJhZG" +
        "RyZXNzIjoiMTI3LjAuMC4xOjUwMDAifSwiaHR0cHM6Ly9pbmRleC5kb2NrZXIuaW8vdjEvIjp7InVzZXJuYW1l" +
        "IjoiYSIsInBhc3N3b3JkIjoiYiIsInNlcnZlcmFkZHJlc3MiOiJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8i" +
        "LCJpZGVudGl0eXRva2VuIjoidG9rIn19",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
