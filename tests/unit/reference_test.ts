// Reference parsing, table-driven, with cases from distribution/reference's own tests
// (reference_test.go, normalize_test.go) and what `docker pull` prints.

import assert from "node:assert/strict";
import {
  familiarName,
  familiarString,
  parseDigest,
  parseNormalized,
  parseNormalizedNamed,
  parseReference,
  referenceString,
  validateTag,
} from "../../src/lib/reference.ts";

const H64 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const D = `sha256:${H64}`;
const lower = "invalid reference format: repository name must be lowercase";
const bad = "invalid reference format";

// input → [full string, familiar string] | error message
const normalized: [string, [string, string] | string][] = [
  ["busybox", ["docker.io/library/busybox:latest", "busybox:latest"]],
  ["ubuntu:18.04", ["docker.io/library/ubuntu:18.04", "ubuntu:18.04"]],
  ["library/ubuntu", ["docker.io/library/ubuntu:latest", "ubuntu:latest"]],
  ["docker.io/library/ubuntu", ["docker.io/library/ubuntu:latest", "ubuntu:latest"]],
  ["docker.io/ubuntu", ["docker.io/library/ubuntu:latest", "ubuntu:latest"]],
  ["index.docker.io/foo", ["docker.io/library/foo:latest", "foo:latest"]],
  ["index.docker.io/user/foo", ["docker.io/user/foo:latest", "user/foo:latest"]],
  ["user/app:1.0", ["docker.io/user/app:1.0", "user/app:1.0"]],
  ["library/a/b", ["docker.io/library/a/b:latest", "library/a/b:latest"]],
  ["localhost/ubuntu", ["localhost/ubuntu:latest", "localhost/ubuntu:latest"]],
  ["localhost:5000/ubuntu", ["localhost:5000/ubuntu:latest", "localhost:5000/ubuntu:latest"]],
  ["127.0.0.1:5000/x:1", ["127.0.0.1:5000/x:1", "127.0.0.1:5000/x:1"]],
  ["example.com/a/b/c:tag", ["example.com/a/b/c:tag", "example.com/a/b/c:tag"]],
  ["foo/foo_bar.com:8080", ["docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"]],
  ["foo_bar.com:8080", ["docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"]],
  ["localhost:8080", ["docker.io/library/localhost:8080", "localhost:8080"]],
  ["127.0.0.1:5000", ["docker.io/library/127.0.0.1:5000", "127.0.0.1:5000"]],
  ["lowercase:Uppercase", ["docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"]],
  ["xn--n3h.com/myimage:xn--n3h.com", [
    "xn--n3h.com/myimage:xn--n3h.com",
    "xn--n3h.com/myimage:xn--n3h.com",
  ]],
  ["foo/bar__baz", ["docker.io/foo/bar__baz:latest", "foo/bar__baz:latest"]],
  ["foo/bar--baz", ["docker.io/foo/bar--baz:latest", "foo/bar--baz:latest"]],
  ["foo/b.a_r-baz", ["docker.io/foo/b.a_r-baz:latest", "foo/b.a_r-baz:latest"]],
  [`busybox@${D}`, [`docker.io/library/busybox@${D}`, `busybox@${D}`]],
  [`busybox:1@${D}`, [`docker.io/library/busybox:1@${D}`, `busybox:1@${D}`]],
  [`Example.COM:5000/a@${D}`, [`Example.COM:5000/a@${D}`, `Example.COM:5000/a@${D}`]],
  [`a:${"t".repeat(128)}`, [`docker.io/library/a:${"t".repeat(128)}`, `a:${"t".repeat(128)}`]],
  ["Uppercase:tag", lower],
  ["UPPERCASE", lower],
  ["test:5000/Uppercase/lowercase:tag", lower],
  ["docker.io/Library/ubuntu", lower],
  ["", bad],
  [":justtag", bad],
  [`@${D}`, bad],
  ["aa/asdf$$^/aa", bad],
  ["foo/bar___baz", bad],
  ["foo/-bar", bad],
  ["foo/bar-", bad],
  ["-foo", bad],
  ["foo:", bad],
  ["foo:-tag", bad],
  ["foo:.tag", bad],
  ["foo:a b", bad],
  ["https://docker.io/busybox", bad],
  [`a:${"t".repeat(129)}`, bad],
  [`foo@sha256:${"f".repeat(63)}`, "invalid checksum digest length"],
  [`foo@sha256:${"F".repeat(64)}`, "invalid checksum digest format"],
  [`foo@md5:${"f".repeat(32)}`, "unsupported digest algorithm"],
  [`validname@invaliddigest:${H64}`, "unsupported digest algorithm"],
  [H64, `invalid repository name (${H64}), cannot specify 64-byte hexadecimal strings`],
  [
    `${"a/".repeat(127)}aa`,
    "repository name must not be more than 255 characters",
  ],
];

Deno.test("reference: normalized parsing matches docker", async (t) => {
  for (const [input, want] of normalized) {
    await t.step(input.length > 60 ? `${input.slice(0, 60)}…` : input || "(empty)", () => {
      if (typeof want === "string") {
        assert.throws(() => parseNormalized(input), (err: Error) => {
          assert.equal(err.message, want);
          return true;
        });
        return;
      }
      const ref = parseNormalized(input);
      assert.equal(referenceString(ref), want[0]);
      assert.equal(familiarString(ref), want[1]);
    });
  }
});

Deno.test("reference: components and defaults", () => {
  const r = parseNormalized("127.0.0.1:5000/team/app");
  assert.deepEqual(r, { domain: "127.0.0.1:5000", path: "team/app", tag: "latest" });
  assert.equal(familiarName(r), "127.0.0.1:5000/team/app");
  const d = parseNormalized(`busybox@${D}`);
  assert.equal(d.tag, undefined, "a digest reference gets no default tag");
  assert.equal(d.digest, D);
  assert.equal(parseNormalizedNamed("busybox").tag, undefined);
  assert.equal(familiarName(parseNormalized("docker.io/library/a/b")), "library/a/b");
});

Deno.test("reference: plain Parse keeps the first component as the domain", () => {
  assert.deepEqual(parseReference("busybox"), { domain: "", path: "busybox" });
  assert.deepEqual(parseReference("a/b:c"), { domain: "a", path: "b", tag: "c" });
  assert.throws(() => parseReference(""), /repository name must have at least one component/);
  assert.deepEqual(parseReference("A/b"), { domain: "A", path: "b" }); // domains may be uppercase
  assert.throws(() => parseReference("a/B"), /repository name must be lowercase/);
});

Deno.test("reference: tags and digests alone", () => {
  assert.equal(validateTag("v1.0_rc-2"), "v1.0_rc-2");
  assert.throws(() => validateTag("-x"), /invalid tag format/);
  assert.equal(parseDigest(D), D);
  assert.equal(parseDigest(`sha512:${"a".repeat(128)}`), `sha512:${"a".repeat(128)}`);
  assert.throws(() => parseDigest("sha256"), /invalid checksum digest format/);
  assert.throws(() => parseDigest(`sha256:${"g".repeat(64)}`), /invalid checksum digest format/);
});
