// Kustomization: a Pulumi component for Flux's Kustomization.
import * as pulumi from "@pulumi/pulumi";
import { clusterAccessInputs, type ClusterAccessArgs } from "./cluster-access";
import type { HealthCheckExpr } from "../core/kube/health/cel";
import type { Image, Patch } from "../core/build/overlay";
import type { SubstituteReference } from "../core/build/substitute";
import type { Inventory } from "../core/kube/inventory";
import type { KustomizationDependency } from "../core/reconcile/depends-on";
import type { DeletionPolicy, KustomizationChanges } from "../core/reconcile/kustomization";
import type { KustomizationHealth, NamespacedObjectKindReference } from "../core/reconcile/kustomization-health";
import type { IgnoreRule } from "../core/kube/ssa/ignore";
import { kustomizationProvider } from "./providers";
import type { SourceResource } from "./source";

/** KustomizationArgs are Flux's Kustomization fields. */
export interface KustomizationArgs extends ClusterAccessArgs {
  /** The source whose artifact is built and applied: a GitRepository, OCIRepository or Bucket. */
  sourceRef: SourceResource<"GitRepository" | "OCIRepository" | "Bucket">;
  /** Path of the overlay inside the artifact. @default "./" */
  path?: pulumi.Input<string>;
  /** Delete objects that disappeared from the build, and everything on destroy. Required, as in Flux. */
  prune: pulumi.Input<boolean>;
  /** Recreate objects whose change touches an immutable field. @default false */
  force?: pulumi.Input<boolean>;
  /**
   * Paths (JSON pointers such as "/spec/replicas") that drift detection leaves out and the apply adopts
   * from the cluster, for the objects `target` selects (all when absent), as Flux's spec.ignore.
   */
  ignore?: pulumi.Input<pulumi.Input<IgnoreRule>[]>;
  /**
   * What destroy deletes: "MirrorPrune" (the inventory when prune is true), "Delete" (always),
   * "WaitForTermination" (delete and wait until gone, bounded by timeout) or "Orphan" (nothing).
   * @default "MirrorPrune"
   */
  deletionPolicy?: pulumi.Input<DeletionPolicy>;
  /** Namespace written into the ownership labels, as a Flux Kustomization's namespace. @default "flux-system" */
  namespace?: pulumi.Input<string>;
  /** Wait for every applied object to be healthy (kstatus); overrides healthChecks. @default false */
  wait?: pulumi.Input<boolean>;
  /** Objects whose health is checked after apply when wait is off. @default none */
  healthChecks?: pulumi.Input<pulumi.Input<NamespacedObjectKindReference>[]>;
  /** CEL health rules for custom kinds: `{apiVersion, kind?, current, inProgress?, failed?}`. @default none */
  healthCheckExprs?: pulumi.Input<pulumi.Input<HealthCheckExpr>[]>;
  /** How long the health check and deletionPolicy WaitForTermination wait, a duration like "90s" or "5m". @default "5m" */
  timeout?: pulumi.Input<string>;
  /**
   * Kustomizations applied first; this one applies only once they are ready: each applied its source's
   * current revision and passed its health check. @default none
   */
  dependsOn?: Kustomization[];
  /** CEL over `dep` and `self` that replaces the readiness check of dependsOn. @default none */
  readyExpr?: pulumi.Input<string>;
  /** Plan and apply nothing, keeping the previous inventory. @default false */
  suspend?: pulumi.Input<boolean>;
  /** Namespace for every namespaced object (overrides the kustomization's `namespace`). */
  targetNamespace?: pulumi.Input<string>;
  /** Prefix added to every object's name. */
  namePrefix?: pulumi.Input<string>;
  /** Suffix added to every object's name. */
  nameSuffix?: pulumi.Input<string>;
  /** Labels and annotations set on every object after the build; they win over the manifests'. */
  commonMetadata?: pulumi.Input<{ labels?: pulumi.Input<Record<string, pulumi.Input<string>>>; annotations?: pulumi.Input<Record<string, pulumi.Input<string>>> }>;
  /** Strategic merge or JSON 6902 patches, each with an optional target selector. */
  patches?: pulumi.Input<pulumi.Input<Patch>[]>;
  /** Image overrides, merged into the kustomization's images by name. */
  images?: pulumi.Input<pulumi.Input<Image>[]>;
  /** Component directories, relative to path. */
  components?: pulumi.Input<pulumi.Input<string>[]>;
  /** Skip components that do not exist instead of failing. @default false */
  ignoreMissingComponents?: pulumi.Input<boolean>;
  /** Variable substitution after the build: substitute, substituteFrom (ConfigMaps/Secrets in namespace), substituteStrategy. */
  postBuild?: pulumi.Input<KustomizationPostBuildArgs>;
  /** SOPS decryption of encrypted Secrets with age or PGP keys. Stored as a secret. */
  decryption?: pulumi.Input<KustomizationDecryptionArgs>;
  /** Allow remote bases (URLs in resources, bases and components). @default false */
  allowRemoteBases?: pulumi.Input<boolean>;
}

