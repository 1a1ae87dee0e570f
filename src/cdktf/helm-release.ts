// HelmRelease: the construct of `fluxiac_helm_release`, Flux's HelmRelease.
import { Fn, type IResolvable } from "cdktf";
import type { Construct } from "constructs";
import type { CommonMetadata } from "../core/build/post-build";
import type { PostRenderer } from "../core/helm/post-render";
import { validateHelmRelease } from "../core/helm/prepare";
import type { HealthCheckExpr } from "../core/kube/health/cel";
import type { DriftDetection, HelmReleaseSpec, InstallSpec, RollbackSpec, TestSpec, UninstallSpec, UpgradeSpec } from "../core/helm/types";
import type { ValuesReference } from "../core/helm/values";
import type { KubeConfigReference } from "../core/kube/remote";
import { validateReadyExpr } from "../core/reconcile/depends-on";
import { FluxiacResource, type FluxiacMetaArguments } from "./resource";
import type { ISource } from "./source";
import { containsToken, type Problem } from "./validate";

/** HelmReleaseChartProps is Flux's spec.chart.spec: the HelmChart made for the release (named `<namespace>-<name>`). */
export interface HelmReleaseChartProps {
  /** The chart's name in a HelmRepository, or its directory inside a GitRepository or Bucket artifact. */
  readonly chart: string;
  /** Exact version or semver range; HelmRepository only. @default "*" (latest stable) */
  readonly version?: string;
  /** The HelmRepository, GitRepository or Bucket the chart comes from. */
  readonly sourceRef: ISource<"HelmRepository" | "GitRepository" | "Bucket">;
  /** "ChartVersion" or "Revision" (Git/Bucket: a new chart on every source revision). @default "ChartVersion" */
  readonly reconcileStrategy?: "ChartVersion" | "Revision";
  /** Values files inside the chart, merged in order over values.yaml. */
  readonly valuesFiles?: string[];
  /** @default false */
  readonly ignoreMissingValuesFiles?: boolean | IResolvable;
}

/** HelmReleaseProps are Flux's HelmRelease fields, as HelmReleaseArgs of the Pulumi component. */
export interface HelmReleaseProps extends Omit<FluxiacMetaArguments, "dependsOn"> {
  /** Name of the HelmRelease. @default the construct id */
  readonly name?: string;
  /** The chart from a HelmRepository (HTTP or OCI), GitRepository or Bucket. Exclusive with chartRef. */
  readonly chart?: { readonly spec: HelmReleaseChartProps };
  /** An OCIRepository holding the chart. Exclusive with chart. */
  readonly chartRef?: ISource<"OCIRepository">;
  /** @default `[<targetNamespace>-]<name>`, shortened to 53 characters as Flux does */
  readonly releaseName?: string;
  /** Namespace of the release and its objects. @default namespace */
  readonly targetNamespace?: string;
  /** Helm's storage namespace; must equal targetNamespace. @default targetNamespace */
  readonly storageNamespace?: string;
  /** The HelmRelease's own namespace: valuesFrom objects and the origin labels. @default "flux-system" */
  readonly namespace?: string;
  /** kubeconfig file content. Sensitive. @default the provider's cluster */
  readonly kubeconfig?: string;
  /** kubeconfig context. @default the provider's */
  readonly context?: string;
  /** Flux's kubeConfig: release into the cluster of a kubeconfig Secret in namespace. */
  readonly kubeConfig?: KubeConfigReference;
  /** Act as `system:serviceaccount:<namespace>:<serviceAccountName>`. @default the provider's identity */
  readonly serviceAccountName?: string;
  /** Timeout of every Helm action. @default "5m" */
  readonly timeout?: string;
  /** Release versions Helm keeps; 0 keeps all. @default 5 */
  readonly maxHistory?: number;
  /** Chart values, merged last over valuesFrom; synthesized as the JSON string `values` (references allowed). */
  readonly values?: Record<string, unknown>;
  /** ConfigMaps and Secrets in namespace holding values, merged in order. */
  readonly valuesFrom?: ValuesReference[];
  /** Drift detection: mode enabled (correct), warn (report) or disabled, with ignore rules. @default disabled */
  readonly driftDetection?: DriftDetection;
  readonly install?: InstallSpec;
  readonly upgrade?: UpgradeSpec;
  readonly test?: TestSpec;
  readonly rollback?: RollbackSpec;
  readonly uninstall?: UninstallSpec;
  /** Kustomize patches and images applied to the rendered chart, in order. */
  readonly postRenderers?: PostRenderer[];
  /** Labels and annotations set on every object of the release. Keys are kept as written. */
  readonly commonMetadata?: CommonMetadata;
  /** CEL health rules for custom kinds, checked after an install or upgrade that waits. */
  readonly healthCheckExprs?: HealthCheckExpr[];
  /** Only "nohooks": the helm 3 CLI post-renders the chart's objects, not its hooks. @default "nohooks" */
  readonly postRenderStrategy?: "nohooks";
  /** Only {name: "legacy"}: the helm 3 CLI's --wait. @default {name: "legacy"} */
  readonly waitStrategy?: { name: "legacy" };
  /** HelmReleases deployed first (Flux's dependsOn), synthesized as `dependencies` from their `dependency`. */
  readonly dependsOn?: HelmRelease[];
  /** CEL over `dep` and `self` that replaces the readiness check of dependsOn. */
  readonly readyExpr?: string;
  /** Plan and apply nothing. @default false */
  readonly suspend?: boolean | IResolvable;
}

