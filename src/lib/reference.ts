// Docker image references, parsed exactly as Docker does (distribution/reference 2.8:
// regexp.go, reference.go, normalize.go), including its error messages.
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*

import { invalidArgument } from "./errors.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
export const OFFICIAL_REPO_PREFIX = "library/";
export const DEFAULT_TAG = "latest";
export const NAME_TOTAL_LENGTH_MAX = 255;

const alphaNumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]*)";
const nameComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const name = `(?:${domain}/)?${nameComponent}(?:/${nameComponent})*`;

const referenceRe = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domain})/)?(${nameComponent}(?:/${nameComponent})*)$`);
const anchoredTagRe = new RegExp(`^${tag}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;

/** The error messages of distribution/reference and go-digest, word for word. */
export const ReferenceErrors = {
  invalidFormat: "invalid reference format",
  tagInvalidFormat: "invalid tag format",
  nameContainsUppercase: "invalid reference format: repository name must be lowercase",
  nameEmpty: "repository name must have at least one component",
  nameTooLong: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
  digestInvalidFormat: "invalid checksum digest format",
  digestInvalidLength: "invalid checksum digest length",
  digestUnsupported: "unsupported digest algorithm",
} as const;

/** A parsed, normalized reference: `docker.io/library/busybox:latest`. */
export interface Reference {
  /** Registry host[:port], "docker.io" when none was given. */
  domain: string;
  /** Repository path within the registry: "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Validates a digest as go-digest's Digest.Validate does; returns it unchanged. */
export function parseDigest(s: string): string {
  const i = s.indexOf(":");
  if (i <= 0 || i + 1 === s.length) throw invalidArgument(ReferenceErrors.digestInvalidFormat);
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const want = digestHexLength[algorithm];
  if (want === undefined) {
    if (!new RegExp(`^${digest}$`).test(s)) {
      throw invalidArgument(ReferenceErrors.digestInvalidFormat);
    }
    throw invalidArgument(ReferenceErrors.digestUnsupported);
  }
  if (encoded.length !== want) throw invalidArgument(ReferenceErrors.digestInvalidLength);
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalidArgument(ReferenceErrors.digestInvalidFormat);
  return s;
}

/** True when `s` is a valid sha256 digest (the only algorithm the content store holds). */
export function isSha256Digest(s: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}

/** reference.Parse: no normalization; the domain is whatever precedes the first "/". */
export function parseReference(s: string): Reference {
  const m = referenceRe.exec(s);
  if (!m) {
    if (s === "") throw invalidArgument(ReferenceErrors.nameEmpty);
    if (referenceRe.test(s.toLowerCase())) {
      throw invalidArgument(ReferenceErrors.nameContainsUppercase);
    }
    throw invalidArgument(ReferenceErrors.invalidFormat);
  }
  const [, fullName, t, d] = m;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) throw invalidArgument(ReferenceErrors.nameTooLong);
  const nm = anchoredNameRe.exec(fullName);
  const ref: Reference = nm ? { domain: nm[1] ?? "", path: nm[2] } : { domain: "", path: fullName };
  if (t) ref.tag = t;
  if (d) ref.digest = parseDigest(d);
  return ref;
}

/** splitDockerDomain: the first component is a domain if it has "." or ":" or is localhost. */
export function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const i = s.indexOf("/");
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(s.slice(0, i)) && s.slice(0, i) !== "localhost")) {
    domain = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    domain = s.slice(0, i);
    remainder = s.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  return { domain, remainder };
}

/**
 * reference.ParseNormalizedNamed: `busybox` → docker.io/library/busybox. No default tag
 * is added (see parseNormalized for the `docker pull` behaviour).
 */
export function parseNormalizedNamed(s: string): Reference {
  if (anchoredIdentifierRe.test(s)) {
    throw invalidArgument(
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(":");
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalidArgument(ReferenceErrors.nameContainsUppercase);
  }
  const ref = parseReference(`${domain}/${remainder}`);
  if (!ref.domain && !ref.path) throw invalidArgument(`reference ${s} has no name`);
  return ref;
}

/** What `docker pull NAME` resolves: normalized, with tag "latest" when neither tag nor digest. */
export function parseNormalized(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** Validates a tag alone (`docker tag IMG name:TAG`). */
export function validateTag(t: string): string {
  if (!anchoredTagRe.test(t)) throw invalidArgument(ReferenceErrors.tagInvalidFormat);
  return t;
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: Reference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The full string: "docker.io/library/busybox:latest@sha256:…". */
export function referenceString(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** FamiliarName: "busybox", "user/app", "127.0.0.1:5000/x". */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes("/")) return rest;
  }
  return ref.path;
}

/** FamiliarString: "busybox:latest", "127.0.0.1:5000/x:1", "busybox@sha256:…". */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** The same reference with the tag and digest replaced. */
export function withTag(ref: Reference, tag: string): Reference {
  return { domain: ref.domain, path: ref.path, tag: validateTag(tag) };
}

export function withDigest(ref: Reference, d: string): Reference {
  return { domain: ref.domain, path: ref.path, digest: parseDigest(d) };
}
