// The shim's HTTP routes over TaskService (see protocol.ts), with Deno.serve only: no
// framework on the shim's path.
import {
  BadRequest,
  check,
  checkExecId,
  checkLog,
  type CreateRequest,
  type ExecRequest,
} from "./protocol.ts";
import { Conflict, NotFound, TaskService } from "./service.ts";

const MAX_BODY = 1 << 20;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body ?? {}), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function errorStatus(e: unknown): [number, string] {
  if (e instanceof BadRequest) return [400, "invalid_argument"];
  if (e instanceof NotFound) return [404, "not_found"];
  if (e instanceof Conflict) return [409, "conflict"];
  return [500, "internal"];
}

async function body(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  check(text.length <= MAX_BODY, "request body too large");
  let v: unknown;
  try {
    v = text ? JSON.parse(text) : {};
  } catch {
    throw new BadRequest("malformed JSON body");
  }
  check(typeof v === "object" && v !== null && !Array.isArray(v), "body must be a JSON object");
  return v as Record<string, unknown>;
}

function execParam(url: URL): string | null {
  const e = url.searchParams.get("exec");
  return e ? checkExecId(e) : null;
}

const int = (v: unknown, what: string, min = 0, max = 2 ** 31 - 1) => {
  check(
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max,
    `${what} must be an integer`,
  );
  return v as number;
};

async function route(svc: TaskService, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const exec = execParam(url);
  switch (`${req.method} ${url.pathname}`) {
    case "POST /create": {
      const b = await body(req);
      const create: CreateRequest = {
        terminal: b.terminal === true,
        stdin: b.stdin === true,
        log: checkLog(b.log ?? {}),
      };
      return json(await svc.create(create));
    }
    case "POST /start":
      return json(await svc.start());
    case "POST /exec": {
      const b = await body(req);
      check(typeof b.process === "object" && b.process !== null, "process must be an object");
      const r: ExecRequest = {
        exec: checkExecId(b.exec),
        process: b.process as Record<string, unknown>,
        terminal: b.terminal === true,
        stdin: b.stdin === true,
      };
      return json(await svc.exec(r));
    }
    case "POST /kill": {
      const b = await body(req);
      await svc.kill({
        exec: b.exec ? checkExecId(b.exec) : undefined,
        signal: int(b.signal, "signal", 1, 64),
        all: b.all === true,
      });
      return json({});
    }
    case "GET /wait":
      return json(await svc.wait(exec));
    case "POST /delete":
      return json(await svc.delete(exec));
    case "GET /state":
      return json(svc.state());
    case "GET /pids":
      return json({ pids: await svc.pids() });
    case "GET /stats":
      return json(await svc.stats());
    case "POST /update": {
      const b = await body(req);
      check(typeof b.resources === "object" && b.resources !== null, "resources must be an object");
      await svc.update(b.resources as Record<string, unknown>);
      return json({});
    }
    case "POST /pause":
      await svc.pause();
      return json({});
    case "POST /resume":
      await svc.resume();
      return json({});
    case "POST /resize": {
      const b = await body(req);
      svc.io(b.exec ? checkExecId(b.exec) : null).resize(
        int(b.width, "width", 0, 65535),
        int(b.height, "height", 0, 65535),
      );
      return json({});
    }
    case "POST /close-stdin":
      svc.io(exec).closeStdin();
      return json({});
    case "POST /stdin": {
      const io = svc.io(exec);
      if (req.body) { for await (const chunk of req.body) await io.writeStdin(chunk); }
      if (url.searchParams.get("close") === "1") io.closeStdin();
      return json({});
    }
    case "GET /attach": {
      const streams = (["stdout", "stderr"] as const).filter((s) =>
        url.searchParams.get(s) === "1"
      );
      return new Response(svc.io(exec).subscribe(streams), {
        headers: { "content-type": "application/octet-stream" },
      });
    }
    case "POST /shutdown":
      if (!svc.idle()) throw new Conflict("processes are still running");
      svc.onDeleted();
      return json({});
    default:
      return json(
        { message: `no such endpoint ${req.method} ${url.pathname}`, kind: "not_found" },
        404,
      );
  }
}

/** The container a shim is given (POST /adopt); its socket moves to `socket`. */
async function adopt(req: Request, from: string, onDone: () => void): Promise<TaskService> {
  const b = await body(req);
  const str = (k: string) => {
    check(
      typeof b[k] === "string" && (b[k] as string).startsWith("/"),
      `${k} must be an absolute path`,
    );
    return b[k] as string;
  };
  check(typeof b.id === "string" && /^[\w+.-]{1,128}$/.test(b.id), "invalid id");
  const rt = b.runtime as { path?: unknown; args?: unknown } | undefined;
  check(
    rt && typeof rt.path === "string" && rt.path.startsWith("/"),
    "runtime.path must be absolute",
  );
  const args = Array.isArray(rt!.args) && rt!.args.every((a) => typeof a === "string")
    ? rt!.args as string[]
    : [];
  const work = str("work");
  await Deno.mkdir(work, { recursive: true, mode: 0o700 });
  const svc = new TaskService({
    id: b.id as string,
    bundle: str("bundle"),
    workDir: work,
    runtime: { path: rt!.path as string, args, root: `${work}/runtime` },
  });
  const to = str("socket");
  // The socket file goes before the delete is answered: the container's next shim takes the
  // same path and must not lose it to this one.
  svc.onDeleted = async () => {
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(to).catch(() => {});
    onDone();
  };
  if (to !== from) await Deno.rename(from, to);
  return svc;
}

/**
 * The shim's request handler: unassigned until POST /adopt (then `onAdopted`), then the task
 * API.
 */
export function handler(
  socket: string,
  onExit: () => void,
  onAdopted: () => void,
): (req: Request) => Promise<Response> {
  let svc: TaskService | undefined;
  return async (req) => {
    try {
      const url = new URL(req.url);
      if (!svc) {
        if (req.method === "POST" && url.pathname === "/adopt") {
          svc = await adopt(req, socket, onExit);
          onAdopted();
          return json({ pid: Deno.pid });
        }
        if (req.method === "POST" && url.pathname === "/shutdown") {
          onExit();
          return json({});
        }
        return json(
          { message: "this shim has no container yet", kind: "failed_precondition" },
          412,
        );
      }
      return await route(svc, req);
    } catch (e) {
      const [status, kind] = errorStatus(e);
      return json({ message: e instanceof Error ? e.message : String(e), kind }, status);
    }
  };
}
