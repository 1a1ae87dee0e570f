// HelmChart's provider-side code: the shared source provider, selecting the version and building the
// chart only when the version or the settings changed.
import { ensureHelmChartArtifact, planHelmChart, validateHelmChart } from "../../core/reconcile/helm-chart";
import type { HelmChartSpec } from "../../core/source/helm-types";
import { pick, sourceProvider } from "./source";

const SPEC = ["sourceRef", "chart", "version", "reconcileStrategy", "valuesFiles", "ignoreMissingValuesFiles"] as const;

/** helmChart implements the HelmChart dynamic provider. */
export const helmChart = sourceProvider<HelmChartSpec>({
  kind: "HelmChart",
  spec: (p) => pick(p, SPEC),
  validate: validateHelmChart,
  async plan(name, spec, olds, ctx) {
    const { artifact, observedSettings } = await planHelmChart(name, spec, olds && { artifact: olds.artifact, observedSettings: olds.observedSettings }, ctx);
    return { artifact, observedSettings };
  },
  ensure: ensureHelmChartArtifact,
  // A new source revision alone is no change: the chart's own artifact decides (ChartVersion or Revision).
  fields: ["chart", "version", "reconcileStrategy", "valuesFiles", "ignoreMissingValuesFiles", "artifact"],
});
