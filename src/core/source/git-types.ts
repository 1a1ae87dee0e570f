// GitRepository spec types: Flux's source.toolkit.fluxcd.io/v1 fields, as plain data.
import type { Artifact } from "../artifact/artifact";
import type { TLSConfig } from "./tls";

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

/** GitRepositoryReference is a GitRepository as its consumers see it: name, spec and the artifact to use. */
export interface GitRepositoryReference {
  kind: "GitRepository";
  name: string;
  spec: GitRepositorySpec;
  artifact: Artifact;
}

/** GitRepositoryInclude copies another GitRepository's artifact into this one (Flux's `include[]`). */
export interface GitRepositoryInclude {
  /** The included GitRepository and the artifact it resolved. */
  repository: GitRepositoryReference;
  /** Path inside the included artifact to copy. Default: its root. */
  fromPath?: string;
  /** Path inside this tree to copy to. Default: the included repository's name. */
  toPath?: string;
}

/** GitVerificationMode is what `verify` checks: the commit (HEAD), the tag object (Tag), or both. */
export type GitVerificationMode = "HEAD" | "Tag" | "TagAndHEAD";

/** GitVerification is Flux's `verify`: signatures that must come from one of the public keys. */
export interface GitVerification {
  mode: GitVerificationMode;
  /** ASCII-armored PGP public keys (Flux's `.asc` keys) and/or SSH public keys (`ssh-ed25519 AAAA…`). */
  publicKeys: string[];
}

/** GitRepositorySpec is a GitRepository's desired state. */
export interface GitRepositorySpec {
  /** http(s)://, ssh:// (or scp-like user@host:path) or file:// URL. */
  url: string;
  /** Default: branch "master", as in Flux. */
  ref?: GitRepositoryRef;
  auth?: GitAuth;
  /** CA bundle and client certificate for https:// URLs (Flux's certSecretRef keys). */
  tls?: TLSConfig;
  /** Git operation timeout, default "60s". */
  timeout?: string;
  /** Extra .sourceignore-style patterns. */
  ignore?: string;
  /** Fetch submodules too (shallow, recursive), with the same credentials and TLS. Default false. */
  recurseSubmodules?: boolean;
  /** Other GitRepositories' artifacts to copy into this tree before packing. */
  include?: GitRepositoryInclude[];
  /** Signature verification of the fetched commit and/or tag. */
  verify?: GitVerification;
}
