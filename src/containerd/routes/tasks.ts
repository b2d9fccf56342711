// /v1/tasks: a container's processes through its shim.
import { Hono } from "hono";
import {
  ContainerId,
  CreateTaskRequest,
  ExecRequest,
  KillRequest,
  ResizeRequest,
  UpdateTaskRequest,
} from "../api/containers.ts";
import type { Services } from "../services.ts";
import { jsonBody, parseWith } from "../validate.ts";

export function taskRoutes(s: Services): Hono {
  const app = new Hono();
  const id = (raw: string) => parseWith(ContainerId, raw, "task id");
  const exec = (
    raw: string | undefined,
  ) => (raw ? parseWith(ContainerId, raw, "exec id") : undefined);

  app.get("/tasks", (c) => c.json(s.tasks.list()));

  app.post("/tasks/:id", async (c) => {
    const req = await jsonBody(c.req.raw, CreateTaskRequest, "create task");
    return c.json(await s.tasks.create(id(c.req.param("id")), req), 201);
  });

  app.get("/tasks/:id", async (c) => c.json(await s.tasks.state(id(c.req.param("id")))));

  app.post("/tasks/:id/start", async (c) => c.json(await s.tasks.start(id(c.req.param("id")))));

  app.post("/tasks/:id/kill", async (c) => {
    const req = await jsonBody(c.req.raw, KillRequest, "kill task");
    await s.tasks.kill(id(c.req.param("id")), req.signal, req.all, req.exec);
    return c.json({});
  });

  app.get("/tasks/:id/wait", async (c) => {
    const ac = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => ac.abort());
    return c.json(await s.tasks.wait(id(c.req.param("id")), exec(c.req.query("exec")), ac.signal));
  });

  app.delete(
    "/tasks/:id",
    async (c) => c.json(await s.tasks.delete(id(c.req.param("id")), exec(c.req.query("exec")))),
  );

  app.post("/tasks/:id/exec", async (c) => {
    const req = await jsonBody(c.req.raw, ExecRequest, "exec");
    return c.json(
      await s.tasks.exec(id(c.req.param("id")), req.exec, req.process, req.terminal, req.stdin),
      201,
    );
  });

  app.post("/tasks/:id/pause", async (c) => {
    const tid = id(c.req.param("id"));
    await s.tasks.shim(tid).pause();
    s.events.publish("task.paused", tid);
    return c.json({});
  });

  app.post("/tasks/:id/resume", async (c) => {
    const tid = id(c.req.param("id"));
    await s.tasks.shim(tid).resume();
    s.events.publish("task.resumed", tid);
    return c.json({});
  });

  app.get(
    "/tasks/:id/pids",
    async (c) => c.json({ pids: await s.tasks.shim(id(c.req.param("id"))).pids() }),
  );

  app.get(
    "/tasks/:id/stats",
    async (c) => c.json(await s.tasks.shim(id(c.req.param("id"))).stats()),
  );

  app.post("/tasks/:id/update", async (c) => {
    const req = await jsonBody(c.req.raw, UpdateTaskRequest, "update task");
    const tid = id(c.req.param("id"));
    await s.tasks.shim(tid).update(req.resources);
    s.events.publish("task.update", tid);
    return c.json({});
  });

  app.post("/tasks/:id/resize", async (c) => {
    const req = await jsonBody(c.req.raw, ResizeRequest, "resize");
    await s.tasks.shim(id(c.req.param("id"))).resize(req.width, req.height, req.exec);
    return c.json({});
  });

  app.post("/tasks/:id/close-stdin", async (c) => {
    await s.tasks.shim(id(c.req.param("id"))).closeStdin(exec(c.req.query("exec")));
    return c.json({});
  });

  app.post("/tasks/:id/stdin", async (c) => {
    const body = c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() });
    await s.tasks.shim(id(c.req.param("id"))).stdin(
      body,
      c.req.query("close") === "1",
      exec(c.req.query("exec")),
    );
    return c.json({});
  });

  app.get("/tasks/:id/attach", async (c) => {
    const ac = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => ac.abort());
    const stream = await s.tasks.shim(id(c.req.param("id"))).attach(
      { stdout: c.req.query("stdout") === "1", stderr: c.req.query("stderr") === "1" },
      exec(c.req.query("exec")),
      ac.signal,
    );
    return new Response(stream, { headers: { "content-type": "application/octet-stream" } });
  });
  return app;
}
