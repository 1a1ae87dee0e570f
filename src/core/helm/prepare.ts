// What plan and apply of a HelmRelease share: validation, the cluster, the chart unpacked in the helm
// session, the values file and the post-renderer, and the decision install / upgrade / nothing.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseDuration } from "../duration";
import { FluxiacError, errorMessage, type ObjectRef } from "../errors";
import { connect, isNotFound, type ClusterConnection } from "../kube/client";
import { validateHealthCheckExprs } from "../kube/health/cel";
import { validateIgnoreRules } from "../kube/ssa/ignore";
import type { ResourceManager } from "../kube/ssa/manager";
import type { ReconcileContext } from "../reconcile/context";
import type { HelmChartStatus } from "../reconcile/helm-chart";
import type { ReleaseInfo, ReleaseTarget } from "./actions";
import { ChartError, resolveChart, unpackChart, type ChartMetadata, type ResolvedChart } from "./chart";
import type { HelmSession } from "./helm-cli";
import { postRendererArgs, type PostRenderSpec } from "./post-render";
import { releaseName } from "./release-name";
import { isPending } from "./unlock";
import type { HelmReleaseSpec } from "./types";
import { canonicalJSON, composeValues, ValuesError, valuesDigest, type Values } from "./values";

/** Prepared is a release ready for helm: target, chart, values and their digests. */
export interface Prepared {
  object: ObjectRef;
  target: ReleaseTarget;
  chart: ResolvedChart;
  metadata: ChartMetadata;
  values: Values;
  valuesDigest: string;
  /** Digest of the post-render settings (postRenderers, commonMetadata), Flux's observed*Digest. */
  configDigest: string;
  /** Whether a Secret contributed to the values. */
  secretValues: boolean;
  /** What the post-renderer does (target.postRender runs it for helm). */
  post: PostRenderSpec;
  /** upgrade.chartNameChangeStrategy. @default "Reinstall" */
  chartNameChangeStrategy?: "Reinstall" | "InPlaceUpdate";
  m: ResourceManager;
  cluster: ClusterConnection;
}

const oneOf = (field: string, v: unknown, allowed: unknown[]) =>
  v === undefined || allowed.includes(v) ? [] : [`${field} "${String(v)}" must be one of ${allowed.join(", ")}`];

/** helm3Only refuses a value other than the one the helm 3 CLI behaves as, saying why. */
const helm3Only = (field: string, v: string | undefined, only: string, why: string) =>
  v === undefined || v === only ? [] : [`${field} "${v}" is not supported: ${why}; set ${field} to "${only}" or remove it`];

