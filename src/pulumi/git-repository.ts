// GitRepository: a Pulumi component for Flux's GitRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact, GitRepositoryReference, GitRepositoryRef, GitVerificationMode } from "../core/source/git-types";
import { gitRepositoryProvider } from "./providers";
import { registerSource, secret, type SourceResource, type TLSArgs } from "./source";

/** GitAuthArgs are credentials: HTTP basic (username/password), bearerToken, or SSH identity + knownHosts. */
export interface GitAuthArgs {
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
  bearerToken?: pulumi.Input<string>;
  /** OpenSSH private key. */
  identity?: pulumi.Input<string>;
  /** known_hosts lines of the SSH server. Without them, the user's own known_hosts decides; unknown hosts are refused. */
  knownHosts?: pulumi.Input<string>;
}

/** GitRepositoryIncludeArgs copies another GitRepository's artifact into this one (Flux's `include[]`). */
export interface GitRepositoryIncludeArgs {
  /** The included GitRepository. */
  repository: SourceResource<"GitRepository">;
  /** Path inside the included artifact to copy. @default its root */
  fromPath?: pulumi.Input<string>;
  /** Path inside this repository's tree to copy to. @default the included repository's name */
  toPath?: pulumi.Input<string>;
}

/** GitVerificationArgs is Flux's `verify`: which signatures must come from which public keys. */
export interface GitVerificationArgs {
  /** HEAD verifies the commit, Tag the tag object, TagAndHEAD both. */
  mode: pulumi.Input<GitVerificationMode>;
  /** ASCII-armored PGP public keys and/or SSH public keys (`ssh-ed25519 AAAA…`). Stored as secrets. */
  publicKeys: pulumi.Input<pulumi.Input<string>[]>;
}

/** GitRepositoryArgs are Flux's GitRepository fields. */
export interface GitRepositoryArgs {
  /** https://, http://, ssh:// or file:// URL of the repository. */
  url: pulumi.Input<string>;
  /** What to fetch; precedence commit > name > tag > semver > branch. @default { branch: "master" } */
  ref?: pulumi.Input<GitRepositoryRef>;
  /** Credentials. Always stored as secrets. */
  auth?: pulumi.Input<GitAuthArgs>;
  /** CA bundle (caCert) and client certificate (cert, key) for https:// URLs. Always stored as secrets. */
  tls?: pulumi.Input<TLSArgs>;
  /** Timeout of Git operations. @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Extra .sourceignore patterns; any pattern replaces Flux's non-VCS default exclusions. */
  ignore?: pulumi.Input<string>;
  /** Fetch submodules too (shallow, recursive, same credentials and TLS). @default false */
  recurseSubmodules?: pulumi.Input<boolean>;
  /** Other GitRepositories whose artifacts are copied into this tree; their new revisions make a new artifact. */
  include?: GitRepositoryIncludeArgs[];
  /** Signature verification of the commit and/or tag; nothing is packed when it fails. */
  verify?: pulumi.Input<GitVerificationArgs>;
}

/**
 * GitRepository fetches a Git ref into a versioned artifact during preview and up. The revision is
 * resolved with one ls-remote; nothing is cloned when neither it nor the settings changed.
 */
export class GitRepository extends pulumi.ComponentResource {
  /** artifact is the fetched revision (`main@sha1:<sha>`), the sha256 digest of its tar.gz and its size. */
  readonly artifact: pulumi.Output<Artifact>;
  /** includedArtifacts are the artifacts of `include`, in order (Flux's status.includedArtifacts). */
  readonly includedArtifacts: pulumi.Output<Artifact[]>;
  /** sourceVerificationMode is the verify mode the artifact passed, unset without verify. */
  readonly sourceVerificationMode: pulumi.Output<GitVerificationMode | undefined>;
  /** sourceReference is what consumers such as Kustomization receive (secret when auth, tls or verify is set). */
  readonly sourceReference: pulumi.Output<GitRepositoryReference>;

  constructor(name: string, args: GitRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:GitRepository", name, {}, opts);
    const include =
      args.include &&
      pulumi.all(
        args.include.map((inc) =>
          pulumi.all([inc.repository.sourceReference, inc.fromPath, inc.toPath]).apply(([repository, fromPath, toPath]) => ({ repository, fromPath, toPath })),
        ),
      );
    const { url, ref, timeout, ignore, recurseSubmodules } = args;
    const spec = { url, ref, auth: secret(args.auth), tls: secret(args.tls), timeout, ignore, recurseSubmodules, include, verify: secret(args.verify) };
    // include carries the included repositories' specs, credentials included.
    const source = registerSource(this, "GitRepository", name, gitRepositoryProvider, spec, {
      secrets: ["auth", "tls", "verify", "include"],
      outputs: ["includedArtifacts", "sourceVerificationMode"],
    });
    this.artifact = source.artifact;
    this.includedArtifacts = source.resource.output<Artifact[]>("includedArtifacts");
    this.sourceVerificationMode = source.resource.output<GitVerificationMode | undefined>("sourceVerificationMode");
    this.sourceReference = source.sourceReference;
    this.registerOutputs({ artifact: this.artifact, includedArtifacts: this.includedArtifacts, sourceVerificationMode: this.sourceVerificationMode });
  }
}
