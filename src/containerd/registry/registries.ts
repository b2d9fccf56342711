// One Transport (and so one token cache) per registry domain, with the credentials and
// insecure-registry settings of the engine. The daemon/containerd keeps one Registries.

import type { Reference } from "../../lib/reference.ts";
import { repositoryScope } from "./auth.ts";
import { Repository } from "./client.ts";
import type { CredentialLookup } from "./credentials.ts";
import { Transport, type TransportOptions } from "./transport.ts";

export interface RegistriesOptions extends Omit<TransportOptions, "credentials"> {
  /** Credentials by domain, e.g. from loadDockerConfig(configPath()). */
  credentials?: CredentialLookup;
}

export class Registries {
  #transports = new Map<string, Transport>();

  constructor(readonly opts: RegistriesOptions = {}) {}

  transport(domain: string): Transport {
    let t = this.#transports.get(domain);
    if (!t) {
      const { credentials, ...rest } = this.opts;
      t = new Transport(domain, { ...rest, credentials: credentials?.(domain) });
      this.#transports.set(domain, t);
    }
    return t;
  }

  /**
   * A repository handle. `actions` are the scope wanted on it ("pull", or "pull","push");
   * `mountFrom` adds pull access to other repositories of the same registry.
   */
  repository(
    ref: Pick<Reference, "domain" | "path">,
    actions: string[] = ["pull"],
    mountFrom: string[] = [],
  ): Repository {
    const scopes = [
      repositoryScope(ref.path, actions),
      ...mountFrom.map((p) => repositoryScope(p, ["pull"])),
    ];
    return new Repository(this.transport(ref.domain), ref.path, scopes);
  }
}
