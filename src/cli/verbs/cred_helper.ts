// The docker-credential-helpers protocol: `docker-credential-<name> <action>` found on
// PATH. get/erase take the server URL on stdin; store takes {"ServerURL","Username",
// "Secret"}; get prints that JSON, list prints {"<server>": "<username>"}. A helper that
// does not know a server says "credentials not found in native keychain".

const NOT_FOUND = "credentials not found in native keychain";
const MAX_OUTPUT = 1 << 20;
const TIMEOUT_MS = 60_000;

export interface HelperCredentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

export class CredentialHelper {
  readonly program: string;

  constructor(readonly name: string) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new Error(`invalid credential helper name ${JSON.stringify(name)}`);
    }
    this.program = `docker-credential-${name}`;
  }

  async #run(action: string, input: string): Promise<{ ok: boolean; out: string }> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.program, {
        args: [action],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new Error(
          `error getting credentials - err: exec: "${this.program}": executable file not found in $PATH`,
        );
      }
      throw err;
    }
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input)).catch(() => {});
    await w.close().catch(() => {});
    const res = await child.output();
    const dec = new TextDecoder();
    const out = dec.decode(res.stdout.slice(0, MAX_OUTPUT)).trim();
    const err = dec.decode(res.stderr.slice(0, MAX_OUTPUT)).trim();
    return { ok: res.success, out: res.success ? out : out || err };
  }

  /** The credentials for `server`, or undefined when the helper has none. */
  async get(server: string): Promise<HelperCredentials | undefined> {
    const r = await this.#run("get", server);
    if (!r.ok) {
      if (r.out.includes(NOT_FOUND)) return undefined;
      throw new Error(`error getting credentials - err: ${this.program} get: ${r.out}`);
    }
    let creds: Partial<HelperCredentials>;
    try {
      creds = JSON.parse(r.out);
    } catch {
      throw new Error(`error getting credentials - err: ${this.program} get: not JSON`);
    }
    if (!creds.Username && !creds.Secret) return undefined;
    return {
      ServerURL: String(creds.ServerURL ?? server),
      Username: String(creds.Username ?? ""),
      Secret: String(creds.Secret ?? ""),
    };
  }

  async store(creds: HelperCredentials): Promise<void> {
    const r = await this.#run("store", JSON.stringify(creds));
    if (!r.ok) throw new Error(`error storing credentials - err: ${this.program} store: ${r.out}`);
  }

  async erase(server: string): Promise<void> {
    const r = await this.#run("erase", server);
    if (!r.ok && !r.out.includes(NOT_FOUND)) {
      throw new Error(`error erasing credentials - err: ${this.program} erase: ${r.out}`);
    }
  }

  /** Server URL → username, for every credential the helper holds. */
  async list(): Promise<Record<string, string>> {
    const r = await this.#run("list", "");
    if (!r.ok) throw new Error(`error listing credentials - err: ${this.program} list: ${r.out}`);
    const parsed = JSON.parse(r.out || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  }
}
