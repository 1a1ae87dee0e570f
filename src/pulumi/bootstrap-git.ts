// BootstrapGit: a Pulumi component for `flux bootstrap git`, with the self-management loop as children.
import * as pulumi from "@pulumi/pulumi";
import type { DeployKeyAlgorithm } from "../core/bootstrap/types";
import type { BootstrapGitChanges } from "../core/reconcile/bootstrap-git";
import type { DeletionPolicy } from "../core/reconcile/kustomization";
import { GitRepository, type GitAuthArgs } from "./git-repository";
import { Kustomization } from "./kustomization";
import { bootstrapGitProvider } from "./providers";
import { secret, type SourceResource, type TLSArgs } from "./source";

/** BootstrapGitComponentsArgs names Flux's component manifests (CRDs and controllers) for gotk-components.yaml. */
export interface BootstrapGitComponentsArgs {
  /** A local file, or a directory whose *.yaml files are joined in name order. */
  localPath?: pulumi.Input<string>;
  /** A fluxiac source (GitRepository, OCIRepository, Bucket) whose artifact holds the manifests. */
  sourceRef?: SourceResource<"GitRepository" | "OCIRepository" | "Bucket">;
  /** With sourceRef: the file or directory inside the artifact. @default its root */
  path?: pulumi.Input<string>;
  /** Flux version for the header and the commit message. @default the manifests' `# Flux Version:` line, else "custom" */
  version?: pulumi.Input<string>;
}

/** BootstrapGitArgs are `flux bootstrap git`'s settings. */
export interface BootstrapGitArgs {
  /** Repository URL: ssh://, user@host:path, https:// or file://. */
  url: pulumi.Input<string>;
  /** Branch to commit to; created when missing. @default "main" */
  branch?: pulumi.Input<string>;
  /** Credentials of the push (SSH identity + knownHosts, or username/password or bearerToken). Stored as secrets. */
  auth?: pulumi.Input<GitAuthArgs>;
  /** CA bundle and client certificate for https:// URLs. Stored as secrets. */
  tls?: pulumi.Input<TLSArgs>;
  /** Commit author. @default { name: "Flux", email: "" } */
  author?: pulumi.Input<{ name: pulumi.Input<string>; email: pulumi.Input<string> }>;
  /** Sign commits with a PGP secret key (format "openpgp") or an SSH private key (format "ssh"). Stored as a secret. */
  signing?: pulumi.Input<{ format: pulumi.Input<"openpgp" | "ssh">; key: pulumi.Input<string> }>;
  /** Path in the repository, e.g. "clusters/prod"; files go to `<path>/flux-system/`. */
  path: pulumi.Input<string>;
  /** kubeconfig file content. Stored as a secret. @default $KUBECONFIG or ~/.kube/config */
  kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context. @default the current context */
  context?: pulumi.Input<string>;
  /** Namespace of the Secret and the sync objects. @default "flux-system" */
  namespace?: pulumi.Input<string>;
  /** Interval of the flux-system GitRepository in gotk-sync.yaml. @default "1m" */
  interval?: pulumi.Input<string>;
  /** Git operation timeout. @default "60s" */
  timeout?: pulumi.Input<string>;
  /** Generate a deploy key for the Secret (kept in state): ECDSA P-384, or ed25519. @default none: the Secret holds auth */
  generateDeployKey?: pulumi.Input<{ algorithm?: pulumi.Input<DeployKeyAlgorithm> }>;
  /** Trust the host key the SSH server presents (ssh-keyscan) when auth.knownHosts is empty. @default false */
  scanKnownHosts?: pulumi.Input<boolean>;
  /** Flux's component manifests, written to gotk-components.yaml. @default none */
  components?: BootstrapGitComponentsArgs;
  /**
   * "fluxiac": a fluxiac GitRepository and Kustomization (children) reconcile `<path>` on every `pulumi up`.
   * "controllers": the components and the sync objects are applied, and Flux's controllers reconcile.
   * @default "fluxiac"
   */
  mode?: "fluxiac" | "controllers";
  /** controllers mode: wait until the sync objects are Ready and the controllers rolled out. @default false */
  wait?: pulumi.Input<boolean>;
  /** How long wait waits. @default "5m" */
  waitTimeout?: pulumi.Input<string>;
  /** On destroy, remove `<path>/flux-system/` from the repository. @default false */
  deleteGitManifests?: pulumi.Input<boolean>;
  /** On destroy, keep the namespace. @default true */
  keepNamespace?: pulumi.Input<boolean>;
  /** Name of the Secret with the credentials and of gotk-sync.yaml's `secretRef`; a change moves the credentials (the old Secret goes when fluxiac created it). @default "flux-system" */
  secretName?: pulumi.Input<string>;
  /**
   * The whole `<path>/flux-system/kustomization.yaml`, written instead of the generated one and rewritten
   * whenever the repository's differs. It must list gotk-sync.yaml (and gotk-components.yaml with components).
   * @default the generated file, written only when missing
   */
  kustomizationOverride?: pulumi.Input<string>;
  /** Appended to every commit message after a blank line, as `flux bootstrap --commit-message-appendix`. @default none */
  commitMessageAppendix?: pulumi.Input<string>;
  /** fluxiac mode: what destroying the self-management Kustomization deletes. @default "Orphan", as `flux uninstall` */
  deletionPolicy?: pulumi.Input<DeletionPolicy>;
}

