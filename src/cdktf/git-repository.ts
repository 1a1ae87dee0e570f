// GitRepository: the construct of `fluxiac_git_repository`, Flux's GitRepository source.
import type { Construct } from "constructs";
import { validateGitRepository } from "../core/reconcile/git-repository";
import type { GitRepositoryRef, GitRepositorySpec, GitVerificationMode } from "../core/source/git-types";
import type { ObjectProps } from "./resource";
import { SourceResource, type TLSProps } from "./source";

/** GitAuthProps are credentials: HTTP basic (username/password), bearerToken, or SSH identity + knownHosts. Sensitive. */
export interface GitAuthProps {
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  /** OpenSSH private key. */
  readonly identity?: string;
  /** known_hosts lines of the SSH server. Without them, unknown hosts are refused. */
  readonly knownHosts?: string;
}

/** GitRepositoryIncludeProps copies another GitRepository's artifact into this one (Flux's `include[]`). */
export interface GitRepositoryIncludeProps {
  /** The included GitRepository. */
  readonly repository: GitRepository;
  /** Path inside the included artifact to copy. @default its root */
  readonly fromPath?: string;
  /** Path inside this repository's tree to copy to. @default the included repository's name */
  readonly toPath?: string;
}

/** GitVerificationProps is Flux's `verify`: which signatures must come from which public keys. */
export interface GitVerificationProps {
  /** HEAD verifies the commit, Tag the tag object, TagAndHEAD both. */
  readonly mode: GitVerificationMode;
  /** ASCII-armored PGP public keys and/or SSH public keys (`ssh-ed25519 AAAA…`). */
  readonly publicKeys: string[];
}

/** GitRepositoryProps are Flux's GitRepository fields, as GitRepositoryArgs of the Pulumi component. */
export interface GitRepositoryProps extends ObjectProps {
  /** https://, http://, ssh:// or file:// URL of the repository. */
  readonly url: string;
  /** What to fetch; precedence commit > name > tag > semver > branch. @default { branch: "master" } */
  readonly ref?: GitRepositoryRef;
  /** Credentials. Sensitive. */
  readonly auth?: GitAuthProps;
  /** CA bundle and client certificate for https:// URLs. Sensitive. */
  readonly tls?: TLSProps;
  /** Timeout of Git operations. @default "60s" */
  readonly timeout?: string;
  /** Extra .sourceignore patterns; any pattern replaces Flux's non-VCS default exclusions. */
  readonly ignore?: string;
  /** Fetch submodules too. @default false */
  readonly recurseSubmodules?: boolean;
  /** Other GitRepositories whose artifacts are copied into this tree. */
  readonly include?: GitRepositoryIncludeProps[];
  /** Signature verification of the commit and/or tag. */
  readonly verify?: GitVerificationProps;
}

/**
 * GitRepository fetches a Git ref into a versioned artifact. The provider resolves the revision at plan
 * time, so `cdktf diff` shows a new commit; nothing is cloned when neither it nor the settings changed.
 */
export class GitRepository extends SourceResource<"GitRepository"> {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_git_repository";
  readonly sourceKind = "GitRepository" as const;

  constructor(scope: Construct, id: string, props: GitRepositoryProps) {
    const { url, ref, auth, tls, timeout, ignore, recurseSubmodules, verify } = props;
    const include = props.include?.map((inc) => ({ repository: inc.repository.sourceReference, fromPath: inc.fromPath, toPath: inc.toPath }));
    const checkedInclude = props.include?.map((inc) => ({ repository: { name: inc.repository.fluxName }, fromPath: inc.fromPath, toPath: inc.toPath }));
    const spec = { url, ref, auth, tls, timeout, ignore, recurseSubmodules, verify };
    super(scope, id, props, {
      kind: "GitRepository",
      type: GitRepository.tfResourceType,
      attributes: { ...spec, include },
      secrets: ["auth.password", "auth.bearerToken", "auth.identity", "tls.key"],
      checked: { ...spec, include: checkedInclude },
      validate: () => validateGitRepository({ ...spec, include: checkedInclude } as GitRepositorySpec),
    });
  }
}
