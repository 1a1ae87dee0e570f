// GitRepository spec types: Flux's source.toolkit.fluxcd.io/v1 fields, as plain data.
export type { Artifact } from "../artifact/artifact";

/** GitRepositoryRef selects what to fetch. Precedence (Flux's code): commit > name > tag > semver > branch. */
export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

/** GitAuth holds credentials: HTTP basic or bearer, or an SSH identity checked against knownHosts. */
export interface GitAuth {
  username?: string;
  password?: string;
  bearerToken?: string;
  /** OpenSSH private key. */
  identity?: string;
  /** known_hosts lines for the server. Without them, the user's own known_hosts decides. */
  knownHosts?: string;
}

/** GitRepositorySpec is a GitRepository's desired state. */
export interface GitRepositorySpec {
  /** http(s)://, ssh:// (or scp-like user@host:path) or file:// URL. */
  url: string;
  /** Default: branch "master", as in Flux. */
  ref?: GitRepositoryRef;
  auth?: GitAuth;
  /** Git operation timeout, default "60s". */
  timeout?: string;
  /** Extra .sourceignore-style patterns. */
  ignore?: string;
}
