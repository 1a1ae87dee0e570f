// BootstrapGit: the construct of `fluxiac_bootstrap_git`, `flux bootstrap git`. In fluxiac mode the
// self-management loop is a GitRepository and a Kustomization of the user's, wired to the `sync` getters.
import type { IResolvable } from "cdktf";
import type { Construct } from "constructs";
import type { DeployKeyAlgorithm } from "../core/bootstrap/types";
import { validateBootstrapGit } from "../core/reconcile/bootstrap-git";
import type { GitAuthProps } from "./git-repository";
import { FluxiacResource, type ObjectProps } from "./resource";
import type { ISource, TLSProps } from "./source";
import type { Problem } from "./validate";

/** BootstrapGitComponentsProps names Flux's component manifests for gotk-components.yaml. Sensitive. */
export interface BootstrapGitComponentsProps {
  /** A local file, or a directory whose *.yaml files are joined in name order. */
  readonly localPath?: string;
  /** A GitRepository, OCIRepository or Bucket whose artifact holds the manifests. */
  readonly sourceRef?: ISource<"GitRepository" | "OCIRepository" | "Bucket">;
  /** With sourceRef: the file or directory inside the artifact. @default its root */
  readonly path?: string;
  /** Flux version for the header and the commit message. @default the manifests' `# Flux Version:` line, else "custom" */
  readonly version?: string;
}

/** BootstrapGitProps are `flux bootstrap git`'s settings, as BootstrapGitArgs of the Pulumi component. */
export interface BootstrapGitProps extends ObjectProps {
  /** Repository URL: ssh://, user@host:path, https:// or file://. */
  readonly url: string;
  /** Branch to commit to; created when missing. @default "main" */
  readonly branch?: string;
  /** Credentials of the push. Sensitive. */
  readonly auth?: GitAuthProps;
  /** CA bundle and client certificate for https:// URLs. Sensitive. */
  readonly tls?: TLSProps;
  /** Commit author. @default { name: "Flux", email: "" } */
  readonly author?: { readonly name: string; readonly email: string };
  /** Sign commits with a PGP secret key ("openpgp") or an SSH private key ("ssh"). Sensitive. */
  readonly signing?: { readonly format: "openpgp" | "ssh"; readonly key: string };
  /** Path in the repository, e.g. "clusters/prod"; files go to `<path>/flux-system/`. */
  readonly path: string;
  /** kubeconfig file content. Sensitive. @default the provider's cluster */
  readonly kubeconfig?: string;
  /** kubeconfig context. @default the provider's */
  readonly context?: string;
  /** Namespace of the Secret and the sync objects. @default "flux-system" */
  readonly namespace?: string;
  /** Interval of the flux-system GitRepository in gotk-sync.yaml. @default "1m" */
  readonly interval?: string;
  /** Git operation timeout. @default "60s" */
  readonly timeout?: string;
  /** Generate a deploy key for the Secret, kept in state. @default none: the Secret holds auth */
  readonly generateDeployKey?: { readonly algorithm?: DeployKeyAlgorithm };
  /** Trust the host key the SSH server presents when auth.knownHosts is empty. @default false */
  readonly scanKnownHosts?: boolean | IResolvable;
  /** Flux's component manifests, written to gotk-components.yaml. @default none */
  readonly components?: BootstrapGitComponentsProps;
  /** "fluxiac": your GitRepository and Kustomization reconcile the path (wire them to `sync`); "controllers": Flux's controllers. @default "fluxiac" */
  readonly mode?: "fluxiac" | "controllers";
  /** controllers mode: wait until the sync objects are Ready and the controllers rolled out. @default false */
  readonly wait?: boolean | IResolvable;
  /** How long wait waits. @default "5m" */
  readonly waitTimeout?: string;
  /** On destroy, remove `<path>/flux-system/` from the repository. @default false */
  readonly deleteGitManifests?: boolean | IResolvable;
  /** On destroy, keep the namespace. @default true */
  readonly keepNamespace?: boolean | IResolvable;
  /** Name of the Secret with the credentials and of gotk-sync.yaml's `secretRef`; a change moves the credentials. @default "flux-system" */
  readonly secretName?: string;
  /** The whole `<path>/flux-system/kustomization.yaml`, rewritten whenever it differs; must list gotk-sync.yaml (and gotk-components.yaml with components). @default the generated file, written only when missing */
  readonly kustomizationOverride?: string;
  /** Appended to every commit message after a blank line. @default none */
  readonly commitMessageAppendix?: string;
}

