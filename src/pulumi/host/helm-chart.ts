// HelmChart's provider-side code: check selects the version and builds the chart when the version or
// settings changed; create and update make sure the store holds exactly that chart.
import { ensureHelmChartArtifact, planHelmChart, validateHelmChart } from "../../core/reconcile/helm-chart";
import type { SourceReference } from "../../core/reconcile/source-reference";
import type { HelmChartSpec } from "../../core/source/helm-types";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

function helmChartSpec(p: Props): HelmChartSpec {
  return {
    sourceRef: p.sourceRef as SourceReference,
    chart: p.chart,
    version: p.version,
    reconcileStrategy: p.reconcileStrategy,
    valuesFiles: p.valuesFiles,
    ignoreMissingValuesFiles: p.ignoreMissingValuesFiles,
  };
}

const FIELDS = ["chart", "version", "reconcileStrategy", "valuesFiles", "ignoreMissingValuesFiles", "artifact"];

/** helmChart implements the HelmChart dynamic provider. */
export const helmChart = {
  async check(olds: Props, news: Props) {
    if (hasUnknowns(news)) return { inputs: news, failures: [] };
    const failures = validateHelmChart(helmChartSpec(news)).map((f) => ({ property: f.property, reason: `HelmChart "${news.name}": ${f.reason}` }));
    if (failures.length) return { inputs: news, failures };
    try {
      const previous = olds?.artifact ? { artifact: olds.artifact, observedSettings: olds.observedSettings } : undefined;
      const { artifact, observedSettings } = await planHelmChart(news.name, helmChartSpec(news), previous, context());
      return { inputs: { ...news, artifact, observedSettings } };
    } catch (err) {
      rethrow("HelmChart", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    return { changes: changedFields(olds, news, FIELDS).length > 0 || hasUnknowns(news) };
  },
  async create(inputs: Props) {
    await ensureHelmChartArtifact(inputs.name, helmChartSpec(inputs), inputs.artifact, context()).catch((err) => rethrow("HelmChart", inputs.name, err));
    return { id: `HelmChart/${inputs.name}`, outs: inputs };
  },
  async update(_id: string, _olds: Props, news: Props) {
    await ensureHelmChartArtifact(news.name, helmChartSpec(news), news.artifact, context()).catch((err) => rethrow("HelmChart", news.name, err));
    return { outs: news };
  },
  async delete() {
    // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
  },
};
