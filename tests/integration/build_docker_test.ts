// Conformance with Debian's dockerd (20.10, its legacy builder): the same multi-stage
// Dockerfile built by the docker CLI with DOCKER_BUILDKIT=0 against ours and against a
// private dockerd (its own paths, stopped by pid) gives the same build output (ids aside)
// and the same files, owners and modes seen from inside a container; a rebuild takes every
// step from the cache on both. The base image is our busybox test image, saved from ours and
// loaded into dockerd.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { command, missing, root } from "../helpers/require.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { DOCKER, DOCKERD, startDockerd } from "../../scripts/lib/dockerd.ts";
import { MULTI_STAGE } from "../helpers/build_fixture.ts";

const ignore = missing(root(), command(DOCKER), command(DOCKERD));

/** Every file of the image but the kernel's and the daemon's mounts: name, owner, mode. */
const LISTING = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev " +
  "-o -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf " +
  // docker run's init layer (not the image's): /.dockerenv and the /etc/mtab link.
  "-o -path /.dockerenv -o -path /etc/mtab \\) -prune " +
  "-o -print | sort | while read f; do " +
  'if [ -f "$f" ] && [ ! -L "$f" ]; then stat -c \'%n %u:%g %a %F %s\' "$f"; ' +
  "else stat -c '%n %u:%g %a %F' \"$f\"; fi; done";

const normalize = (out: string) =>
  out.split("\n")
    .filter((l) => !l.startsWith("Sending build context"))
    .map((l) => l.replace(/\b[0-9a-f]{12}\b/g, "<id>"));

async function writeContext(dir: string) {
  const files: Record<string, string> = {
    Dockerfile: MULTI_STAGE,
    "data/a.txt": "a\n",
    "data/sub/b.txt": "b\n",
    "one.txt": "1\n",
    "two.txt": "2\n",
  };
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  await Deno.chmod(`${dir}/data/sub`, 0o750);
  await Deno.chmod(`${dir}/two.txt`, 0o600);
}

