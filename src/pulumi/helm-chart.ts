// HelmChart: a Pulumi component for Flux's HelmChart source.
import * as pulumi from "@pulumi/pulumi";
import type { Artifact } from "../core/artifact/artifact";
import type { SourceReference } from "../core/reconcile/source-reference";
import { helmChartProvider } from "./providers";
import { registerSource, type SourceResource } from "./source";

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
    const { chart, version, reconcileStrategy, valuesFiles, ignoreMissingValuesFiles } = args;
    const spec = { sourceRef: args.sourceRef.sourceReference, chart, version, reconcileStrategy, valuesFiles, ignoreMissingValuesFiles };
    // sourceRef carries the source's spec, credentials included.
    const source = registerSource(this, "HelmChart", name, helmChartProvider, spec, { secrets: ["sourceRef"], outputs: ["observedSettings"] });
    this.artifact = source.artifact;
    this.sourceReference = source.sourceReference;
    this.registerOutputs({ artifact: this.artifact });
  }
}
