// Test root filesystems built from Debian's busybox-static: never downloaded.

export const BUSYBOX = "/bin/busybox";

/** Fills `dir` with a minimal busybox rootfs: /bin/busybox, applet links, /etc files. */
export async function makeBusyboxRootfs(dir: string): Promise<void> {
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "var", "usr/bin"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  await Deno.copyFile(BUSYBOX, `${dir}/bin/busybox`);
  await Deno.chmod(`${dir}/bin/busybox`, 0o755);
  const list = await new Deno.Command(BUSYBOX, { args: ["--list"] }).output();
  for (const applet of new TextDecoder().decode(list.stdout).split("\n")) {
    if (!applet || applet === "busybox") continue;
    await Deno.symlink("busybox", `${dir}/bin/${applet}`).catch(() => {});
  }
  await Deno.writeTextFile(
    `${dir}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  await Deno.writeTextFile(`${dir}/etc/group`, "root:x:0:\nnogroup:x:65534:\n");
  await Deno.chmod(`${dir}/tmp`, 0o1777);
}

/** A temporary directory removed (with everything below it) when disposed. */
export async function tempDir(
  prefix = "engine-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