Deno.test(
  { name: "build conformance: docker CLI legacy builder on ours and on dockerd", ignore },
  async () => {
    const d = await startDaemon();
    const refDir = await Deno.makeTempDir({ prefix: "b2-dockerd-" });
    try {
      const ref = await startDockerd(refDir);
      try {
        const ctx = `${d.dir}/ctx`;
        await writeContext(ctx);
        const bbTar = `${d.dir}/bb.tar`;
        const saved = await d.docker(DOCKER, ["save", "-o", bbTar, "busybox:latest"]);
        assertEquals(saved.code, 0, saved.err);
        await ref.docker(["load", "-i", bbTar]);

        const env = { DOCKER_BUILDKIT: "0" };
        const run = async (host: string, args: string[]) => {
          const out = await new Deno.Command(DOCKER, {
            args,
            env: { ...env, DOCKER_HOST: host, DOCKER_CONFIG: `${refDir}/client` },
            stdout: "piped",
            stderr: "piped",
          }).output();
          const dec = new TextDecoder();
          assertEquals(out.code, 0, `${args.join(" ")}: ${dec.decode(out.stderr)}`);
          return dec.decode(out.stdout);
        };
        const sides = { ours: d.host, dockerd: ref.env.DOCKER_HOST };
        const build = [
          "build",
          "--network",
          "none",
          "-t",
          "ms:1",
          "--build-arg",
          "GREETING=hey",
          ctx,
        ];
        const first: Record<string, string> = {};
        const listing: Record<string, string> = {};
        const again: Record<string, string> = {};
        for (const [side, host] of Object.entries(sides)) {
          first[side] = await run(host, build);
          listing[side] = await run(host, [
            "run",
            "--rm",
            "--network",
            "none",
            "--user",
            "0",
            "ms:1",
            "sh",
            "-c",
            LISTING,
          ]);
          again[side] = await run(host, build);
        }
        assertEquals(normalize(first.ours), normalize(first.dockerd));
        assertEquals(listing.ours.split("\n"), listing.dockerd.split("\n"));
        assert(listing.ours.includes("/made 1500:1500 2750 directory"), listing.ours);
        assert(!listing.ours.includes("/bin/vi "), "the deleted file stays deleted");
        for (const side of Object.keys(sides)) {
          const lines = again[side].split("\n");
          const results = lines.filter((l) => / ---> [0-9a-f]{12}$/.test(l)).length;
          const cached = lines.filter((l) => l === " ---> Using cache").length;
          // Every step after each FROM came from the cache (2 FROMs).
          assertEquals(cached, results - 2, `${side}:\n${again[side]}`);
          assert(!again[side].includes("Running in"), again[side]);
        }
        assertEquals(normalize(again.ours), normalize(again.dockerd));

        // The raw streams of POST /build: a success, q=1, a failing RUN, a syntax error.
        const raw = `${d.dir}/raw`;
        await Deno.mkdir(raw);
        const cases: Record<string, [string, string]> = {
          ok: [
            'FROM busybox:latest\nRUN echo hi > /f && echo out\nCMD ["cat","/f"]\n',
            "t=raw%3A1",
          ],
          quiet: ["FROM busybox:latest\nRUN echo hi > /g\n", "t=raw%3A2&q=1"],
          failing: ["FROM busybox:latest\nRUN echo out; exit 3\n", "forcerm=1"],
          syntax: ["FROM busybox:latest\nBOGUS x\n", ""],
          missing: ["FROM busybox:latest\nCOPY nothere.txt /x\n", ""],
          glob: ["FROM busybox:latest\nCOPY *.none /x/\n", ""],
          target: ["FROM busybox:latest AS one\nRUN true\n", "target=two"],
          multi: ["FROM busybox:latest\nCOPY Dockerfile Dockerfile /x\n", ""],
          url: ["FROM busybox:latest\nCOPY http://127.0.0.1:9/x /x\n", ""],
          badarg: [
            "FROM busybox:latest\nARG A\nRUN echo $A\n",
            "buildargs=%7B%22B%22%3A%22x%22%7D",
          ],
        };
        for (const [name, [dockerfile, query]] of Object.entries(cases)) {
          await Deno.writeTextFile(`${raw}/Dockerfile`, dockerfile);
          const tar = `${d.dir}/raw-${name}.tar`;
          await new Deno.Command("tar", { args: ["-C", raw, "-cf", tar, "Dockerfile"] }).output();
          const streams: Record<string, string> = {};
          for (const [side, host] of Object.entries(sides)) {
            const out = await new Deno.Command("curl", {
              args: [
                "-s",
                "--unix-socket",
                host.replace("unix://", ""),
                "-X",
                "POST",
                "-H",
                "Content-Type: application/x-tar",
                "--data-binary",
                `@${tar}`,
                `http://127.0.0.1/v1.41/build?networkmode=none&${query}`,
              ],
              stdout: "piped",
            }).output();
            streams[side] = new TextDecoder().decode(out.stdout)
              .replace(/[0-9a-f]{64}/g, "<id64>").replace(/\b[0-9a-f]{12}\b/g, "<id>");
          }
          assertEquals(streams.ours, streams.dockerd, name);
        }

        // Every instruction: the same output, history and config on both.
        const every = `${d.dir}/every`;
        await Deno.mkdir(every);
        await Deno.writeTextFile(`${every}/f.txt`, "f\n");
        await Deno.writeTextFile(
          `${every}/Dockerfile`,
          [
            "FROM busybox:latest",
            "MAINTAINER someone",
            "ARG V=1",
            "ARG W",
            'ENV E1=a E2="b c"',
            'LABEL l1=x "l 2"=y',
            "RUN echo $V $W $E1 > /v",
            "EXPOSE 80 443/udp 8000-8001",
            "VOLUME /data /more",
            "USER nobody",
            "WORKDIR rel/dir",
            "ADD f.txt .",
            "COPY --chown=nobody:nogroup f.txt /g.txt",
            "STOPSIGNAL SIGUSR1",
            'HEALTHCHECK --interval=5s --retries=2 CMD ["true"]',
            'SHELL ["/bin/sh", "-ec"]',
            "RUN id -u > /tmp/uid",
            "ONBUILD RUN echo triggered",
            'ENTRYPOINT ["/bin/sh"]',
            "CMD echo hi",
            "",
          ].join("\n"),
        );
        const detail: Record<string, unknown> = {};
        for (const [side, host] of Object.entries(sides)) {
          const out = await run(host, [
            "build",
            "--network",
            "none",
            "--build-arg",
            "W=w",
            "-t",
            "every:1",
            every,
          ]);
          const img = JSON.parse(await run(host, ["image", "inspect", "every:1"]))[0];
          const history = (await run(host, [
            "history",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.CreatedBy}}",
            "every:1",
          ])).replace(/[0-9a-f]{64}/g, "<sum>");
          const { Image: _image, Hostname: _h, ...config } = img.Config;
          detail[side] = { out: normalize(out), history, config, author: img.Author };
        }
        assertEquals(detail.ours, detail.dockerd);

        // every:1's ONBUILD trigger runs in a build FROM it.
        const child = `${d.dir}/child`;
        await Deno.mkdir(child);
        await Deno.writeTextFile(`${child}/Dockerfile`, "FROM every:1\nRUN true\n");
        const triggered: Record<string, string[]> = {};
        for (const [side, host] of Object.entries(sides)) {
          triggered[side] = normalize(await run(host, ["build", "--network", "none", child]));
        }
        assertEquals(triggered.ours, triggered.dockerd);
        assert(triggered.ours.includes("# Executing 1 build trigger"), triggered.ours.join("\n"));

        // COPY/ADD forms: globs, a directory onto an existing one, a file into a new
        // directory with --chown, a symlink, a hardlink, a tarball, dest without "/".
        const forms = `${d.dir}/forms`;
        await Deno.mkdir(`${forms}/dir/sub`, { recursive: true });
        await Deno.writeTextFile(`${forms}/a.txt`, "a\n");
        await Deno.writeTextFile(`${forms}/b.txt`, "bb\n");
        await Deno.writeTextFile(`${forms}/dir/sub/c.sh`, "#!/bin/sh\n");
        await Deno.chmod(`${forms}/dir/sub/c.sh`, 0o755);
        await Deno.chmod(`${forms}/dir/sub`, 0o700);
        await Deno.symlink("a.txt", `${forms}/link`);
        await Deno.link(`${forms}/a.txt`, `${forms}/hard.txt`);
        const tgz = await new Deno.Command("tar", {
          args: ["-C", `${forms}/dir`, "--owner=7", "--group=9", "-czf", `${forms}/t.tgz`, "sub"],
        }).output();
        assert(tgz.success);
        await Deno.writeTextFile(
          `${forms}/Dockerfile`,
          [
            "FROM busybox:latest",
            "RUN mkdir -p /exist && chown 5:6 /exist && chmod 710 /exist",
            "COPY *.txt /globbed/",
            "COPY dir /exist",
            "COPY --chown=65534:65534 a.txt /new/deep/a-renamed",
            "COPY link hard.txt /links/",
            "ADD t.tgz /untar",
            "COPY dir/sub /flat",
            "WORKDIR /wd",
            "COPY b.txt .",
            "",
          ].join("\n"),
        );
        const formsListing = "find /globbed /exist /new /links /untar /flat /wd | sort | " +
          "while read f; do stat -c '%n %u:%g %a %F %s' \"$f\"; done";
        const formsSeen: Record<string, string> = {};
        for (const [side, host] of Object.entries(sides)) {
          await run(host, ["build", "--network", "none", "-t", "forms:1", forms]);
          formsSeen[side] = await run(host, [
            "run",
            "--rm",
            "--network",
            "none",
            "forms:1",
            "sh",
            "-c",
            formsListing,
          ]);
        }
        assertEquals(formsSeen.ours.split("\n"), formsSeen.dockerd.split("\n"));

        // FROM scratch: the same steps, layers, history and config on both.
        const scratch = `${d.dir}/scratch`;
        await Deno.mkdir(scratch);
        await Deno.writeTextFile(
          `${scratch}/Dockerfile`,
          'FROM scratch\nCOPY f /\nENV A=1\nWORKDIR /w\nCMD ["/f"]\n',
        );
        await Deno.writeTextFile(`${scratch}/f`, "f\n");
        const seen: Record<string, unknown> = {};
        for (const [side, host] of Object.entries(sides)) {
          const out = await run(host, ["build", "-t", "scr:1", scratch]);
          const img = JSON.parse(await run(host, ["image", "inspect", "scr:1"]))[0];
          const history = (await run(host, [
            "history",
            "--no-trunc",
            "--format",
            // (not .Size: our history reports a layer's tar size, Docker its files' bytes)
            "{{.ID}} {{.CreatedBy}}",
            "scr:1",
          ])).replace(/[0-9a-f]{64}/g, "<sum>");
          seen[side] = {
            out: normalize(out),
            layers: img.RootFS.Layers.length,
            env: img.Config.Env,
            workdir: img.Config.WorkingDir,
            history,
          };
        }
        assertEquals(seen.ours, seen.dockerd);
      } finally {
        await ref.close();
      }
    } finally {
      await d.close();
      await Deno.remove(refDir, { recursive: true }).catch(() => {});
    }
  },
);
