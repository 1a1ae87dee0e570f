// HelmRelease: a Pulumi component for Flux's HelmRelease, made with the real helm CLI.
import * as pulumi from "@pulumi/pulumi";
import { clusterAccessInputs, type ClusterAccessArgs } from "./cluster-access";
import type { CommonMetadata } from "../core/build/post-build";
import type { PostRenderer } from "../core/helm/post-render";
import type { HealthCheckExpr } from "../core/kube/health/cel";
import type { DriftDetection, InstallSpec, RollbackSpec, TestSpec, UninstallSpec, UpgradeSpec } from "../core/helm/types";
import type { ValuesReference } from "../core/helm/values";
import type { KustomizationDependency } from "../core/reconcile/depends-on";
import type { HelmReleasePlan } from "../core/reconcile/helm-release";
import { helmReleaseProvider } from "./providers";
import type { SourceResource } from "./source";

/** HelmReleaseChartArgs is Flux's spec.chart.spec: the HelmChart made for the release (named `<namespace>-<name>`). */
export interface HelmReleaseChartArgs {
  /** The chart's name in a HelmRepository, or its directory inside a GitRepository or Bucket artifact. */
  chart: pulumi.Input<string>;
  /** Exact version or semver range (Masterminds syntax); HelmRepository only. @default "*" (latest stable) */
  version?: pulumi.Input<string>;
  sourceRef: SourceResource<"HelmRepository" | "GitRepository" | "Bucket">;
  /** "ChartVersion" or "Revision" (Git/Bucket: a new chart on every source revision). @default "ChartVersion" */
  reconcileStrategy?: pulumi.Input<"ChartVersion" | "Revision">;
  /** Values files inside the chart, merged in order over values.yaml. */
  valuesFiles?: pulumi.Input<pulumi.Input<string>[]>;
  /** @default false */
  ignoreMissingValuesFiles?: pulumi.Input<boolean>;
}

/** HelmReleaseArgs are Flux's HelmRelease fields (docs/HELM-RELEASE.md lists each with its default). */
export interface HelmReleaseArgs extends ClusterAccessArgs {
  /** The chart from a HelmRepository (HTTP or OCI), GitRepository or Bucket. Exclusive with chartRef. */
  chart?: { spec: HelmReleaseChartArgs };
  /** An OCIRepository or HelmChart holding the chart. Exclusive with chart. */
  chartRef?: SourceResource<"OCIRepository" | "HelmChart">;
  /** @default `[<targetNamespace>-]<name>`, shortened to 53 characters as Flux does */
  releaseName?: pulumi.Input<string>;
  /** Namespace of the release and its objects. @default namespace */
  targetNamespace?: pulumi.Input<string>;
  /** Helm's storage namespace; the helm CLI keeps it equal to targetNamespace. @default targetNamespace */
  storageNamespace?: pulumi.Input<string>;
  /** The HelmRelease's own namespace: where valuesFrom objects are read, and the origin label. @default "flux-system" */
  namespace?: pulumi.Input<string>;
  /** Timeout of every Helm action. @default "5m" */
  timeout?: pulumi.Input<string>;
  /** Release versions Helm keeps; 0 keeps all. @default 5 */
  maxHistory?: pulumi.Input<number>;
  /** Chart values, merged last, over valuesFrom. */
  values?: pulumi.Input<Record<string, unknown>>;
  /** ConfigMaps and Secrets in namespace holding values, merged in order. */
  valuesFrom?: pulumi.Input<pulumi.Input<ValuesReference>[]>;
  /** Drift detection: mode enabled (correct), warn (report) or disabled, with ignore rules. @default disabled */
  driftDetection?: pulumi.Input<DriftDetection>;
  install?: pulumi.Input<InstallSpec>;
  upgrade?: pulumi.Input<UpgradeSpec>;
  test?: pulumi.Input<TestSpec>;
  rollback?: pulumi.Input<RollbackSpec>;
  uninstall?: pulumi.Input<UninstallSpec>;
  /** Kustomize patches and images applied to the rendered chart, in order. */
  postRenderers?: pulumi.Input<pulumi.Input<PostRenderer>[]>;
  /** Labels and annotations set on every object of the release. */
  commonMetadata?: pulumi.Input<CommonMetadata>;
  /** CEL health rules for custom kinds, checked after an install or upgrade that waits. */
  healthCheckExprs?: pulumi.Input<pulumi.Input<HealthCheckExpr>[]>;
  /** Only "nohooks": the helm 3 CLI post-renders the chart's objects, not its hooks. @default "nohooks" */
  postRenderStrategy?: pulumi.Input<"nohooks">;
  /** Only {name: "legacy"}: the helm 3 CLI's --wait. @default {name: "legacy"} */
  waitStrategy?: pulumi.Input<{ name: "legacy" }>;
  /** HelmReleases that must be deployed first. */
  dependsOn?: HelmRelease[];
  /** CEL over `dep` and `self` that replaces the readiness check of dependsOn. */
  readyExpr?: pulumi.Input<string>;
  /** Plan and apply nothing. @default false */
  suspend?: pulumi.Input<boolean>;
}

