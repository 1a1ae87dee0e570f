// Kustomization: a Pulumi component for Flux's Kustomization.
import * as pulumi from "@pulumi/pulumi";
import type { Inventory } from "../core/kube/inventory";
import type { IgnoreRule } from "../core/kube/ssa/ignore";
import type { DeletionPolicy, KustomizationChanges } from "../core/reconcile/kustomization";
import { kustomizationProvider } from "./providers";
import type { SourceResource } from "./source";

/** KustomizationArgs are Flux's Kustomization fields. */
export interface KustomizationArgs {
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
  /** Bound of waits such as deletionPolicy WaitForTermination, a duration like "90s" or "5m". @default "5m" */
  timeout?: pulumi.Input<string>;
  /** Namespace written into the ownership labels, as a Flux Kustomization's namespace. @default "flux-system" */
  namespace?: pulumi.Input<string>;
  /** kubeconfig file content. Stored as a secret. @default $KUBECONFIG or ~/.kube/config */
  kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context. @default the current context */
  context?: pulumi.Input<string>;
}

/** KustomizationPlanOutput is the preview summary: the revision and the object ids by change. */
export type KustomizationPlanOutput = KustomizationChanges & { revision: string };

/** KustomizationResource is the dynamic resource behind Kustomization. */
class KustomizationResource extends pulumi.dynamic.Resource {
  declare readonly inventory: pulumi.Output<Inventory>;
  declare readonly lastAppliedRevision: pulumi.Output<string>;
  declare readonly plan: pulumi.Output<KustomizationPlanOutput>;

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
        kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
        context: args.context,
        plan: undefined,
        inventory: undefined,
        objects: undefined,
        lastAppliedRevision: undefined,
      },
      { parent: this, additionalSecretOutputs: ["kubeconfig"] },
    );
    this.inventory = res.inventory;
    this.lastAppliedRevision = res.lastAppliedRevision;
    this.plan = res.plan;
    this.registerOutputs({ inventory: this.inventory, lastAppliedRevision: this.lastAppliedRevision, plan: this.plan });
  }
}