/** validateHelmRelease returns the problems of a spec, each naming its field. */
export function validateHelmRelease(spec: HelmReleaseSpec): string[] {
  const problems: string[] = [];
  const target = spec.targetNamespace ?? spec.namespace ?? "flux-system";
  if (spec.storageNamespace && spec.storageNamespace !== target) {
    problems.push(`storageNamespace "${spec.storageNamespace}" must equal targetNamespace "${target}": the helm CLI stores a release in its own namespace; remove storageNamespace`);
  }
  for (const [field, v] of [["timeout", spec.timeout], ["install.timeout", spec.install?.timeout], ["upgrade.timeout", spec.upgrade?.timeout],
    ["install.strategy.retryInterval", spec.install?.strategy?.retryInterval], ["upgrade.strategy.retryInterval", spec.upgrade?.strategy?.retryInterval], ["test.timeout", spec.test?.timeout], ["rollback.timeout", spec.rollback?.timeout], ["uninstall.timeout", spec.uninstall?.timeout]] as const) {
    try {
      if (v !== undefined) parseDuration(v, field);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  problems.push(...oneOf("driftDetection.mode", spec.driftDetection?.mode, ["enabled", "warn", "disabled"]));
  problems.push(...oneOf("install.crds", spec.install?.crds, ["Skip", "Create", "CreateReplace"]));
  problems.push(...oneOf("upgrade.crds", spec.upgrade?.crds, ["Skip", "Create", "CreateReplace"]));
  problems.push(...oneOf("upgrade.remediation.strategy", spec.upgrade?.remediation?.strategy, ["rollback", "uninstall"]));
  for (const action of ["install", "upgrade"] as const) {
    problems.push(...oneOf(`${action}.strategy.name`, spec[action]?.strategy?.name, ["RemediateOnFailure", "RetryOnFailure"]));
  }
  problems.push(...oneOf("upgrade.chartNameChangeStrategy", spec.upgrade?.chartNameChangeStrategy, ["Reinstall", "InPlaceUpdate"]));
  problems.push(...oneOf("uninstall.deletionPropagation", spec.uninstall?.deletionPropagation, ["background", "foreground", "orphan"]));
  if (spec.maxHistory !== undefined && (!Number.isInteger(spec.maxHistory) || spec.maxHistory < 0)) problems.push(`maxHistory ${spec.maxHistory} must be a whole number >= 0`);
  problems.push(...helm3Only("postRenderStrategy", spec.postRenderStrategy, "nohooks", "the helm 3 CLI post-renders the chart's objects, never its hooks"));
  problems.push(...helm3Only("waitStrategy.name", spec.waitStrategy?.name, "legacy", "the helm 3 CLI waits with --wait, the legacy waiter"));
  problems.push(...validateHealthCheckExprs(spec.healthCheckExprs ?? []));
  try {
    validateIgnoreRules(spec.driftDetection?.ignore);
  } catch (err) {
    problems.push(`driftDetection.ignore: ${errorMessage(err)}`);
  }
  return problems;
}

/** namespaces are the HelmRelease's own namespace and the release's. */
export function namespaces(spec: Pick<HelmReleaseSpec, "namespace" | "targetNamespace">): { namespace: string; targetNamespace: string } {
  const namespace = spec.namespace ?? "flux-system";
  return { namespace, targetNamespace: spec.targetNamespace ?? namespace };
}

/** configDigest is the digest of the post-render settings. */
export function configDigest(spec: HelmReleaseSpec): string {
  const cfg = { postRenderers: spec.postRenderers ?? [], commonMetadata: spec.commonMetadata ?? {} };
  return `sha256:${createHash("sha256").update(canonicalJSON(cfg)).digest("hex")}`;
}

/** readData reads a ConfigMap's or Secret's data (decoded) in namespace; undefined when it does not exist. */
async function readData(m: ResourceManager, kind: "ConfigMap" | "Secret", name: string, namespace: string): Promise<Record<string, string> | undefined> {
  try {
    const o = (await m.api.read({ apiVersion: "v1", kind, metadata: { name, namespace } })) as { data?: Record<string, string> };
    const data = o.data ?? {};
    return kind === "Secret" ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])) : data;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** PrepareOptions say what a previous reconcile left. */
export interface PrepareOptions {
  /** The HelmChart the last reconcile made for spec.chart (reused when its version still matches). @default none */
  previousChart?: HelmChartStatus;
  /** The chart a plan of this very spec resolved moments ago, in the store: it is not resolved again. @default none */
  chart?: ResolvedChart;
}

/**
 * prepare gets the chart and the values and writes into the helm session (connected to the release's
 * cluster) the chart, the values file and the post-renderer. Errors name the HelmRelease and the field.
 */
export async function prepare(name: string, spec: HelmReleaseSpec, s: HelmSession, ctx: ReconcileContext, opts: PrepareOptions = {}): Promise<Prepared> {
  const object = { kind: "HelmRelease", name };
  const { namespace, targetNamespace } = namespaces(spec);
  const cluster = s.cluster;
  const m: ResourceManager = { api: connect(cluster).api, owner: { name, namespace }, log: ctx.log, concurrency: 8, signal: ctx.signal };
  let chart: ResolvedChart;
  let unpacked;
  try {
    chart = opts.chart ?? (await resolveChart(name, spec, opts.previousChart, ctx));
    unpacked = await unpackChart(chart.path, join(s.dir, "chart"));
  } catch (err) {
    const field = err instanceof ChartError ? "" : spec.chart ? "chart.spec: " : "chartRef: ";
    throw new FluxiacError(object, "ChartNotFound", `${field}${errorMessage(err)}`);
  }
  let composed;
  try {
    composed = await composeValues(spec, (kind, ref) => readData(m, kind, ref, namespace));
  } catch (err) {
    if (err instanceof ValuesError) throw new FluxiacError(object, "ValidationFailed", err.message);
    throw new FluxiacError(object, "ClusterUnavailable", `reading valuesFrom failed: ${errorMessage(err)}; check kubeconfig and that the API server is running`);
  }
  const release = releaseName(name, spec);
  const post: PostRenderSpec = { postRenderers: spec.postRenderers, commonMetadata: spec.commonMetadata, origin: { name, namespace } };
  const target: ReleaseTarget = {
    release,
    namespace: targetNamespace,
    chartDir: unpacked.chartDir,
    valuesFile: await s.file("values.json", JSON.stringify(composed.values)),
    postRender: await postRendererArgs(s, post),
    timeout: spec.timeout ?? "5m",
    maxHistory: spec.maxHistory ?? 5,
  };
  return {
    object, target, chart, metadata: unpacked.metadata, values: composed.values, valuesDigest: valuesDigest(composed.values),
    configDigest: configDigest(spec), secretValues: composed.fromSecret, post, m, cluster, chartNameChangeStrategy: spec.upgrade?.chartNameChangeStrategy,
  };
}

/** ReleaseAction is what a reconcile does to the release; "reinstall" uninstalls it, then installs. */
export type ReleaseAction = "install" | "upgrade" | "reinstall" | "none";

/** chartNameOf is the chart name of a `helm history` chart, `<name>-<version>`. */
export function chartNameOf(chart: string): string {
  return /^(.*)-v?\d+\.\d+\.\d+/.exec(chart)?.[1] ?? chart;
}

/**
 * decideAction compares the release's last version with the desired chart and values: no release (or
 * an uninstalled one) installs; another chart name reinstalls (upgrade.chartNameChangeStrategy
 * Reinstall, the default) or upgrades (InPlaceUpdate); a failed or pending release, another chart
 * version, other values or other post-render settings upgrade; otherwise nothing.
 */
export function decideAction(
  p: Pick<Prepared, "metadata" | "valuesDigest" | "configDigest" | "chartNameChangeStrategy">,
  last: ReleaseInfo | undefined,
  deployedValuesDigest: string | undefined,
  previousConfigDigest: string | undefined,
): { action: ReleaseAction; reason: string } {
  if (!last || last.status === "uninstalled") return { action: "install", reason: "no release exists" };
  const lastName = chartNameOf(last.chart);
  if (lastName !== p.metadata.name) {
    const strategy = p.chartNameChangeStrategy ?? "Reinstall";
    return { action: strategy === "Reinstall" ? "reinstall" : "upgrade", reason: `chart name ${lastName} → ${p.metadata.name} (upgrade.chartNameChangeStrategy ${strategy})` };
  }
  if (isPending(last.status)) return { action: "upgrade", reason: `the release's last version is ${last.status}: the apply unlocks it once it is older than timeout` };
  if (last.status !== "deployed") return { action: "upgrade", reason: `the release's last version is ${last.status}` };
  const wanted = `${p.metadata.name}-${p.metadata.version}`;
  if (last.chart !== wanted) return { action: "upgrade", reason: `chart ${last.chart} → ${wanted}` };
  if (deployedValuesDigest !== p.valuesDigest) return { action: "upgrade", reason: "values changed" };
  if (previousConfigDigest && previousConfigDigest !== p.configDigest) return { action: "upgrade", reason: "postRenderers or commonMetadata changed" };
  return { action: "none", reason: "up to date" };
}
