// Kustomization: the construct of `fluxiac_kustomization`, Flux's Kustomization.
import type { IResolvable } from "cdktf";
import type { Construct } from "constructs";
import type { Image, Patch } from "../core/build/overlay";
import type { SubstituteReference } from "../core/build/substitute";
import { errorMessage } from "../core/errors";
import type { HealthCheckExpr } from "../core/kube/health/cel";
import type { KubeConfigReference } from "../core/kube/remote";
import { validateIgnoreRules, type IgnoreRule } from "../core/kube/ssa/ignore";
import type { DeletionPolicy } from "../core/reconcile/kustomization";
import { validateReadyExpr } from "../core/reconcile/depends-on";
import type { NamespacedObjectKindReference } from "../core/reconcile/kustomization-health";
import { validateHealthCheck } from "../core/reconcile/validate-health-check";
import { FluxiacResource, type FluxiacMetaArguments } from "./resource";
import type { ISource } from "./source";
import { requireOneOf, type Problem } from "./validate";

/** KustomizationPostBuildProps is Flux's postBuild: variables substituted into the built objects. */
export interface KustomizationPostBuildProps {
  /** Variables set inline; they win over substituteFrom. Keys are kept as written. */
  readonly substitute?: Record<string, string>;
  /** ConfigMaps and Secrets in namespace whose data are variables, read in order (later wins). */
  readonly substituteFrom?: SubstituteReference[];
  /** "WithVariables" skips substitution when no variable is defined; "Always" runs it anyway. @default "WithVariables" */
  readonly substituteStrategy?: "WithVariables" | "Always";
}

/** KustomizationDecryptionProps is Flux's decryption: provider "sops" with age or PGP keys and/or a Secret of `*.agekey`/`*.asc` entries. Sensitive. */
export interface KustomizationDecryptionProps {
  readonly provider: "sops";
  /** Age private keys (`AGE-SECRET-KEY-1…`) or ASCII-armoured PGP private keys without a passphrase. */
  readonly keys?: string[];
  /** A Secret in namespace whose `*.agekey` entries are age private keys and `*.asc` entries PGP private keys. */
  readonly secretRef?: { readonly name: string };
}

/** KustomizationProps are Flux's Kustomization fields, as KustomizationArgs of the Pulumi component. */
export interface KustomizationProps extends Omit<FluxiacMetaArguments, "dependsOn"> {
  /** Name of the Kustomization (ownership labels, errors). @default the construct id */
  readonly name?: string;
  /** The source whose artifact is built and applied: a GitRepository, OCIRepository or Bucket. */
  readonly sourceRef: ISource<"GitRepository" | "OCIRepository" | "Bucket">;
  /** Path of the overlay inside the artifact. @default "./" */
  readonly path?: string;
  /** Delete objects that disappeared from the build, and everything on destroy. Required, as in Flux. */
  readonly prune: boolean | IResolvable;
  /** Recreate objects whose change touches an immutable field. @default false */
  readonly force?: boolean | IResolvable;
  /** JSON pointers that drift detection leaves out, for the objects `target` selects (Flux's spec.ignore). */
  readonly ignore?: IgnoreRule[];
  /** What destroy deletes: "MirrorPrune", "Delete", "WaitForTermination" or "Orphan". @default "MirrorPrune" */
  readonly deletionPolicy?: DeletionPolicy;
  /** Namespace written into the ownership labels. @default "flux-system" */
  readonly namespace?: string;
  /** kubeconfig file content. Sensitive. @default the provider's cluster */
  readonly kubeconfig?: string;
  /** kubeconfig context. @default the provider's */
  readonly context?: string;
  /** Flux's kubeConfig: apply to a remote cluster whose kubeconfig is in a Secret of the management cluster. */
  readonly kubeConfig?: KubeConfigReference;
  /** Impersonate `system:serviceaccount:<namespace>:<serviceAccountName>` for the apply. @default none */
  readonly serviceAccountName?: string;
  /** Wait for every applied object to be healthy (kstatus); overrides healthChecks. @default false */
  readonly wait?: boolean | IResolvable;
  /** Objects whose health is checked after apply when wait is off. @default none */
  readonly healthChecks?: NamespacedObjectKindReference[];
  /** CEL health rules for custom kinds. @default none */
  readonly healthCheckExprs?: HealthCheckExpr[];
  /** How long the health check and WaitForTermination wait, e.g. "90s". @default "5m" */
  readonly timeout?: string;
  /**
   * Kustomizations applied first (Flux's dependsOn): this one applies only once each applied its
   * source's current revision and passed its health check. Synthesized as `dependencies` from each one's
   * `dependency` attribute, which also orders them in Terraform's graph. @default none
   */
  readonly dependsOn?: Kustomization[];
  /** CEL over `dep` and `self` that replaces the readiness check of dependsOn. @default none */
  readonly readyExpr?: string;
  /** Plan and apply nothing, keeping the previous inventory. @default false */
  readonly suspend?: boolean | IResolvable;
  /** Namespace for every namespaced object. */
  readonly targetNamespace?: string;
  /** Prefix added to every object's name. */
  readonly namePrefix?: string;
  /** Suffix added to every object's name. */
  readonly nameSuffix?: string;
  /** Labels and annotations set on every object after the build. Keys are kept as written. */
  readonly commonMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  /** Strategic merge or JSON 6902 patches, each with an optional target selector. */
  readonly patches?: Patch[];
  /** Image overrides, merged into the kustomization's images by name. */
  readonly images?: Image[];
  /** Component directories, relative to path. */
  readonly components?: string[];
  /** Skip components that do not exist instead of failing. @default false */
  readonly ignoreMissingComponents?: boolean | IResolvable;
  /** Variable substitution after the build. */
  readonly postBuild?: KustomizationPostBuildProps;
  /** SOPS decryption of encrypted Secrets with age or PGP keys. Sensitive. */
  readonly decryption?: KustomizationDecryptionProps;
  /** Allow remote bases. @default false */
  readonly allowRemoteBases?: boolean | IResolvable;
}