/** HelmReleasePlanAttribute reads the computed `plan`: what the last plan found. */
export class HelmReleasePlanAttribute {
  constructor(private readonly resource: HelmRelease) {}

  /** action is install, upgrade, reinstall (a new chart name, upgrade.chartNameChangeStrategy Reinstall) or none. */
  get action(): string {
    return this.resource.getStringAttribute("plan.action");
  }
  /** reason says why: "chart app-1.0.0 → app-1.1.0", "values changed", "up to date"… */
  get reason(): string {
    return this.resource.getStringAttribute("plan.reason");
  }
  /** chartVersion is the chart version the plan resolved. */
  get chartVersion(): string {
    return this.resource.getStringAttribute("plan.chart_version");
  }
  /** valuesDigest is the sha256 of the merged values the plan rendered with. */
  get valuesDigest(): string {
    return this.resource.getStringAttribute("plan.values_digest");
  }
  /** drifted lists the release's objects changed in the cluster (`Kind/namespace/name: fields`). */
  get drifted(): string[] {
    return this.resource.getListAttribute("plan.drifted");
  }
  /** objects counts the rendered objects by kind. */
  get objects(): Record<string, number> {
    return this.resource.getNumberMapAttribute("plan.objects");
  }
}

const CHART_SOURCE_KINDS = ["HelmRepository", "GitRepository", "Bucket"];

/**
 * HelmRelease installs and upgrades a chart as an ordinary Helm release, with Flux's values merge,
 * remediation, tests, post-renderers and drift detection. `cdktf diff` shows the chart version, the values
 * and drift.
 */
export class HelmRelease extends FluxiacResource {
  /** tfResourceType is the Terraform resource type. */
  static readonly tfResourceType = "fluxiac_helm_release";

  constructor(scope: Construct, id: string, props: HelmReleaseProps) {
    const { chart, chartRef, values, dependsOn, provider, lifecycle, name, ...fields } = props;
    const chartAttr = chart && { spec: { ...chart.spec, sourceRef: chart.spec.sourceRef?.sourceReference } };
    super(scope, id, { name, provider, lifecycle }, {
      kind: "HelmRelease",
      type: HelmRelease.tfResourceType,
      attributes: {
        chart: chartAttr,
        chartRef: chartRef?.sourceReference,
        ...fields,
        // A JSON string: Terraform shows its change key by key. References inside go through jsonencode.
        values: values === undefined ? undefined : containsToken(values) ? Fn.jsonencode(values) : JSON.stringify(values),
        dependencies: dependsOn?.map((d) => d.dependency),
      },
      stringMaps: ["commonMetadata.labels", "commonMetadata.annotations"],
      secrets: ["kubeconfig"],
      checked: props as unknown as Record<string, unknown>,
      validate: () => validateHelmReleaseProps(props),
    });
  }

  /** plan is what the last plan found. */
  get plan(): HelmReleasePlanAttribute {
    return new HelmReleasePlanAttribute(this);
  }
  /** release is `<target namespace>/<release name>`. */
  get release(): string {
    return this.getStringAttribute("release");
  }
  /** chartVersion is the chart version of the release. */
  get chartVersion(): string {
    return this.getStringAttribute("chart_version");
  }
  /** valuesDigest is the sha256 of the release's merged values. */
  get valuesDigest(): string {
    return this.getStringAttribute("values_digest");
  }
  /** revision is the Helm release version. */
  get revision(): number {
    return this.getNumberAttribute("revision");
  }
  /** status is Helm's status of that version (deployed, failed…). */
  get status(): string {
    return this.getStringAttribute("status");
  }
  /** dependency is what a HelmRelease that depends on this one takes. */
  get dependency(): string {
    return this.getStringAttribute("dependency");
  }
  /** drift lists the release's objects changed in the cluster, found by the refresh (with driftDetection). */
  get drift(): string[] {
    return this.getListAttribute("drift");
  }
}

/** validateHelmReleaseProps returns the problems of the props that are known at synth. */
function validateHelmReleaseProps(props: HelmReleaseProps): Problem[] {
  const problems: Problem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  if (!props.chart && !props.chartRef) add("chart", "set chart (chart.spec.sourceRef: a HelmRepository, GitRepository or Bucket) or chartRef (an OCIRepository)");
  if (props.chart && props.chartRef) add("chartRef", "chart and chartRef are exclusive: set one");
  const source = props.chart?.spec.sourceRef;
  if (props.chart && !source) add("chart.spec.sourceRef", "chart.spec.sourceRef is required: pass the HelmRepository, GitRepository or Bucket");
  else if (source && !CHART_SOURCE_KINDS.includes(source.sourceKind)) add("chart.spec.sourceRef", `chart.spec.sourceRef is a ${source.sourceKind}: a chart comes from a HelmRepository, GitRepository or Bucket (an OCIRepository goes in chartRef)`);
  if (props.chartRef && props.chartRef.sourceKind !== "OCIRepository") add("chartRef", `chartRef is a ${props.chartRef.sourceKind}: it takes an OCIRepository`);
  const { chart: _chart, chartRef: _chartRef, dependsOn: _dependsOn, ...spec } = props;
  for (const reason of validateHelmRelease(spec as HelmReleaseSpec)) add(/^[a-zA-Z][A-Za-z0-9.]*/.exec(reason)?.[0] ?? "", reason);
  for (const reason of validateReadyExpr(props.readyExpr)) add("readyExpr", reason);
  return problems;
}
