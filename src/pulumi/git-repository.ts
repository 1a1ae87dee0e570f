// GitRepository: a Pulumi component for Flux's GitRepository source.
import * as pulumi from "@pulumi/pulumi";
import type { SourceReference } from "../core/reconcile/source-reference";
import type { Artifact, GitRepositoryRef } from "../core/source/git-types";
import { gitRepositoryProvider } from "./providers";

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

/** GitRepositoryArgs are Flux's GitRepository fields. */
export interface GitRepositoryArgs {
  /** https://, http://, ssh:// or file:// URL of the repository. */
  url: pulumi.Input<string>;
  /** What to fetch; precedence commit > name > tag > semver > branch. @default { branch: "master" } */
  ref?: pulumi.Input<GitRepositoryRef>;
  /** Credentials. Always stored as secrets. */
  auth?: pulumi.Input<GitAuthArgs>;
  /** Timeout of Git operations. @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Extra .sourceignore patterns; any pattern replaces Flux's non-VCS default exclusions. */
  ignore?: pulumi.Input<string>;
}

/** GitRepositoryResource is the dynamic resource behind GitRepository. */
class GitRepositoryResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(gitRepositoryProvider, name, props, opts, "source", "GitRepository");
  }
}

/**
 * GitRepository fetches a Git ref into a versioned artifact during preview and up. The revision is
 * resolved with one ls-remote; nothing is cloned when it did not change.
 */
export class GitRepository extends pulumi.ComponentResource {
  /** artifact is the fetched revision (`main@sha1:<sha>`), the sha256 digest of its tar.gz and its size. */
  readonly artifact: pulumi.Output<Artifact>;
  /** sourceReference is what consumers such as Kustomization receive (secret when auth is set). */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: "GitRepository" }>>;

  constructor(name: string, args: GitRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:GitRepository", name, {}, opts);
    const auth = args.auth === undefined ? undefined : pulumi.secret(args.auth);
    const res = new GitRepositoryResource(
      name,
      { name, url: args.url, ref: args.ref, auth, timeout: args.timeout, ignore: args.ignore, artifact: undefined },
      { parent: this, additionalSecretOutputs: ["auth"] },
    );
    this.artifact = res.artifact;
    // The spec comes from the arguments (known during preview); only the artifact from the provider.
    this.sourceReference = pulumi
      .all([args.url, args.ref, auth, args.timeout, args.ignore, res.artifact])
      .apply(([url, ref, authValue, timeout, ignore, artifact]) => ({
        kind: "GitRepository" as const,
        name,
        spec: { url, ref, auth: authValue, timeout, ignore },
        artifact,
      }));
    this.registerOutputs({ artifact: this.artifact });
  }
}
