// Legacy container links (`--link name[:alias]`) as dockerd 20.10 has them on the default
// bridge: the parent gets the child's address in /etc/hosts and <ALIAS>_PORT…/_NAME/_ENV_…
// variables, computed at each start from the running child. Stored in HostConfig.Links as
// "<child id>:<alias>" (a rename of either side keeps the link, as dockerd's link graph);
// inspect shows dockerd's "/<child>:/<parent>/<alias>", ps lists "/<parent>/<alias>" among
// the child's names. On user-defined networks dockerd keeps links as DNS aliases: not here.
import { conflict, internal, invalidArgument, notFound } from "../../lib/errors.ts";
import { DEFAULT_PATH_ENV } from "../../containerd/oci/defaults.ts";
import { replaceOrAppendEnv } from "../../containerd/oci/spec.ts";
import type { Spec } from "../../containerd/oci/mod.ts";
import type { Daemon } from "../daemon.ts";
import type { Container } from "./store.ts";

const DEFAULT_BRIDGE = "bridge";

/** opts.ParseLink: "name" (alias = name), "name:alias", or inspect's "/name:/parent/alias". */
export function parseLink(value: string): { name: string; alias: string } {
  if (!value) throw invalidArgument("empty string specified for links");
  const parts = value.split(":");
  if (parts.length > 2) throw invalidArgument(`bad format for links: ${value}`);
  if (parts.length === 1) return { name: value, alias: value };
  if (parts[0].startsWith("/")) {
    return { name: parts[0].slice(1), alias: parts[1].slice(parts[1].lastIndexOf("/") + 1) };
  }
  return { name: parts[0], alias: parts[1] };
}

/**
 * Create (dockerd's registerLinks): each link names an existing container, followed through
 * `container:` network modes, not on the host's network. User-defined networks keep none.
 */
export function resolveLinks(d: Daemon, links: string[], networkMode: string): string[] | null {
  if (!links.length || !onDefaultBridgeMode(networkMode)) return null;
  return links.map((l) => {
    const { name, alias } = parseLink(l);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(alias)) {
      throw invalidArgument(`invalid link alias ${JSON.stringify(alias.slice(0, 64))}`);
    }
    let child = d.store.find(name);
    if (!child) {
      throw invalidArgument(`could not get container for ${name}: No such container: ${name}`);
    }
    for (let hops = 0; child.host.NetworkMode.startsWith("container:"); hops++) {
      const ref = child.host.NetworkMode.slice("container:".length);
      const next = d.store.find(ref);
      if (!next || hops > 16) {
        throw invalidArgument(`Could not get container for ${ref}`);
      }
      child = next;
    }
    if (child.host.NetworkMode === "host") {
      throw invalidArgument(
        "conflicting options: host type networking can't be used with links. " +
          "This would result in undefined behavior",
      );
    }
    return `${child.rec.ID}:${alias}`;
  });
}

function onDefaultBridgeMode(mode: string): boolean {
  return mode === "" || mode === "default" || mode === DEFAULT_BRIDGE;
}

interface Link {
  child: Container;
  alias: string;
}

/** The links of `parent` whose child still exists (a removed child ends its links). */
function linksOf(d: Daemon, parent: Container): Link[] {
  const out: Link[] = [];
  for (const l of parent.host.Links ?? []) {
    const i = l.lastIndexOf(":");
    const child = d.store.find(l.slice(0, i));
    if (child && child.rec.ID === l.slice(0, i)) out.push({ child, alias: l.slice(i + 1) });
  }
  return out;
}

/** Inspect's HostConfig.Links: "/<child>:/<parent>/<alias>", null without links. */
export function linkViews(d: Daemon, parent: Container): string[] | null {
  const links = linksOf(d, parent);
  if (!links.length) return null;
  return links.map(({ child, alias }) => `${child.rec.Name}:${parent.rec.Name}/${alias}`);
}

/** The link names that point at `child` ("/<parent>/<alias>"), for ps's Names. */
export function namesAsLinkChild(d: Daemon, child: Container): string[] {
  const names: string[] = [];
  for (const parent of d.store.all()) {
    for (const l of linksOf(d, parent)) {
      if (l.child === child) names.push(`${parent.rec.Name}/${l.alias}`);
    }
  }
  return names;
}

function bridgeAddress(c: Container): string {
  return c.rec.NetworkSettings?.Networks?.[DEFAULT_BRIDGE]?.IPAddress ?? "";
}

/**
 * The running children of a parent on the default bridge, none when the parent is not on
 * it; dockerd's start checks (setupLinkedContainers, buildSandboxOptions) throw.
 */
function runningChildren(d: Daemon, parent: Container): (Link & { ip: string })[] {
  if (!parent.rec.NetworkSettings?.Networks?.[DEFAULT_BRIDGE]) return [];
  return linksOf(d, parent).map((l) => {
    const linkName = `${parent.rec.Name}/${l.alias}`;
    if (!l.child.rec.NetworkSettings?.Networks?.[DEFAULT_BRIDGE]) {
      throw invalidArgument(
        `Cannot link to ${l.child.rec.Name}, as it does not belong to the default network`,
      );
    }
    const ip = bridgeAddress(l.child);
    if (!l.child.rec.State.Running || !ip) {
      throw conflict(`Cannot link to a non running container: ${l.child.rec.Name} AS ${linkName}`);
    }
    return { ...l, ip };
  });
}

