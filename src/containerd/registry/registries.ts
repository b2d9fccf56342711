// One Transport (and so one token cache and one chosen endpoint) per registry domain, with
// the credentials, mirrors, insecure registries and certificates of the engine. The
// containerd process keeps one Registries, and makes one per request that brings its own
// credentials or registry configuration.

import { DEFAULT_DOMAIN, type Reference } from "../../lib/reference.ts";
import { repositoryScope } from "./auth.ts";
import { Repository } from "./client.ts";
import type { CredentialLookup } from "./credentials.ts";
import { endpoints } from "./hosts.ts";
import { Transport, type TransportOptions } from "./transport.ts";

export interface RegistriesOptions extends Omit<TransportOptions, "credentials" | "endpoints"> {
  /** Credentials by domain, e.g. from loadDockerConfig(configPath()). */
  credentials?: CredentialLookup;
}

export class Registries {
  #transports = new Map<string, Transport>();

  constructor(readonly opts: RegistriesOptions = {}) {}

  /** The transport of a domain's own endpoints (mirrors aside). */
  transport(domain: string): Transport {
    return this.#transport(
      `domain:${domain}`,
      domain,
      () => endpoints(domain, { ...this.opts, mirrors: [] }),
    );
  }

  #transport(key: string, domain: string, eps: () => TransportOptions["endpoints"]) {
    let t = this.#transports.get(key);
    if (!t) {
      const { credentials, ...rest } = this.opts;
      t = new Transport(domain, {
        ...rest,
        endpoints: eps(),
        credentials: credentials?.(domain),
      });
      this.#transports.set(key, t);
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
    return new Repository(
      this.transport(ref.domain),
      ref.path,
      scopes(ref.path, actions, mountFrom),
    );
  }

  /**
   * Where a pull may read `ref` from, in order: docker.io's mirrors (each its own transport,
   * with docker.io's credentials), then the registry itself.
   */
  pullSources(ref: Pick<Reference, "domain" | "path">): Repository[] {
    const out: Repository[] = [];
    if (ref.domain === DEFAULT_DOMAIN) {
      for (const e of endpoints(ref.domain, this.opts).filter((e) => e.mirror)) {
        const t = this.#transport(`mirror:${e.base}`, ref.domain, () => [e]);
        out.push(new Repository(t, ref.path, scopes(ref.path, ["pull"], [])));
      }
    }
    out.push(this.repository(ref));
    return out;
  }
}

function scopes(path: string, actions: string[], mountFrom: string[]): string[] {
  return [
    repositoryScope(path, actions),
    ...mountFrom.map((p) => repositoryScope(p, ["pull"])),
  ];
}
