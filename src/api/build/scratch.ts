// FROM scratch: the classic builder starts such a stage from no image at all. Step
// containers need an image here, so a build makes a private one without layers (a docker
// save archive of just its config, loaded through containerd; an empty rootfs snapshot)
// and removes it when the build ends. Images committed on it have no layer but their own
// and no parent, as Docker's.

import { tarStream } from "../../lib/tar/tar_writer.ts";
import type { Daemon } from "../daemon.ts";

const ARCH: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };

export interface ScratchImage {
  id: string;
  record: string;
  remove(): Promise<void>;
}

export async function scratchImage(d: Daemon): Promise<ScratchImage> {
  const enc = new TextEncoder();
  const config = enc.encode(JSON.stringify({
    architecture: ARCH[Deno.build.arch] ?? Deno.build.arch,
    os: "linux",
    // Unique per build (random nanoseconds): no other build's scratch image is the same record.
    created: new Date().toISOString().replace(
      "Z",
      String(crypto.getRandomValues(new Uint32Array(1))[0] % 1e6).padStart(6, "0") + "Z",
    ),
    config: {},
    rootfs: { type: "layers", diff_ids: [] },
    history: [],
  }));
  const manifest = enc.encode(
    JSON.stringify([{ Config: "config.json", RepoTags: null, Layers: [] }]),
  );
  const file = (name: string, data: Uint8Array) =>
    [{ name, type: "0", size: data.length, mode: 0o644 }, data] as [
      { name: string; type: string; size: number; mode: number },
      Uint8Array,
    ];
  const chunks: Uint8Array[] = [];
  for await (
    const c of tarStream([file("config.json", config), file("manifest.json", manifest)])
  ) chunks.push(c);
  const tar = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((off, c) => (tar.set(c, off), off + c.length), 0);
  const [img] = (await d.containerd.images.import(tar)).images;
  return {
    id: img.id,
    record: img.name,
    remove: () => d.containerd.images.remove(img.name).then(() => {}, () => {}),
  };
}