/** BootstrapGitPlanAttribute reads the computed `plan`: what the last plan found to change. */
export class BootstrapGitPlanAttribute {
  constructor(private readonly resource: BootstrapGit) {}

  /** revision is the branch revision the plan read. */
  get revision(): string {
    return this.resource.getStringAttribute("plan.revision");
  }
  /** files lists the repository files to commit. */
  get files(): string[] {
    return this.resource.getListAttribute("plan.files");
  }
  /** namespace is "create" or "unchanged". */
  get namespace(): string {
    return this.resource.getStringAttribute("plan.namespace");
  }
  /** secret is the Secret's action: create, update, unchanged or keep. */
  get secret(): string {
    return this.resource.getStringAttribute("plan.secret");
  }
  /** cluster lists the objects controllers mode applies. */
  get cluster(): string[] {
    return this.resource.getListAttribute("plan.cluster");
  }
}

/** BootstrapGitSyncAttribute reads `sync`: what the self-management loop reconciles, known after the push. */
export class BootstrapGitSyncAttribute {
  constructor(private readonly resource: BootstrapGit) {}

  /** url is the repository URL, for the loop's GitRepository. */
  get url(): string {
    return this.resource.getStringAttribute("sync.url");
  }
  /** branch is the branch, for the GitRepository's ref. */
  get branch(): string {
    return this.resource.getStringAttribute("sync.branch");
  }
  /** path is `./<path>`, for the Kustomization. */
  get path(): string {
    return this.resource.getStringAttribute("sync.path");
  }
  /** ignore is `/<path>/flux-system/`, for the GitRepository: those objects are for Flux's controllers. */
  get ignore(): string {
    return this.resource.getStringAttribute("sync.ignore");
  }
}

/**
 * BootstrapGit does what `flux bootstrap git` does, idempotently: it commits the sync manifests under
 * `<path>/flux-system/` and writes the Secret (`secretName`, default `flux-system`); `cdktf diff` shows what would be committed.
 */
export class BootstrapGit extends FluxiacResource {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_bootstrap_git";

  constructor(scope: Construct, id: string, props: BootstrapGitProps) {
    const { provider, lifecycle, dependsOn, name, components, ...fields } = props;
    const componentsAttr = components && { ...components, sourceRef: components.sourceRef?.sourceReference };
    super(scope, id, { name, provider, lifecycle, dependsOn }, {
      kind: "BootstrapGit",
      type: BootstrapGit.tfResourceType,
      attributes: { ...fields, components: componentsAttr },
      secrets: ["auth.password", "auth.bearerToken", "auth.identity", "tls.key", "signing.key", "kubeconfig"],
      checked: props as unknown as Record<string, unknown>,
      validate: () => validateBootstrapProps(props),
    });
  }

  /** plan is what the last plan found to change. */
  get plan(): BootstrapGitPlanAttribute {
    return new BootstrapGitPlanAttribute(this);
  }
  /** revision is the branch revision after the last apply (`main@sha1:<sha>`). */
  get revision(): string {
    return this.getStringAttribute("revision");
  }
  /** repositoryFiles are the files under `<path>/flux-system/`, path → content. */
  get repositoryFiles(): Record<string, string> {
    return this.getStringMapAttribute("repository_files");
  }
  /** deployKeyPublic is the generated deploy key's public key, to grant access to the repository. */
  get deployKeyPublic(): string {
    return this.getStringAttribute("deploy_key_public");
  }
  /** deployKeyPrivate is the generated deploy key's private key (sensitive). */
  get deployKeyPrivate(): string {
    return this.getStringAttribute("deploy_key_private");
  }
  /** knownHosts are the host keys the push and the Secret trust (given or scanned). */
  get knownHosts(): string {
    return this.getStringAttribute("known_hosts");
  }
  /** sync is what the self-management loop reconciles. */
  get sync(): BootstrapGitSyncAttribute {
    return new BootstrapGitSyncAttribute(this);
  }
}

/** validateBootstrapProps returns the problems of the props that are known at synth. */
function validateBootstrapProps(props: BootstrapGitProps): Problem[] {
  const { components, generateDeployKey, ...rest } = props;
  // A placeholder key, so the check that a deploy key needs an SSH URL runs at synth.
  const deployKey = generateDeployKey ? { algorithm: generateDeployKey.algorithm ?? "ecdsa-p384", privateKey: "", publicKey: "" } : undefined;
  const spec = { ...rest, deployKey, components: components && { ...components, sourceRef: components.sourceRef && { kind: components.sourceRef.sourceKind } } };
  return validateBootstrapGit(spec as Parameters<typeof validateBootstrapGit>[0]);
}
