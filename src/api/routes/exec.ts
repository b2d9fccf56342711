// Exec: POST /containers/{id}/exec, POST /exec/{id}/start (hijacked or detached),
// GET /exec/{id}/json, POST /exec/{id}/resize.
import { conflict, invalidArgument } from "../../lib/errors.ts";
import { eventAttrs } from "../containers/create.ts";
import { execCreateSchema, execStartSchema } from "../containers/types.ts";
import type { Daemon } from "../daemon.ts";
import { runExec } from "../exec/run.ts";
import { jsonBody, type Route } from "../http/router.ts";
import { intQuery } from "../http/validate.ts";

function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export function execRoutes(d: Daemon): Route[] {
  return [
    {
      method: "POST",
      path: "/containers/:id/exec",
      handler: async (ctx) => {
        const c = d.store.get(ctx.params.id);
        const body = await jsonBody(ctx, execCreateSchema, "exec create");
        if (!body.Cmd?.length) throw invalidArgument("No exec command specified");
        if (!c.rec.State.Running) throw conflict(`Container ${c.rec.ID} is not running`);
        if (c.rec.State.Paused) {
          throw conflict(`Container ${ctx.params.id} is paused, unpause the container before exec`);
        }
        const id = newId();
        d.execs.add({
          ID: id,
          ContainerID: c.rec.ID,
          Config: { ...body, Cmd: body.Cmd },
          Running: false,
          ExitCode: null,
          Pid: 0,
          Started: false,
          created: Date.now(),
        });
        c.execs.add(id);
        d.events.publish(
          "container",
          `exec_create: ${body.Cmd.join(" ")}`,
          c.rec.ID,
          eventAttrs(c, { execID: id }),
        );
        return { status: 201, json: { Id: id } };
      },
    },
    {
      method: "POST",
      path: "/exec/:id/start",
      handler: async (ctx) => {
        const ex = d.execs.get(ctx.params.id);
        const body = await jsonBody(ctx, execStartSchema, "exec start");
        if (ex.Started) throw conflict(`Error: Exec command ${ex.ID} has already run`);
        const c = d.store.get(ex.ContainerID);
        if (!c.rec.State.Running) throw conflict(`Container ${c.rec.ID} is not running`);
        if (body.ConsoleSize) ex.Config.ConsoleSize = body.ConsoleSize;
        if (body.Detach) {
          ex.Started = true;
          runExec(d, c, ex, {}).catch(() => {});
          return { status: 200, json: {} };
        }
        return {
          commonHeaders: true,
          hijack: async (conn) => {
            await runExec(d, c, ex, {
              write: (b) => conn.write(b),
              stdin: ex.Config.AttachStdin ? conn.input : undefined,
              signal: conn.closed,
            });
          },
        };
      },
    },
    {
      method: "GET",
      path: "/exec/:id/json",
      handler: (ctx) => {
        const ex = d.execs.get(ctx.params.id);
        const [entrypoint, ...args] = ex.Config.Cmd;
        return {
          status: 200,
          json: {
            ID: ex.ID,
            Running: ex.Running,
            ExitCode: ex.ExitCode,
            ProcessConfig: {
              tty: ex.Config.Tty,
              entrypoint,
              arguments: args,
              privileged: ex.Config.Privileged,
              ...(ex.Config.User ? { user: ex.Config.User } : {}),
            },
            OpenStdin: ex.Config.AttachStdin,
            OpenStderr: ex.Config.AttachStderr,
            OpenStdout: ex.Config.AttachStdout,
            CanRemove: false,
            ContainerID: ex.ContainerID,
            DetachKeys: ex.Config.DetachKeys,
            Pid: ex.Pid,
          },
        };
      },
    },
    {
      method: "POST",
      path: "/exec/:id/resize",
      handler: async (ctx) => {
        const ex = d.execs.get(ctx.params.id);
        const h = intQuery(ctx.query, "h") ?? 0;
        const w = intQuery(ctx.query, "w") ?? 0;
        if (h < 0 || w < 0 || h > 65535 || w > 65535) throw invalidArgument("invalid size");
        if (!ex.Running) throw conflict(`Exec ${ex.ID} is not running`);
        await d.containerd.tasks.resize(ex.ContainerID, w, h, ex.ID);
        return { status: 200, text: "", headers: {} };
      },
    },
  ];
}
