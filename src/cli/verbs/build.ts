// engine build: the docker CLI's legacy (classic builder) build. The context (a directory,
// or "-" for a tar or a Dockerfile on stdin) is tarred honouring .dockerignore and sent to
// POST /build with the query the docker CLI sends (only what differs from the defaults,
// buildargs/labels as JSON), X-Registry-Config carrying the stored credentials; the CLI
// prints "Sending build context to Docker daemon  <size>" and renders the daemon's stream.
// -q holds everything back and prints the image id; an error in the stream exits with its
// code (a failed RUN's exit status), 1 by default.

import type { Query } from "../client.ts";
import type { Invocation } from "../command.ts";
import { StatusError } from "../command.ts";
import { type JSONMessage, StreamError } from "../progress.ts";
import { displayJSONMessages } from "../progress.ts";
import { humanSize } from "../units.ts";
import { parseNormalizedNamed } from "../../lib/reference.ts";
import { localContext, stdinContext } from "./build_context.ts";
import { CredentialHelper } from "./cred_helper.ts";
import { configFile, readConfig } from "./registry_auth.ts";
import {
  clientFor,
  readAllStdin,
  stdoutIsTerminal,
  terminalWidth,
  write,
  writeErr,
} from "./common.ts";

const SENDING = "Sending build context to Docker daemon";
/** The CLI's progress reader reports every 512 kB at most. */
const UPDATE_EVERY = 512 * 1024;

/** --build-arg K=V / K (K's value from the environment when set, else null). */
export function buildArgs(list: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === "") throw new Error(`invalid environment variable: ${item}`);
    out[key] = eq >= 0 ? item.slice(eq + 1) : (Deno.env.get(key) ?? null);
  }
  return out;
}

/** --label K=V / K (empty value). */
export function labels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? "" : item.slice(eq + 1);
  }
  return out;
}

/** JSON with keys sorted, as Go marshals maps. */
function sortedJson(o: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** The POST /build query as the docker CLI builds it (absent when default). */
export function buildQuery(inv: Invocation, dockerfile: string): Query {
  const f = inv.flags;
  for (const t of f.list("tag")) {
    try {
      parseNormalizedNamed(t);
    } catch (e) {
      throw new StatusError(
        `invalid argument "${t}" for "-t, --tag" flag: ${(e as Error).message}`,
        125,
      );
    }
  }
  const args = buildArgs(f.list("build-arg"));
  const lbls = labels(f.list("label"));
  const network = f.string("network");
  return {
    t: f.list("tag").length ? f.list("tag") : undefined,
    q: f.bool("quiet") || undefined,
    nocache: f.bool("no-cache") || undefined,
    rm: f.bool("rm") ? undefined : false,
    forcerm: f.bool("force-rm") || undefined,
    pull: f.bool("pull") || undefined,
    networkmode: network && network !== "default" ? network : undefined,
    dockerfile: dockerfile || undefined,
    target: f.string("target") || undefined,
    buildargs: Object.keys(args).length ? sortedJson(args) : undefined,
    labels: Object.keys(lbls).length ? sortedJson(lbls) : undefined,
    cachefrom: f.list("cache-from").length ? JSON.stringify(f.list("cache-from")) : undefined,
    platform: f.string("platform").toLowerCase() || undefined,
    version: "1",
  };
}

interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/**
 * X-Registry-Config: every stored credential (GetAllCredentials: the file's auths or the
 * default helper's list, overridden by per-registry helpers), base64url of the JSON map.
 */
export async function registryConfigHeader(inv: Invocation): Promise<string> {
  const config = readConfig(configFile(inv));
  const auths: Record<string, AuthConfig> = {};
  const fromHelper = async (helper: CredentialHelper, server: string) => {
    const c = await helper.get(server);
    if (!c) return;
    auths[server] = c.Username === "<token>"
      ? { serveraddress: server, identitytoken: c.Secret }
      : { username: c.Username, password: c.Secret, serveraddress: server };
  };
  if (config.credsStore) {
    const helper = new CredentialHelper(config.credsStore);
    for (const server of Object.keys(await helper.list())) await fromHelper(helper, server);
  } else {
    for (const [server, entry] of Object.entries(config.auths ?? {})) {
      const a: AuthConfig = {};
      let { username, password } = entry;
      if (entry.auth) {
        const plain = atob(entry.auth);
        const i = plain.indexOf(":");
        if (i >= 0) [username, password] = [plain.slice(0, i), plain.slice(i + 1)];
      }
      if (username) a.username = username;
      if (password) a.password = password;
      a.serveraddress = server;
      if (entry.identitytoken) a.identitytoken = entry.identitytoken;
      auths[server] = a;
    }
  }
  for (const [server, name] of Object.entries(config.credHelpers ?? {})) {
    await fromHelper(new CredentialHelper(name), server);
  }
  const bytes = new TextEncoder().encode(sortedJson(auths));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Counts what the daemon reads and reports it as the CLI's progress reader does; a failure
 * of the context itself (a file gone while tarred) is kept for `failure`, since fetch only
 * reports a broken request.
 */
function sendingProgress(
  body: ReadableStream<Uint8Array>,
  print: (text: string) => void,
  terminal: boolean,
): { stream: ReadableStream<Uint8Array>; failure: () => unknown } {
  let total = 0;
  let reported = 0;
  let failure: unknown;
  const line = () => `${SENDING} ${humanSize(total).padStart(8)}\r`;
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        failure = e;
        throw e;
      }
      if (r.done) {
        print(`${line()}\r\n`);
        ctl.close();
        return;
      }
      total += r.value.length;
      if (terminal && total - reported > UPDATE_EVERY) {
        reported = total;
        print(line());
      }
      ctl.enqueue(r.value);
    },
    cancel: (why) => reader.cancel(why),
  });
  return { stream, failure: () => failure };
}

