// HelmRelease's provider-side code: check resolves the chart, merges the values, renders and compares
// with the release in the cluster (the plan preview shows); create and update install or upgrade with
// remediation and correct drift; delete uninstalls.
import { isDeepStrictEqual } from "node:util";
import { PartialFailureError } from "../../core/errors";
import type { HelmReleaseSpec } from "../../core/helm/types";
import { applyHelmRelease, deleteHelmRelease, planHelmRelease, type HelmReleaseStatus } from "../../core/reconcile/helm-release";
import { changedFields, clusterOf, context, initFailed, ownUnknowns, rethrow, type Props } from "./common";

/** SPEC_FIELDS are the HelmRelease inputs that are engine spec fields, passed as they are. */
const SPEC_FIELDS = [
  "chart", "chartRef", "releaseName", "targetNamespace", "storageNamespace", "namespace", "kubeConfig", "serviceAccountName",
  "timeout", "maxHistory", "values", "valuesFrom", "driftDetection", "install", "upgrade", "test", "rollback", "uninstall",
  "postRenderers", "commonMetadata", "healthCheckExprs", "postRenderStrategy", "waitStrategy", "dependsOn", "readyExpr", "suspend",
] as const;

/** STATUS_FIELDS are the outputs apply records; the release's name and namespace are recorded as helmReleaseName and releaseNamespace (releaseName and namespace are inputs). */
const STATUS_FIELDS = ["revision", "status", "chartVersion", "valuesDigest", "configDigest", "drifted", "helmChart"];

function helmReleaseSpec(p: Props): HelmReleaseSpec {
  const spec: Record<string, unknown> = { cluster: clusterOf(p) };
  for (const k of SPEC_FIELDS) if (p[k] !== undefined && p[k] !== null) spec[k] = p[k];
  return spec as unknown as HelmReleaseSpec;
}

/** previousOf is what the engine needs of a previous reconcile: the HelmChart to reuse, the post-render digest. */
function previousOf(p: Props | undefined): Partial<HelmReleaseStatus> | undefined {
  if (!p) return undefined;
  return { helmChart: p.plan?.helmChart ?? p.helmChart, configDigest: p.configDigest ?? p.plan?.configDigest };
}

/** recordedStatus is the release status an apply recorded in the outputs. */
function recordedStatus(o: Props): Partial<HelmReleaseStatus> {
  const { revision, status, chartVersion, valuesDigest, configDigest, drifted, helmChart } = o;
  return { releaseName: o.helmReleaseName, namespace: o.releaseNamespace, revision, status, chartVersion, valuesDigest, configDigest, drifted, helmChart };
}

/** withoutArtifacts drops the source artifacts from chart and chartRef: a new index revision alone changes no release (the plan compares the chart version). */
function withoutArtifacts(p: Props): Props {
  const strip = (ref: Props | undefined) => ref && { ...ref, artifact: null };
  return { ...p, chart: p.chart && { spec: { ...p.chart.spec, sourceRef: strip(p.chart.spec?.sourceRef) } }, chartRef: strip(p.chartRef) };
}

/** recordPartialFailure records the release's state when an install or upgrade failed after it changed the release. */
function recordPartialFailure(id: string, inputs: Props, err: unknown): never {
  if (!(err instanceof PartialFailureError)) rethrow("HelmRelease", inputs.name, err);
  initFailed(id, outputs(inputs, err.state as HelmReleaseStatus), err.message);
}

function outputs(inputs: Props, status: HelmReleaseStatus): Props {
  const outs: Props = { ...inputs };
  for (const k of STATUS_FIELDS) outs[k] = (status as unknown as Props)[k] ?? null;
  outs.helmReleaseName = status.releaseName;
  outs.releaseNamespace = status.namespace;
  return outs;
}

/** INPUT_FIELDS are the inputs whose change is an update even when the plan says nothing changes. */
const INPUT_FIELDS = [...SPEC_FIELDS.filter((k) => k !== "dependsOn"), "kubeconfig", "context", "defaultServiceAccount"];

/** helmRelease implements the HelmRelease dynamic provider. */
export const helmRelease = {
  async check(olds: Props, news: Props) {
    if (ownUnknowns(news)) return { inputs: news };
    try {
      const plan = await planHelmRelease(news.name, helmReleaseSpec(news), previousOf(olds), context());
      const { releaseName, namespace, ...summary } = plan;
      // Pulumi's wire format has no undefined (helmChart is absent with chartRef): JSON drops it.
      return { inputs: { ...news, plan: JSON.parse(JSON.stringify({ ...summary, release: `${namespace}/${releaseName}` })) } };
    } catch (err) {
      rethrow("HelmRelease", news.name, err);
    }
  },
  async diff(_id: string, olds: Props, news: Props) {
    if (ownUnknowns(news) || !news.plan) return { changes: true };
    const plan = news.plan;
    const mode = news.driftDetection?.mode ?? "disabled";
    const drift = plan.drifted?.length > 0 && (mode === "enabled" || !isDeepStrictEqual(olds.drifted ?? [], plan.drifted));
    const changed = changedFields(withoutArtifacts(olds), withoutArtifacts(news), INPUT_FIELDS).length > 0 || (!news.suspend && (plan.action !== "none" || drift));
    return { changes: changed };
  },
  async create(inputs: Props) {
    const id = `HelmRelease/${inputs.name}`;
    const status = await applyHelmRelease(inputs.name, helmReleaseSpec(inputs), previousOf(inputs), context()).catch((err) => recordPartialFailure(id, inputs, err));
    return { id, outs: outputs(inputs, status) };
  },
  async update(id: string, olds: Props, news: Props) {
    const previous = { ...recordedStatus(olds), helmChart: news.plan?.helmChart ?? olds.helmChart };
    const status = await applyHelmRelease(news.name, helmReleaseSpec(news), previous, context()).catch((err) => recordPartialFailure(id, news, err));
    return { outs: outputs(news, status) };
  },
  async delete(_id: string, props: Props) {
    await deleteHelmRelease(props.name, helmReleaseSpec(props), { releaseName: props.helmReleaseName, namespace: props.releaseNamespace }, context()).catch((err) => rethrow("HelmRelease", props.name, err));
  },
};
