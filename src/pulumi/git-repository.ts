// GitRepository: a Pulumi component for Flux's GitRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact, GitRepositoryReference, GitRepositoryRef, GitVerificationMode } from "../core/source/git-types";
import type { TLSConfig } from "../core/source/tls";
import { gitRepositoryProvider } from "./providers";
import type { SourceResource } from "./source";

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
  tls?: pulumi.Input<TLSConfig>;
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

/** GitRepositoryResource is the dynamic resource behind GitRepository. */
class GitRepositoryResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact>;
  declare readonly includedArtifacts: pulumi.Output<Artifact[]>;
  declare readonly sourceVerificationMode: pulumi.Output<GitVerificationMode | undefined>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(gitRepositoryProvider, name, props, opts, "source", "GitRepository");
  }
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
    const secret = <T>(v: pulumi.Input<T> | undefined) => (v === undefined ? undefined : pulumi.secret(v));
    const auth = secret(args.auth);
    const tls = secret(args.tls);
    const verify = secret(args.verify);
    const include =
      args.include &&
      pulumi.all(
        args.include.map((inc) =>
          pulumi.all([inc.repository.sourceReference, inc.fromPath, inc.toPath]).apply(([repository, fromPath, toPath]) => ({ repository, fromPath, toPath })),
        ),
      );
    const res = new GitRepositoryResource(
      name,
      {
        name,
        url: args.url,
        ref: args.ref,
        auth,
        tls,
        timeout: args.timeout,
        ignore: args.ignore,
        recurseSubmodules: args.recurseSubmodules,
        include,
        verify,
        artifact: undefined,
        includedArtifacts: undefined,
        sourceVerificationMode: undefined,
      },
      // include carries the included repositories' specs, credentials included.
      { parent: this, additionalSecretOutputs: ["auth", "tls", "verify", "include"] },
    );
    this.artifact = res.artifact;
    this.includedArtifacts = res.includedArtifacts;
    this.sourceVerificationMode = res.sourceVerificationMode;
    // The spec comes from the arguments (known during preview); only the artifact from the provider.
    const spec = pulumi.output({ url: args.url, ref: args.ref, auth, tls, timeout: args.timeout, ignore: args.ignore, recurseSubmodules: args.recurseSubmodules, include, verify });
    this.sourceReference = pulumi
      .all([spec, res.artifact])
      .apply(([specValue, artifact]) => ({ kind: "GitRepository" as const, name, spec: specValue, artifact }));
    this.registerOutputs({ artifact: this.artifact, includedArtifacts: this.includedArtifacts, sourceVerificationMode: this.sourceVerificationMode });
  }
}