/** HelmReleasePlanOutput is the preview summary: action and why, chart version, values digest, drift, objects. */
export type HelmReleasePlanOutput = Omit<HelmReleasePlan, "releaseName" | "namespace"> & { release: string };

/** HelmReleaseResource is the dynamic resource behind HelmRelease. */
class HelmReleaseResource extends pulumi.dynamic.Resource {
  declare readonly plan: pulumi.Output<HelmReleasePlanOutput>;
  declare readonly helmReleaseName: pulumi.Output<string>;
  declare readonly releaseNamespace: pulumi.Output<string>;
  declare readonly revision: pulumi.Output<number>;
  declare readonly status: pulumi.Output<string>;
  declare readonly chartVersion: pulumi.Output<string>;
  declare readonly valuesDigest: pulumi.Output<string>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(helmReleaseProvider, name, props, opts, "helm", "HelmRelease");
  }
}

/**
 * HelmRelease installs and upgrades a chart as an ordinary Helm release (helm list, history and get
 * work on it), with Flux's values merge, remediation, tests, post-renderers and drift detection.
 * `pulumi preview --diff` shows the chart version, the values digest, drift and the rendered objects.
 */
export class HelmRelease extends pulumi.ComponentResource {
  /** plan is what the last preview or up found: action, reason, chartVersion, valuesDigest, drifted, objects. */
  readonly plan: pulumi.Output<HelmReleasePlanOutput>;
  /** releaseName is the Helm release's name (spec.releaseName or Flux's default). */
  readonly releaseName: pulumi.Output<string>;
  /** releaseNamespace is the namespace of the release (targetNamespace). */
  readonly releaseNamespace: pulumi.Output<string>;
  /** revision is the Helm release version. */
  readonly revision: pulumi.Output<number>;
  /** status is Helm's status of that version (deployed, failed…). */
  readonly status: pulumi.Output<string>;
  readonly chartVersion: pulumi.Output<string>;
  readonly valuesDigest: pulumi.Output<string>;
  /** dependency is what a HelmRelease that depends on this one checks before it acts. */
  readonly dependency: pulumi.Output<KustomizationDependency>;

  constructor(name: string, args: HelmReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:helm:HelmRelease", name, {}, opts);
    const c = args.chart?.spec;
    const chart = c && pulumi
      .all([c.sourceRef.sourceReference, c.chart, c.version, c.reconcileStrategy, c.valuesFiles, c.ignoreMissingValuesFiles])
      .apply(([sourceRef, chartName, version, reconcileStrategy, valuesFiles, ignoreMissingValuesFiles]) => ({
        spec: { sourceRef, chart: chartName, version, reconcileStrategy, valuesFiles, ignoreMissingValuesFiles },
      }));
    const res = new HelmReleaseResource(
      name,
      {
        name,
        chart,
        chartRef: args.chartRef?.sourceReference,
        releaseName: args.releaseName,
        targetNamespace: args.targetNamespace,
        storageNamespace: args.storageNamespace,
        namespace: args.namespace,
        ...clusterAccessInputs(args),
        timeout: args.timeout,
        maxHistory: args.maxHistory,
        values: args.values,
        valuesFrom: args.valuesFrom,
        driftDetection: args.driftDetection,
        install: args.install,
        upgrade: args.upgrade,
        test: args.test,
        rollback: args.rollback,
        uninstall: args.uninstall,
        postRenderers: args.postRenderers,
        commonMetadata: args.commonMetadata,
        healthCheckExprs: args.healthCheckExprs,
        postRenderStrategy: args.postRenderStrategy,
        waitStrategy: args.waitStrategy,
        dependsOn: args.dependsOn?.map((d) => d.dependency),
        readyExpr: args.readyExpr,
        suspend: args.suspend,
        plan: undefined,
        helmReleaseName: undefined,
        releaseNamespace: undefined,
        revision: undefined,
        status: undefined,
        chartVersion: undefined,
        valuesDigest: undefined,
        configDigest: undefined,
        drifted: undefined,
        helmChart: undefined,
      },
      // The chart's and chartRef's source specs carry repository credentials.
      { parent: this, additionalSecretOutputs: ["kubeconfig", "chart", "chartRef"], dependsOn: args.dependsOn },
    );
    this.plan = res.plan;
    this.releaseName = res.helmReleaseName;
    this.releaseNamespace = res.releaseNamespace;
    this.revision = res.revision;
    this.status = res.status;
    this.chartVersion = res.chartVersion;
    this.valuesDigest = res.valuesDigest;
    this.dependency = pulumi.all([res.chartVersion, res.status, res.plan]).apply(([chartVersion, status, plan]) => ({
      kind: "HelmRelease" as const,
      name,
      revision: plan?.chartVersion,
      lastAppliedRevision: status === "deployed" ? chartVersion : undefined,
      health: { status: status === "deployed" ? ("Current" as const) : ("Failed" as const), message: `release status ${status}`, checked: 0 },
    }));
    this.registerOutputs({ plan: this.plan, revision: this.revision, status: this.status, chartVersion: this.chartVersion });
  }
}
