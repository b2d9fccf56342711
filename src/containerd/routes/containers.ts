// /v1/containers: container records, each with its rootfs snapshot.
import { Hono } from "hono";
import { conflict } from "../../lib/errors.ts";
import {
  ContainerId,
  CreateContainerRequest,
  RuntimeName,
  UpdateContainerRequest,
} from "../api/containers.ts";
import type { Services } from "../services.ts";
import { jsonBody, parseWith } from "../validate.ts";

export function containerRoutes(s: Services): Hono {
  const app = new Hono();

  app.post("/containers", async (c) => {
    const req = await jsonBody(c.req.raw, CreateContainerRequest, "create container");
    s.runtimes.resolve(req.runtime);
    let snapshotKey: string | undefined;
    if (req.snapshot) {
      snapshotKey = req.id;
      await s.snapshots.prepare(snapshotKey, req.snapshot.parent, {
        labels: { "engine.container": req.id },
      });
    }
    try {
      const rec = s.containers.create({
        id: req.id,
        image: req.image,
        snapshotKey,
        spec: req.spec,
        runtime: req.runtime ?? s.runtimes.defaultName,
        labels: req.labels,
      });
      s.events.publish("container.create", req.id, { image: req.image, runtime: rec.runtime });
      return c.json(rec, 201);
    } catch (e) {
      if (snapshotKey) await s.snapshots.remove(snapshotKey).catch(() => {});
      throw e;
    }
  });

  app.get("/containers", (c) => c.json(s.containers.list()));

  // What a runtime supports (its `features`), for the daemon's choices at create.
  app.get("/runtimes/:name/features", async (c) => {
    const name = parseWith(RuntimeName, c.req.param("name"), "runtime name");
    return c.json(await s.runtimes.features(name));
  });

  app.get(
    "/containers/:id",
    (c) => c.json(s.containers.get(parseWith(ContainerId, c.req.param("id"), "container id"))),
  );

  app.post("/containers/:id", async (c) => {
    const id = parseWith(ContainerId, c.req.param("id"), "container id");
    const req = await jsonBody(c.req.raw, UpdateContainerRequest, "update container");
    const cur = s.containers.get(id);
    return c.json(s.containers.updateSpec(id, req.spec ?? cur.spec, req.labels));
  });

  app.delete("/containers/:id", async (c) => {
    const id = parseWith(ContainerId, c.req.param("id"), "container id");
    const rec = s.containers.get(id);
    if (s.tasks.hasTask(id)) {
      throw conflict(`container ${id}: it has a task; delete the task first`);
    }
    if (rec.snapshotKey && s.snapshots.has(rec.snapshotKey)) {
      await s.snapshots.remove(rec.snapshotKey);
    }
    s.containers.delete(id);
    s.events.publish("container.delete", id);
    return c.body(null, 204);
  });

  /** Where the container's writable layer is (for the daemon's diff/export/cp). */
  app.get("/containers/:id/snapshot", (c) => {
    const id = parseWith(ContainerId, c.req.param("id"), "container id");
    const rec = s.containers.get(id);
    if (!rec.snapshotKey) return c.json({ mounts: [] });
    return c.json({
      mounts: s.snapshots.mounts(rec.snapshotKey),
      upper: s.snapshots.writableDir(rec.snapshotKey),
    });
  });
  return app;
}
