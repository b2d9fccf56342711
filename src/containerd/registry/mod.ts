// The image-distribution library of `engine containerd`: what the containerd process and
// its API handlers import. Internals (transport, auth, body caps) stay behind this file.

export { pull, type PulledImage, type PullOptions, SOURCE_LABEL_PREFIX } from "./pull.ts";
export { push, type PushOptions, type PushResult, type PushStatus } from "./push.ts";
export { Registries, type RegistriesOptions } from "./registries.ts";
export {
  configPath,
  type CredentialLookup,
  type Credentials,
  loadDockerConfig,
  parseDockerConfig,
} from "./credentials.ts";
export { type ProgressEvent, type ProgressFn, type ProgressStatus, shortId } from "./fetch.ts";
export {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  selectManifest,
} from "./platform.ts";
export { endpointFetcher, networkError, RegistryHttpError } from "./transport.ts";
export { type Endpoint, endpoints, type HostsConfig, validateInsecureEntry } from "./hosts.ts";
export { UnauthorizedError } from "./auth.ts";
