// GET /system/df as dockerd answers it: the images with their container counts, shared and
// total sizes (LayersSize counts each layer once), the containers, and the volumes with
// their usage (bytes of their files, hardlinks once; RefCount: containers using them).

import type { Daemon } from "./daemon.ts";
import { summaryView } from "./containers/view.ts";
import { imageDiskUsage } from "./images/list.ts";
import { volumeUsers, volumeView } from "./volumes/service.ts";
import { volumeStore } from "./volumes/store.ts";

/** Bytes of the regular files under `root` (pkg/directory.Size): -1 when unreadable. */
async function directorySize(root: string): Promise<number> {
  const seen = new Set<string>();
  let size = 0;
  const visit = async (path: string) => {
    const st = await Deno.lstat(path);
    if (st.isDirectory) {
      for await (const e of Deno.readDir(path)) await visit(`${path}/${e.name}`);
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if ((st.nlink ?? 1) > 1 && seen.has(id)) return;
    seen.add(id);
    size += st.size;
  };
  try {
    await visit(root);
    return size;
  } catch {
    return -1;
  }
}

export async function diskUsage(d: Daemon, version: string) {
  const { LayersSize, Images } = await imageDiskUsage(d, version);
  const store = await volumeStore(d);
  const users = await volumeUsers(d);
  const Volumes = [];
  for (const v of store.all()) {
    Volumes.push({
      ...(await volumeView(d, v)),
      UsageData: {
        Size: await directorySize(store.dataPath(v.Name)),
        RefCount: users.get(v.Name)?.length ?? 0,
      },
    });
  }
  return {
    LayersSize,
    Images,
    Containers: d.store.all().map((c) => ({ ...summaryView(c), SizeRw: 0, SizeRootFs: 0 })),
    Volumes,
    BuildCache: [],
    BuilderSize: 0,
  };
}