/** KustomizationPlanAttribute reads the computed `plan`: the revision and the object ids by change. */
export class KustomizationPlanAttribute {
  constructor(private readonly resource: Kustomization) {}

  /** revision is the source revision the plan was made from. */
  get revision(): string {
    return this.resource.getStringAttribute("plan.revision");
  }
  /** create lists `<Kind>/<namespace>/<name>` of the objects to create. */
  get create(): string[] {
    return this.resource.getListAttribute("plan.create");
  }
  /** update lists the objects to update. */
  get update(): string[] {
    return this.resource.getListAttribute("plan.update");
  }
  /** prune lists the objects to delete. */
  get prune(): string[] {
    return this.resource.getListAttribute("plan.prune");
  }
  /** drifted lists the objects changed in the cluster by hand. */
  get drifted(): string[] {
    return this.resource.getListAttribute("plan.drifted");
  }
}

/** KustomizationHealthAttribute reads the computed `health`: the result of the last health check. */
export class KustomizationHealthAttribute {
  constructor(private readonly resource: Kustomization) {}

  /** status is Current, InProgress or Failed. */
  get status(): string {
    return this.resource.getStringAttribute("health.status");
  }
  /** message says what was checked and what failed. */
  get message(): string {
    return this.resource.getStringAttribute("health.message");
  }
  /** checked is how many objects were checked. */
  get checked(): number {
    return this.resource.getNumberAttribute("health.checked");
  }
}

const SOURCE_KINDS = ["GitRepository", "OCIRepository", "Bucket"];
const DELETION_POLICIES: DeletionPolicy[] = ["MirrorPrune", "Delete", "WaitForTermination", "Orphan"];

/**
 * Kustomization builds a kustomize overlay from a source's artifact, server-side applies it with field
 * manager "fluxiac", prunes what disappeared and corrects drift. `cdktf diff` shows the plan, including
 * drift made by hand in the cluster.
 */
export class Kustomization extends FluxiacResource {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_kustomization";

  constructor(scope: Construct, id: string, props: KustomizationProps) {
    const { sourceRef, dependsOn, provider, lifecycle, name, ...fields } = props;
    super(scope, id, { name, provider, lifecycle }, {
      kind: "Kustomization",
      type: Kustomization.tfResourceType,
      attributes: { sourceRef: sourceRef?.sourceReference, ...fields, dependencies: dependsOn?.map((d) => d.dependency) },
      stringMaps: ["postBuild.substitute", "commonMetadata.labels", "commonMetadata.annotations"],
      secrets: ["kubeconfig", "decryption.keys"],
      checked: props as unknown as Record<string, unknown>,
      validate: () => validateKustomization(props),
    });
  }

  /** inventory lists the applied objects in Flux's format (`<ns>_<name>_<group>_<kind>`). */
  get inventory(): string[] {
    return this.getListAttribute("inventory");
  }

  /** lastAppliedRevision is the source revision of the last successful apply. */
  get lastAppliedRevision(): string {
    return this.getStringAttribute("last_applied_revision");
  }

  /** health is the result of the last health check (wait, healthChecks). */
  get health(): KustomizationHealthAttribute {
    return new KustomizationHealthAttribute(this);
  }

  /** dependency is what a Kustomization that depends on this one takes (the JSON of name, revisions, health, suspend). */
  get dependency(): string {
    return this.getStringAttribute("dependency");
  }

  /** drift lists the objects changed in the cluster since the last apply (`Kind/namespace/name`), found by the refresh. */
  get drift(): string[] {
    return this.getListAttribute("drift");
  }

  /** plan is what the last plan found to change. */
  get plan(): KustomizationPlanAttribute {
    return new KustomizationPlanAttribute(this);
  }
}

/** validateKustomization returns the problems of the props that are known at synth. */
function validateKustomization(props: KustomizationProps): Problem[] {
  const problems: Problem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  if (!props.sourceRef) add("sourceRef", "sourceRef is required: pass the GitRepository, OCIRepository or Bucket to build from");
  else if (!SOURCE_KINDS.includes(props.sourceRef.sourceKind)) {
    add("sourceRef", `sourceRef is a ${props.sourceRef.sourceKind}: a Kustomization takes a GitRepository, OCIRepository or Bucket`);
  }
  if (props.prune === undefined || props.prune === null) {
    add("prune", "prune is required, as in Flux: set prune: true to delete objects that disappear from the source, or false to keep them");
  }
  problems.push(...requireOneOf("deletionPolicy", props.deletionPolicy, DELETION_POLICIES));
  problems.push(...requireOneOf("postBuild.substituteStrategy", props.postBuild?.substituteStrategy, ["WithVariables", "Always"]));
  if (props.decryption) problems.push(...requireOneOf("decryption.provider", props.decryption.provider, ["sops"]));
  try {
    validateIgnoreRules(props.ignore);
  } catch (err) {
    add("ignore", errorMessage(err));
  }
  const { timeout, healthChecks, healthCheckExprs, wait } = props;
  for (const reason of validateHealthCheck({ timeout, healthChecks, healthCheckExprs, wait: wait === true })) {
    add(/^[A-Za-z]+(\[\d+\])?/.exec(reason)?.[0] ?? "timeout", reason);
  }
  for (const reason of validateReadyExpr(props.readyExpr)) add("readyExpr", reason);
  return problems;
}