export async function build(inv: Invocation): Promise<number> {
  const f = inv.flags;
  const [contextArg] = inv.args;
  const fileFlag = f.string("file");
  const quiet = f.bool("quiet");
  const iidfile = f.string("iidfile");
  if (iidfile) {
    await Deno.remove(iidfile).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new Error(`Removing image ID file: ${(e as Error).message}`);
      }
    });
  }
  if (contextArg === "-" && fileFlag === "-") {
    throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
  }
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(contextArg)) {
    throw new Error(
      `unable to prepare context: remote build contexts are not supported (${contextArg})`,
    );
  }

  let dockerfile: string;
  let tar: () => ReadableStream<Uint8Array>;
  if (contextArg === "-") {
    ({ dockerfile, tar } = await stdinContext(Deno.stdin.readable, fileFlag));
  } else {
    const stdinDockerfile = fileFlag === "-" ? await readAllStdin() : undefined;
    ({ dockerfile, tar } = await localContext(contextArg, fileFlag, stdinDockerfile));
  }

  // -q: the progress and the daemon's text are held back (shown only with an error); the
  // text is then the image id, printed on success.
  const held: string[] = [];
  const out = (s: string) => quiet ? held.push(s) : write(s);
  const terminal = stdoutIsTerminal();
  let body = tar();
  if (f.bool("compress")) {
    body = body.pipeThrough(
      new CompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  let sent = "";
  const sending = sendingProgress(body, (s) => quiet ? (sent += s) : write(s), terminal && !quiet);
  const contextFailure = (e: unknown) => {
    const cause = sending.failure();
    return cause ? new Error(`error sending build context: ${(cause as Error).message}`) : e;
  };

  using client = clientFor(inv);
  const messages = client.stream<JSONMessage>("POST", "/build", {
    query: buildQuery(inv, dockerfile),
    body: sending.stream as ReadableStream<Uint8Array<ArrayBuffer>>,
    headers: {
      "Content-Type": "application/x-tar",
      "X-Registry-Config": await registryConfigHeader(inv),
    },
  });
  let imageId = "";
  try {
    await displayJSONMessages(
      messages,
      out,
      { isTerminal: terminal, width: terminalWidth() },
      (aux) => {
        const id = (aux as { ID?: unknown })?.ID;
        if (typeof id === "string") imageId = id;
      },
    );
  } catch (e) {
    if (e instanceof StreamError) {
      if (quiet) writeErr(sent + held.join(""));
      throw new StatusError(e.message, e.code || 1);
    }
    throw contextFailure(e);
  }
  if (quiet) {
    imageId = held.join("");
    write(imageId);
  }
  if (iidfile) {
    if (imageId === "") {
      throw new Error(`Server did not provide an image ID. Cannot write ${iidfile}`);
    }
    await Deno.writeTextFile(iidfile, imageId, { mode: 0o666 });
  }
  return 0;
}