/** KustomizationPostBuildArgs is Flux's postBuild: variables substituted into the built objects. */
export interface KustomizationPostBuildArgs {
  /** Variables set inline; they win over substituteFrom. */
  substitute?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** ConfigMaps and Secrets in namespace whose data are variables, read in order (later wins). */
  substituteFrom?: pulumi.Input<pulumi.Input<SubstituteReference>[]>;
  /** "WithVariables" skips substitution when no variable is defined; "Always" runs it anyway. @default "WithVariables" */
  substituteStrategy?: pulumi.Input<"WithVariables" | "Always">;
}

/** KustomizationDecryptionArgs is Flux's decryption: provider "sops" with age or PGP private keys and/or a Secret of `*.agekey`/`*.asc` entries. */
export interface KustomizationDecryptionArgs {
  provider: "sops";
  /** Age private keys (`AGE-SECRET-KEY-1…`) or ASCII-armoured PGP private keys without a passphrase. */
  keys?: pulumi.Input<pulumi.Input<string>[]>;
  /** A Secret in namespace whose `*.agekey` entries are age private keys and `*.asc` entries PGP private keys. */
  secretRef?: pulumi.Input<{ name: pulumi.Input<string> }>;
}

/** KustomizationPlanOutput is the preview summary: the revision and the object ids by change. */
export type KustomizationPlanOutput = KustomizationChanges & { revision: string };

/** KustomizationResource is the dynamic resource behind Kustomization. */
class KustomizationResource extends pulumi.dynamic.Resource {
  declare readonly inventory: pulumi.Output<Inventory>;
  declare readonly lastAppliedRevision: pulumi.Output<string>;
  declare readonly plan: pulumi.Output<KustomizationPlanOutput>;
  declare readonly health: pulumi.Output<KustomizationHealth>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(kustomizationProvider, name, props, opts, "kustomize", "Kustomization");
  }
}

/**
 * Kustomization builds a kustomize overlay from a source's artifact, server-side applies it with field
 * manager "fluxiac", prunes what disappeared and corrects drift. `pulumi preview` shows the plan,
 * including drift made by hand in the cluster.
 */
export class Kustomization extends pulumi.ComponentResource {
  /** inventory lists the applied objects in Flux's format (`<ns>_<name>_<group>_<kind>` and version). */
  readonly inventory: pulumi.Output<Inventory>;
  /** lastAppliedRevision is the source revision of the last successful apply. */
  readonly lastAppliedRevision: pulumi.Output<string>;
  /** plan is what the last preview or up found to change. */
  readonly plan: pulumi.Output<KustomizationPlanOutput>;
  /** health is the result of the last health check (wait, healthChecks). */
  readonly health: pulumi.Output<KustomizationHealth>;
  /** dependency is what a Kustomization that depends on this one checks before it applies. */
  readonly dependency: pulumi.Output<KustomizationDependency>;

  constructor(name: string, args: KustomizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:kustomize:Kustomization", name, {}, opts);
    const res = new KustomizationResource(
      name,
      {
        name,
        sourceRef: args.sourceRef.sourceReference,
        path: args.path,
        prune: args.prune,
        force: args.force,
        ignore: args.ignore,
        deletionPolicy: args.deletionPolicy,
        timeout: args.timeout,
        namespace: args.namespace,
        ...clusterAccessInputs(args),
        wait: args.wait,
        healthChecks: args.healthChecks,
        healthCheckExprs: args.healthCheckExprs,
        dependsOn: args.dependsOn?.map((d) => d.dependency),
        readyExpr: args.readyExpr,
        suspend: args.suspend,
        health: undefined,
        targetNamespace: args.targetNamespace,
        namePrefix: args.namePrefix,
        nameSuffix: args.nameSuffix,
        commonMetadata: args.commonMetadata,
        patches: args.patches,
        images: args.images,
        components: args.components,
        ignoreMissingComponents: args.ignoreMissingComponents,
        postBuild: args.postBuild,
        decryption: args.decryption === undefined ? undefined : pulumi.secret(args.decryption),
        allowRemoteBases: args.allowRemoteBases,
        plan: undefined,
        inventory: undefined,
        objects: undefined,
        lastAppliedRevision: undefined,
      },
      { parent: this, additionalSecretOutputs: ["kubeconfig", "decryption"], dependsOn: args.dependsOn },
    );
    this.inventory = res.inventory;
    this.lastAppliedRevision = res.lastAppliedRevision;
    this.plan = res.plan;
    this.health = res.health;
    this.dependency = pulumi
      .all([args.sourceRef.sourceReference, res.lastAppliedRevision, res.health, args.suspend])
      .apply(([ref, lastAppliedRevision, health, suspend]) => ({ name, revision: ref.artifact?.revision, lastAppliedRevision, health, suspend: suspend ?? false }));
    this.registerOutputs({ inventory: this.inventory, lastAppliedRevision: this.lastAppliedRevision, plan: this.plan, health: this.health });
  }
}