/**
 * /etc/hosts lines of the parent: "<ip>\t<alias> <child's hostname>[ <child's name>]" for
 * each running child (none before the first start: applyLinks refuses the others then).
 */
export function linkHostLines(d: Daemon, parent: Container): string[] {
  if (!parent.rec.NetworkSettings?.Networks?.[DEFAULT_BRIDGE]) return [];
  const lines: string[] = [];
  for (const { child, alias } of linksOf(d, parent)) {
    const ip = bridgeAddress(child);
    if (!child.rec.State.Running || !ip) continue;
    const name = child.rec.Name.slice(1);
    const names = [alias, child.rec.Config.Hostname, ...(alias !== name ? [name] : [])];
    lines.push(`${ip}\t${names.join(" ")}`);
  }
  return lines;
}

interface ExposedPort {
  port: number;
  proto: string;
}

/** Ports by number, tcp before other protocols on the same number (dockerd's link sort). */
function sortedPorts(exposed: Record<string, unknown> | null | undefined): ExposedPort[] {
  const ports = Object.keys(exposed ?? {}).map((k) => {
    const [port, proto = "tcp"] = k.split("/");
    return { port: Number(port), proto };
  }).filter((p) => Number.isInteger(p.port));
  return ports.sort((a, b) =>
    a.port - b.port || (a.proto === "tcp" ? -1 : b.proto === "tcp" ? 1 : 0)
  );
}

/** dockerd's links.ToEnv for one link (`linkName` is "/<parent>/<alias>"). */
export function linkEnv(
  linkName: string,
  ip: string,
  exposed: Record<string, unknown> | null | undefined,
  childEnv: string[],
): string[] {
  const alias = linkName.slice(linkName.lastIndexOf("/") + 1).toUpperCase().replaceAll("-", "_");
  const ports = sortedPorts(exposed);
  const env: string[] = [];
  const key = (p: ExposedPort) => `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
  if (ports.length) env.push(`${alias}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
  // Runs of consecutive port numbers also get _START/_END variables (named by the first).
  for (let i = 0; i < ports.length;) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1].port === ports[j].port + 1) j++;
    if (j > i) {
      const p = ports[i], q = ports[j], k = key(p);
      env.push(
        `${k}_START=${p.proto}://${ip}:${p.port}`,
        `${k}_ADDR=${ip}`,
        `${k}_PROTO=${p.proto}`,
        `${k}_PORT_START=${p.port}`,
        `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${ip}:${q.port}`,
        `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`,
      );
      i = j + 1;
    } else i++;
  }
  for (const p of ports) {
    const k = key(p);
    env.push(
      `${k}=${p.proto}://${ip}:${p.port}`,
      `${k}_ADDR=${ip}`,
      `${k}_PORT=${p.port}`,
      `${k}_PROTO=${p.proto}`,
    );
  }
  env.push(`${alias}_NAME=${linkName}`);
  for (const e of childEnv) {
    const i = e.indexOf("=");
    if (i < 0) continue;
    const name = e.slice(0, i);
    if (name === "HOME" || name === "PATH") continue;
    env.push(`${alias}_ENV_${name}=${e.slice(i + 1)}`);
  }
  return env;
}

/**
 * Start: the spec's environment gets the links' variables (dockerd's CreateDaemonEnvironment:
 * PATH, HOSTNAME, TERM, the links, then the container's own Env over them). Refuses to start
 * when a child does not run.
 */
export async function applyLinks(d: Daemon, parent: Container): Promise<void> {
  if (!parent.host.Links?.length) return;
  const env: string[] = [];
  for (const { child, alias, ip } of runningChildren(d, parent)) {
    const c = child.rec.Config;
    env.push(...linkEnv(`${parent.rec.Name}/${alias}`, ip, c.ExposedPorts, c.Env ?? []));
  }
  const rec = await d.containerd.containers.get(parent.rec.ID);
  const spec = rec.spec as unknown as Spec;
  if (!spec.process) throw notFound(`container ${parent.rec.ID}: spec without a process`);
  const cfg = parent.rec.Config;
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${cfg.Hostname}`, ...(cfg.Tty ? ["TERM=xterm"] : [])];
  spec.process.env = replaceOrAppendEnv([...base, ...env], cfg.Env ?? []);
  await d.containerd.containers.update(parent.rec.ID, {
    spec: spec as unknown as Record<string, unknown>,
  });
}

/**
 * rm --link "<parent>/<alias>" (dockerd's rmLink): the parent forgets the link; the child
 * stays. A plain name is the container's own, which cannot be removed as a link.
 */
export async function removeLink(d: Daemon, name: string): Promise<void> {
  const full = name.startsWith("/") ? name : `/${name}`;
  const cut = full.lastIndexOf("/");
  if (cut === 0) {
    throw internal("Conflict, cannot remove the default link name of the container");
  }
  const parent = d.store.find(full.slice(0, cut));
  const alias = full.slice(cut + 1);
  const link = parent && linksOf(d, parent).find((l) => l.alias === alias);
  if (!parent || !link) throw notFound(`No such container: ${name.replace(/^\//, "")}`);
  parent.host.Links = (parent.host.Links ?? []).filter((l) =>
    l !== `${link.child.rec.ID}:${alias}`
  );
  await d.store.save(parent);
}
