// GET /system/df as dockerd answers it: the images with their container counts, shared and
// total sizes (LayersSize counts each layer once), the containers with the size of their
// writable layer (SizeRw; SizeRootFs adds the image), and the volumes with their usage
// (bytes of their files, hardlinks once; RefCount: containers using them). Sizes are
// lib/directory_size.ts's walk, the one dockerd's pkg/directory.Size does for both.

import type { Container } from "./containers/store.ts";
import type { Daemon } from "./daemon.ts";
import { summaryView } from "./containers/view.ts";
import { imageDiskUsage } from "./images/list.ts";
import { allImages } from "./images/lookup.ts";
import { directorySize } from "../lib/directory_size.ts";
import { volumeUsers, volumeView } from "./volumes/service.ts";
import { volumeStore } from "./volumes/store.ts";

/** The container's writable layer (its snapshot's upper directory) and the whole rootfs. */
export async function containerSize(d: Daemon, c: Container, imageSize: number) {
  let rw = 0;
  try {
    const snap = await d.containerd.containers.snapshot(c.rec.ID);
    if (snap.upper) rw = Math.max(0, await directorySize(snap.upper));
  } catch { /* no snapshot (being removed): nothing of its own */ }
  return { rw, rootfs: rw + imageSize };
}

export async function diskUsage(d: Daemon, version: string) {
  const { LayersSize, Images } = await imageDiskUsage(d, version);
  const imageSizes = new Map(Images.map((i) => [i.Id, i.Size]));
  const images = await allImages(d.containerd);
  const Containers = [];
  for (const c of d.store.all()) {
    const size = await containerSize(d, c, imageSizes.get(c.rec.Image) ?? 0);
    Containers.push(summaryView(c, images, size));
  }
  const store = await volumeStore(d);
  const users = await volumeUsers(d);
  const Volumes = [];
  for (const v of store.all()) {
    Volumes.push({
      ...(await volumeView(d, v)),
      UsageData: {
        RefCount: users.get(v.Name)?.length ?? 0,
        Size: await directorySize(store.dataPath(v.Name)),
      },
    });
  }
  return {
    LayersSize,
    Images,
    Containers,
    Volumes,
    BuildCache: [],
    BuilderSize: 0,
  };
}