/** BootstrapGitPlanOutput is the preview summary: the branch revision and what would change. */
export type BootstrapGitPlanOutput = BootstrapGitChanges & { revision: string | null };

/** BootstrapGitResource is the dynamic resource behind BootstrapGit. */
class BootstrapGitResource extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;
  declare readonly revision: pulumi.Output<string>;
  declare readonly repositoryFiles: pulumi.Output<Record<string, string>>;
  declare readonly deployKeyPublic: pulumi.Output<string | undefined>;
  declare readonly knownHosts: pulumi.Output<string | null>;
  declare readonly plan: pulumi.Output<BootstrapGitPlanOutput>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(bootstrapGitProvider, name, props, opts, "bootstrap", "BootstrapGit");
  }
}

/**
 * BootstrapGit does what `flux bootstrap git` does, idempotently: it commits gotk-sync.yaml (and
 * kustomization.yaml when missing, gotk-components.yaml when components are named) under
 * `<path>/flux-system/`, writes the Secret (`secretName`, default `flux-system`), and sets up the self-management loop: in
 * "fluxiac" mode a GitRepository and a Kustomization (children) that reconcile `<path>`; in "controllers"
 * mode Flux's own controllers.
 */
export class BootstrapGit extends pulumi.ComponentResource {
  /** revision is the branch revision after the last push (`main@sha1:<sha>`). */
  readonly revision: pulumi.Output<string>;
  /** repositoryFiles are the files under `<path>/flux-system/`, path → content. */
  readonly repositoryFiles: pulumi.Output<Record<string, string>>;
  /** deployKeyPublic is the generated deploy key's public key, to grant access to the repository. */
  readonly deployKeyPublic: pulumi.Output<string | undefined>;
  /** plan is what the last preview or up found to change. */
  readonly plan: pulumi.Output<BootstrapGitPlanOutput>;
  /** gitRepository and kustomization are the self-management loop (fluxiac mode). */
  readonly gitRepository?: GitRepository;
  readonly kustomization?: Kustomization;

  constructor(name: string, args: BootstrapGitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:bootstrap:BootstrapGit", name, {}, opts);
    const components = args.components && {
      localPath: args.components.localPath,
      sourceRef: args.components.sourceRef?.sourceReference,
      path: args.components.path,
      version: args.components.version,
    };
    const res = new BootstrapGitResource(
      name,
      {
        name,
        url: args.url,
        branch: args.branch,
        auth: secret(args.auth),
        tls: secret(args.tls),
        author: args.author,
        signing: secret(args.signing),
        path: args.path,
        kubeconfig: secret(args.kubeconfig),
        context: args.context,
        namespace: args.namespace,
        interval: args.interval,
        timeout: args.timeout,
        generateDeployKey: args.generateDeployKey,
        // A secret placeholder: the key check generates under this name stays a secret in state.
        deployKey: pulumi.secret(""),
        scanKnownHosts: args.scanKnownHosts,
        components: components && pulumi.secret(components),
        mode: args.mode,
        wait: args.wait,
        waitTimeout: args.waitTimeout,
        deleteGitManifests: args.deleteGitManifests,
        keepNamespace: args.keepNamespace,
        secretName: args.secretName,
        kustomizationOverride: args.kustomizationOverride,
        commitMessageAppendix: args.commitMessageAppendix,
        deployKeyPublic: undefined,
        knownHosts: undefined,
        plan: undefined,
        revision: undefined,
        repositoryFiles: undefined,
        status: undefined,
      },
      { parent: this, additionalSecretOutputs: ["auth", "tls", "signing", "kubeconfig", "deployKey", "components"] },
    );
    this.revision = res.revision;
    this.repositoryFiles = res.repositoryFiles;
    this.deployKeyPublic = res.deployKeyPublic;
    this.plan = res.plan;
    if ((args.mode ?? "fluxiac") === "fluxiac") {
      const path = pulumi.output(args.path).apply((p) => p.replace(/^\.?\/+/, "").replace(/\/+$/, ""));
      // The loop reads the repository through the bootstrap's own url output, so it runs after the push.
      this.gitRepository = new GitRepository(
        name,
        {
          url: res.url,
          ref: pulumi.output(args.branch).apply((branch) => ({ branch: branch ?? "main" })),
          // With scanKnownHosts, the loop trusts the host keys the bootstrap scanned.
          auth: args.auth && pulumi.all([args.auth, res.knownHosts]).apply(([auth, knownHosts]) => (knownHosts && !auth.knownHosts ? { ...auth, knownHosts } : auth)),
          tls: args.tls,
          timeout: args.timeout,
          // Flux's sync objects are for Flux's controllers; fluxiac applies the rest of the path.
          ignore: path.apply((p) => `/${p}/flux-system/\n`),
        },
        { parent: this },
      );
      this.kustomization = new Kustomization(
        name,
        {
          sourceRef: this.gitRepository,
          path: path.apply((p) => `./${p}`),
          prune: true,
          namespace: args.namespace,
          kubeconfig: args.kubeconfig,
          context: args.context,
          deletionPolicy: args.deletionPolicy ?? "Orphan",
        },
        { parent: this },
      );
    }
    this.registerOutputs({ revision: this.revision, repositoryFiles: this.repositoryFiles, deployKeyPublic: this.deployKeyPublic, plan: this.plan });
  }
}
