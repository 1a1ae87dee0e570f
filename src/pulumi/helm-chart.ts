// HelmChart: a Pulumi component for Flux's HelmChart source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import { helmChartProvider } from "./providers";
import type { SourceResource } from "./source";

/** HelmChartArgs are Flux's HelmChart fields. */
export interface HelmChartArgs {
  /** Where the chart comes from: a HelmRepository, GitRepository or Bucket. */
  sourceRef: SourceResource<"HelmRepository" | "GitRepository" | "Bucket">;
  /** The chart's name in a HelmRepository, or its directory inside a GitRepository or Bucket artifact. */
  chart: pulumi.Input<string>;
  /** Exact version or semver constraint (Masterminds syntax); HelmRepository only. @default "*" (latest stable) */
  version?: pulumi.Input<string>;
  /** "ChartVersion" makes a new artifact when the chart version changes; "Revision" also when the Git/Bucket revision does. @default "ChartVersion" */
  reconcileStrategy?: pulumi.Input<"ChartVersion" | "Revision">;
  /** Values files inside the chart, merged in order; the result replaces values.yaml. */
  valuesFiles?: pulumi.Input<pulumi.Input<string>[]>;
  /** Skip missing values files instead of failing. @default false */
  ignoreMissingValuesFiles?: pulumi.Input<boolean>;
}

/** HelmChartResource is the dynamic resource behind HelmChart. */
class HelmChartResource extends pulumi.dynamic.Resource {
  declare readonly artifact: pulumi.Output<Artifact>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(helmChartProvider, name, props, opts, "source", "HelmChart");
  }
}

/**
 * HelmChart resolves a chart version and stores the chart .tgz as an artifact during preview and up;
 * nothing is downloaded or packaged when the version and settings did not change.
 */
export class HelmChart extends pulumi.ComponentResource {
  /** artifact is the chart archive; its revision is the chart version (Flux's format). */
  readonly artifact: pulumi.Output<Artifact>;
  /** sourceReference is what a HelmRelease receives. */
  readonly sourceReference: pulumi.Output<Extract<SourceReference, { kind: "HelmChart" }>>;

  constructor(name: string, args: HelmChartArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fluxiac:source:HelmChart", name, {}, opts);
    const spec = {
      sourceRef: args.sourceRef.sourceReference,
      chart: args.chart,
      version: args.version,
      reconcileStrategy: args.reconcileStrategy,
      valuesFiles: args.valuesFiles,
      ignoreMissingValuesFiles: args.ignoreMissingValuesFiles,
    };
    const res = new HelmChartResource(name, { name, ...spec, artifact: undefined, observedSettings: undefined }, { parent: this, additionalSecretOutputs: ["sourceRef"] });
    this.artifact = res.artifact;
    this.sourceReference = pulumi.all([pulumi.output(spec), res.artifact]).apply(([s, artifact]) => ({
      kind: "HelmChart" as const,
      name,
      spec: s as Extract<SourceReference, { kind: "HelmChart" }>["spec"],
      artifact,
    }));
    this.registerOutputs({ artifact: this.artifact });
  }
}
