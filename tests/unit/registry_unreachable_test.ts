import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { unreachable } from "../../src/containerd/registry/transport.ts";

const fetchError = (cause: string) => new TypeError("fetch failed", { cause: new Error(cause) });

Deno.test("an unreachable registry is one line naming it, its reason and the offline way", () => {
  const dns = fetchError(
    "error sending request for url (https://r.example/v2/): client error (Connect): dns error: " +
      "failed to lookup address information: Name or service not known",
  );
  assertEquals(
    unreachable("r.example", "GET https://r.example/v2/x/manifests/1", dns),
    "registry r.example is unreachable (GET https://r.example/v2/x/manifests/1: dns error: " +
      "failed to lookup address information: Name or service not known); without a registry, " +
      "an image can be added with 'engine load' or 'engine import'",
  );
  const tls = fetchError("client error (Connect): invalid peer certificate: UnknownIssuer");
  assertEquals(
    unreachable("h:5000", "GET https://h:5000/v2/", tls),
    "registry h:5000 is unreachable (GET https://h:5000/v2/: x509: certificate signed by " +
      "unknown authority); without a registry, an image can be added with 'engine load' or " +
      "'engine import'",
  );
  const line = unreachable("h", "GET x", new Error("connection refused"));
  assertEquals(line.includes("\n"), false);
});
