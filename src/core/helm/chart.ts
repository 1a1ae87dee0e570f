// The chart of a HelmRelease: a HelmChart made for the release from spec.chart (Flux names it
// `<namespace>-<name>`), or spec.chartRef's OCIRepository or HelmChart artifact. The existing HelmChart
// and source reconcilers fetch it; this file only unpacks it for helm.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import YAML from "yaml";
import type { Artifact } from "../artifact/artifact";
import { extract } from "../artifact/archive";
import { errorMessage } from "../errors";
import type { ReconcileContext } from "../reconcile/context";
import { planHelmChart, type HelmChartStatus } from "../reconcile/helm-chart";
import { ensureSourceArtifact } from "../reconcile/source-reference";
import type { HelmReleaseSpec } from "./types";

/** ResolvedChart is the chart a release uses: its archive in the store and where it came from. */
export interface ResolvedChart {
  /** Path of the artifact (a chart .tgz, or a tar.gz whose root or only directory holds Chart.yaml). */
  path: string;
  artifact: Artifact;
  /** The HelmChart made for spec.chart, with what a later plan reuses. */
  helmChart?: HelmChartStatus & { name: string };
}

/** ChartError names the field (chart or chartRef) whose chart could not be had. */
export class ChartError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** helmChartName is Flux's name of the HelmChart made for a HelmRelease's spec.chart. */
export function helmChartName(name: string, spec: Pick<HelmReleaseSpec, "namespace">): string {
  return `${spec.namespace ?? "flux-system"}-${name}`;
}

/**
 * resolveChart gets the release's chart into the store. spec.chart goes through planHelmChart (version
 * selection, download only when the version or settings changed since `previous`); chartRef through
 * the source's own ensure (the artifact the source resolved, fetched again only when the store lacks it).
 */
export async function resolveChart(name: string, spec: HelmReleaseSpec, previous: HelmChartStatus | undefined, ctx: ReconcileContext): Promise<ResolvedChart> {
  if (spec.chart && spec.chartRef) throw new ChartError("chart", "chart and chartRef are exclusive; set one");
  if (spec.chart) {
    const chartName = helmChartName(name, spec);
    let res;
    try {
      res = await planHelmChart(chartName, spec.chart.spec, previous, ctx);
    } catch (err) {
      throw new ChartError("chart.spec", errorMessage(err));
    }
    return { path: ctx.store.path(res.artifact.digest), artifact: res.artifact, helmChart: { name: chartName, artifact: res.artifact, observedSettings: res.observedSettings } };
  }
  const ref = spec.chartRef;
  if (!ref) throw new ChartError("chart", "a HelmRelease needs chart (a HelmRepository, GitRepository or Bucket chart) or chartRef (an OCIRepository or HelmChart)");
  if (ref.kind !== "OCIRepository" && ref.kind !== "HelmChart") throw new ChartError("chartRef.kind", `"${(ref as { kind: string }).kind}" is not supported: use OCIRepository or HelmChart`);
  try {
    return { path: await ensureSourceArtifact(ref, ctx), artifact: ref.artifact };
  } catch (err) {
    throw new ChartError("chartRef", errorMessage(err));
  }
}

/** ChartMetadata are the Chart.yaml fields the release reports. */
export interface ChartMetadata {
  name: string;
  version: string;
  appVersion?: string;
}

/** unpackChart extracts the chart archive under dir and returns the chart directory and its Chart.yaml. */
export async function unpackChart(path: string, dir: string): Promise<{ chartDir: string; metadata: ChartMetadata }> {
  await extract(path, dir);
  let chartDir = dir;
  if (!(await stat(join(dir, "Chart.yaml")).catch(() => undefined))) {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
    const found = [];
    for (const e of entries) if (await stat(join(dir, e.name, "Chart.yaml")).catch(() => undefined)) found.push(e.name);
    if (found.length !== 1) throw new Error("the artifact holds no chart: Chart.yaml is neither at its root nor in its only directory");
    chartDir = join(dir, found[0]);
  }
  const meta = YAML.parse(await readFile(join(chartDir, "Chart.yaml"), "utf8")) as { name?: string; version?: unknown; appVersion?: unknown };
  if (!meta?.name || meta.version === undefined) throw new Error("Chart.yaml has no name or version");
  return { chartDir, metadata: { name: meta.name, version: String(meta.version), appVersion: meta.appVersion === undefined ? undefined : String(meta.appVersion) } };
}

/** chartCRDs reads the YAML files of the chart's crds/ directory (for the crds policy), empty when none. */
export async function chartCRDs(chartDir: string): Promise<string[]> {
  const dir = join(chartDir, "crds");
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => readFile(join(dir, f), "utf8")));
}
